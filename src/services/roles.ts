import { InvalidValue, NotFound } from '../domain/errors.js';
import { isPermission, PERMISSIONS } from '../domain/permissions.js';
import type { Actor, Role } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { findGroupById } from '../store/groups-store.js';
import {
  assignRoleToGroup, assignRoleToUser, deleteRoleRow, findRoleById, findRoleByName, insertRole, listRoles,
  rolesOfGroups, setRolePermissions, unassignRoleFromGroup, unassignRoleFromUser, updateRoleName,
} from '../store/roles-store.js';
import { findUserById } from '../store/users-store.js';
import { recordEvent } from './events.js';
import { inTransaction, type TxOptions } from './transactions.js';

function validPermissions(v: unknown): string[] {
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string')) throw InvalidValue.field('permissions', 'must be a list of permission names');
  const unknown = (v as string[]).filter((p) => !isPermission(p));
  if (unknown.length > 0) throw InvalidValue.field('permissions', `unknown permission ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${PERMISSIONS.join(', ')}`);
  return v as string[];
}

function validRoleName(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '' || v.length > 150) throw InvalidValue.field('name', 'must be a non-empty string of at most 150 characters');
  return v;
}

export class RoleService {
  constructor(private readonly db: Database) {}

  /** @throws NotFound */
  async get(id: string): Promise<Role> {
    const r = await findRoleById(this.db.knex, id);
    if (!r) throw new NotFound(`no role with id ${id}`);
    return r;
  }

  async findByName(name: string): Promise<Role | null> {
    return findRoleByName(this.db.knex, name);
  }

  async list(opts: { limit: number; offset: number; search?: string }): Promise<{ roles: Role[]; count: number }> {
    return listRoles(this.db.knex, { limit: opts.limit, offset: opts.offset, nameContains: opts.search });
  }

  /** Roles assigned directly to a group. @throws NotFound */
  async rolesOfGroup(groupId: string): Promise<Role[]> {
    if (!(await findGroupById(this.db.knex, groupId))) throw new NotFound(`no group with id ${groupId}`);
    return (await rolesOfGroups(this.db.knex, [groupId])).map((r) => r.role);
  }

  /** @throws InvalidValue, AlreadyExists */
  async create(input: { name?: unknown; permissions?: unknown }, actor: Actor, opts: TxOptions = {}): Promise<Role> {
    const name = validRoleName(input.name);
    const permissions = input.permissions === undefined ? [] : validPermissions(input.permissions);
    return inTransaction(this.db, opts, async (trx) => {
      const role = await insertRole(trx, name, permissions);
      await recordEvent(trx, actor, 'role_created', { type: 'role', id: role.id }, { name, permissions });
      return role;
    });
  }

  /** @throws NotFound, InvalidValue, AlreadyExists */
  async update(id: string, input: { name?: unknown; permissions?: unknown }, actor: Actor): Promise<Role> {
    const name = input.name === undefined ? undefined : validRoleName(input.name);
    const permissions = input.permissions === undefined ? undefined : validPermissions(input.permissions);
    return this.db.transaction(async (trx) => {
      if (!(await findRoleById(trx, id))) throw new NotFound(`no role with id ${id}`);
      if (name !== undefined) await updateRoleName(trx, id, name);
      if (permissions !== undefined) await setRolePermissions(trx, id, permissions);
      await recordEvent(trx, actor, 'role_updated', { type: 'role', id }, { ...(name ? { name } : {}), ...(permissions ? { permissions } : {}) });
      return (await findRoleById(trx, id))!;
    });
  }

  /** @throws NotFound */
  async delete(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (trx) => {
      const role = await findRoleById(trx, id);
      if (!role) throw new NotFound(`no role with id ${id}`);
      await deleteRoleRow(trx, id);
      await recordEvent(trx, actor, 'role_deleted', { type: 'role', id }, { name: role.name });
    });
  }

  /** Assigns or unassigns a role to a user or a group. @throws NotFound */
  async assign(target: { userId?: string; groupId?: string }, roleId: string, assign: boolean, actor: Actor): Promise<void> {
    await this.db.transaction(async (trx) => {
      const role = await findRoleById(trx, roleId);
      if (!role) throw new NotFound(`no role with id ${roleId}`);
      if (target.userId) {
        const user = await findUserById(trx, target.userId);
        if (!user) throw new NotFound(`no user with id ${target.userId}`);
        if (assign) await assignRoleToUser(trx, user.id, roleId);
        else if (!(await unassignRoleFromUser(trx, user.id, roleId))) throw new NotFound(`role ${role.name} is not assigned to ${user.username}`);
        await recordEvent(trx, actor, assign ? 'role_assigned' : 'role_unassigned', { type: 'user', id: user.id }, { role: role.name, username: user.username });
      } else if (target.groupId) {
        const group = await findGroupById(trx, target.groupId);
        if (!group) throw new NotFound(`no group with id ${target.groupId}`);
        if (assign) await assignRoleToGroup(trx, group.id, roleId);
        else if (!(await unassignRoleFromGroup(trx, group.id, roleId))) throw new NotFound(`role ${role.name} is not assigned to group ${group.name}`);
        await recordEvent(trx, actor, assign ? 'role_assigned' : 'role_unassigned', { type: 'group', id: group.id }, { role: role.name, group: group.name });
      }
    });
  }
}
