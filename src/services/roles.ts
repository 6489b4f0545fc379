import { InvalidValue, NotFound } from '../domain/errors.js';
import { isPermission, PERMISSIONS, type Permission } from '../domain/permissions.js';
import type { Actor, Role } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { findGroupById, findGroupByName } from '../store/groups-store.js';
import {
  deleteObjectPermission, insertObjectPermission, objectPermissionsOfRole, objectPermissionsOn, rolesHoldingGlobally,
  type ObjectPermission, type ObjectType,
} from '../store/object-permissions-store.js';
import { isUuid, type Queryable } from '../store/rows.js';
import {
  assignRoleToGroup, assignRoleToUser, deleteRoleRow, findRoleById, findRoleByName, insertRole, listRoles,
  rolesOfGroups, setRolePermissions, unassignRoleFromGroup, unassignRoleFromUser, updateRoleName,
} from '../store/roles-store.js';
import { findUserById, findUserByUsername } from '../store/users-store.js';
import { OBJECT_PERMISSIONS, type AccessService } from './access.js';
import type { DelegationRules } from './delegation-rules.js';
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

/** A user or a group named by id or by name (username, group name). */
async function resolveObject(q: Queryable, type: ObjectType, ref: string): Promise<{ id: string; name: string } | null> {
  if (type === 'user') {
    const u = (isUuid(ref) ? await findUserById(q, ref) : null) ?? (await findUserByUsername(q, ref));
    return u ? { id: u.id, name: u.username } : null;
  }
  const g = (isUuid(ref) ? await findGroupById(q, ref) : null) ?? (await findGroupByName(q, ref));
  return g ? { id: g.id, name: g.name } : null;
}

export class RoleService {
  constructor(private readonly db: Database, private readonly access: AccessService, private readonly rules: DelegationRules) {}

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
    await this.rules.requireHeld(actor, permissions, 'create a role holding', null, opts);
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
    if (permissions !== undefined) {
      const before = await findRoleById(this.db.knex, id);
      const added = permissions.filter((p) => !before?.permissions.includes(p));
      await this.rules.requireHeld(actor, added, 'give a role', { type: 'role', id });
    }
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

  /**
   * Assigns or unassigns a role to a user or a group. Only a superuser changes the roles of a
   * superuser account or group; nobody assigns a role holding what they do not hold themselves.
   * @throws NotFound, PermissionDenied
   */
  async assign(target: { userId?: string; groupId?: string }, roleId: string, assign: boolean, actor: Actor): Promise<void> {
    if (target.userId) await this.rules.protectUsers(actor, [target.userId], 'change the roles of');
    if (target.groupId) await this.rules.protectGroups(actor, [target.groupId], 'change the roles of');
    if (assign) {
      const role = await findRoleById(this.db.knex, roleId);
      if (role) await this.requireHoldsRole(actor, role);
    }
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

  // ---- permissions on one object --------------------------------------------------------

  /** The role's permissions on single users and groups. @throws NotFound */
  async objectPermissions(roleId: string): Promise<ObjectPermission[]> {
    await this.get(roleId);
    return objectPermissionsOfRole(this.db.knex, roleId);
  }

  /**
   * Who may do what on one user or group: the roles holding a permission on it alone (`grants`),
   * and the roles holding one of those permissions on every object (`global`). Superusers may all.
   * @throws NotFound
   */
  async permissionsOn(type: ObjectType, ref: string): Promise<{
    object: { id: string; name: string }; grants: ObjectPermission[]; global: Array<{ roleId: string; roleName: string; permission: string }>;
  }> {
    const object = await resolveObject(this.db.knex, type, ref);
    if (!object) throw new NotFound(`no ${type} with id or name ${ref}`);
    return {
      object,
      grants: await objectPermissionsOn(this.db.knex, type, object.id),
      global: await rolesHoldingGlobally(this.db.knex, OBJECT_PERMISSIONS[type]),
    };
  }

  /**
   * Lets the role hold `permission` on one user or group (named by id or name). The actor must
   * hold that permission on the object itself; a superuser object takes a superuser.
   * Records `object_permission_granted`. @throws NotFound, InvalidValue, AlreadyExists, PermissionDenied
   */
  async grantOnObject(roleId: string, input: { permission?: unknown; objectType?: unknown; objectId?: unknown }, actor: Actor): Promise<ObjectPermission> {
    const { role, permission, type, object } = await this.objectGrant(roleId, input);
    const target = { type, id: object.id };
    if (type === 'user') await this.rules.protectUsers(actor, [object.id], 'grant permissions on');
    else await this.rules.protectGroups(actor, [object.id], 'grant permissions on');
    if (!(await this.rules.actsAsSuperuser(actor)) && !(await this.access.holdsOn(actor.userId, permission, target))) {
      await this.rules.requireHeld(actor, [permission], `grant on this ${type}`, target);
    }
    return this.db.transaction(async (trx) => {
      const granted = await insertObjectPermission(trx, { roleId: role.id, permission, objectType: type, objectId: object.id });
      await recordEvent(trx, actor, 'object_permission_granted', { type: 'role', id: role.id }, {
        role: role.name, permission, object_type: type, object_id: object.id, object_name: object.name,
      });
      return granted;
    });
  }

  /** Takes one object permission from the role; records `object_permission_revoked`. @throws NotFound, InvalidValue */
  async revokeOnObject(roleId: string, input: { permission?: unknown; objectType?: unknown; objectId?: unknown }, actor: Actor): Promise<void> {
    const { role, permission, type, object } = await this.objectGrant(roleId, input);
    await this.db.transaction(async (trx) => {
      if (!(await deleteObjectPermission(trx, { roleId: role.id, permission, objectType: type, objectId: object.id }))) {
        throw new NotFound(`the role ${role.name} does not hold ${permission} on ${type} ${object.name}`);
      }
      await recordEvent(trx, actor, 'object_permission_revoked', { type: 'role', id: role.id }, {
        role: role.name, permission, object_type: type, object_id: object.id, object_name: object.name,
      });
    });
  }

  private async objectGrant(roleId: string, input: { permission?: unknown; objectType?: unknown; objectId?: unknown }) {
    const role = await this.get(roleId);
    if (input.objectType !== 'user' && input.objectType !== 'group') throw InvalidValue.field('object_type', 'must be user or group');
    const type: ObjectType = input.objectType;
    const allowed = OBJECT_PERMISSIONS[type] as readonly string[];
    if (typeof input.permission !== 'string' || !allowed.includes(input.permission)) {
      throw InvalidValue.field('permission', `must be one of ${allowed.join(', ')} for a ${type}`);
    }
    if (typeof input.objectId !== 'string' || input.objectId === '') throw InvalidValue.field('object_id', `must be a ${type} id or name`);
    const object = await resolveObject(this.db.knex, type, input.objectId);
    if (!object) throw InvalidValue.field('object_id', `no ${type} with id or name ${input.objectId}`);
    return { role, permission: input.permission as Permission, type, object };
  }

  /** Assigning a role hands out its permissions: global ones and those on single objects. */
  private async requireHoldsRole(actor: Actor, role: Role): Promise<void> {
    const target = { type: 'role', id: role.id };
    await this.rules.requireHeld(actor, role.permissions, 'assign a role holding', target);
    if (await this.rules.actsAsSuperuser(actor)) return;
    for (const op of await objectPermissionsOfRole(this.db.knex, role.id)) {
      if (!(await this.access.holdsOn(actor.userId, op.permission as Permission, { type: op.objectType, id: op.objectId }))) {
        await this.rules.requireHeld(actor, [op.permission], `assign a role holding (on ${op.objectType} ${op.objectName})`, target);
      }
    }
  }
}
