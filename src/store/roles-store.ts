import { randomUUID } from 'node:crypto';
import type { Role } from '../domain/types.js';
import { AlreadyExists } from '../domain/errors.js';
import { insertChunked, perChunk } from './chunks.js';
import { isUniqueViolation } from './database.js';
import { fold, isUuid, nowIso, toDate, type Queryable } from './rows.js';

async function withPermissions(q: Queryable, rows: Array<Record<string, unknown>>): Promise<Role[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => String(r.id));
  const perms = await perChunk(ids, (part) => q('role_permissions').whereIn('role_id', part).orderBy('permission'));
  const byRole = new Map<string, string[]>();
  for (const p of perms) {
    const list = byRole.get(String(p.role_id)) ?? [];
    list.push(String(p.permission));
    byRole.set(String(p.role_id), list);
  }
  return rows.map((r) => ({
    id: String(r.id), name: String(r.name), permissions: byRole.get(String(r.id)) ?? [],
    createdAt: toDate(r.created_at)!, updatedAt: toDate(r.updated_at)!,
  }));
}

export async function insertRole(q: Queryable, name: string, permissions: readonly string[]): Promise<Role> {
  const id = randomUUID();
  const now = nowIso();
  try {
    await q('roles').insert({ id, name, name_ci: fold(name), created_at: now, updated_at: now });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a role named "${name}" already exists`, 'name');
    throw e;
  }
  await setRolePermissions(q, id, permissions);
  return (await findRoleById(q, id))!;
}

export async function updateRoleName(q: Queryable, id: string, name: string): Promise<void> {
  try {
    await q('roles').where({ id }).update({ name, name_ci: fold(name), updated_at: nowIso() });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a role named "${name}" already exists`, 'name');
    throw e;
  }
}

export async function setRolePermissions(q: Queryable, id: string, permissions: readonly string[]): Promise<void> {
  await q('role_permissions').where({ role_id: id }).delete();
  const unique = [...new Set(permissions)];
  await insertChunked(q, 'role_permissions', unique.map((permission) => ({ role_id: id, permission })));
  await q('roles').where({ id }).update({ updated_at: nowIso() });
}

export async function deleteRoleRow(q: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await q('roles').where({ id }).delete()) > 0;
}

export async function findRoleById(q: Queryable, id: string): Promise<Role | null> {
  if (!isUuid(id)) return null;
  const row = await q('roles').where({ id }).first();
  return row ? (await withPermissions(q, [row]))[0]! : null;
}

export async function findRoleByName(q: Queryable, name: string): Promise<Role | null> {
  const row = await q('roles').where({ name_ci: fold(name) }).first();
  return row ? (await withPermissions(q, [row]))[0]! : null;
}

export async function listRoles(q: Queryable, opts: { limit: number; offset: number; nameContains?: string }): Promise<{ roles: Role[]; count: number }> {
  let base = q('roles');
  if (opts.nameContains) base = base.where('name_ci', 'like', `%${fold(opts.nameContains).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  const countRow = await base.clone().count({ n: '*' }).first();
  const rows = await base.clone().orderBy('name_ci').limit(opts.limit).offset(opts.offset);
  return { roles: await withPermissions(q, rows), count: Number(countRow?.n ?? 0) };
}

export async function assignRoleToUser(q: Queryable, userId: string, roleId: string): Promise<void> {
  await q('user_roles').insert({ user_id: userId, role_id: roleId }).onConflict(['user_id', 'role_id']).ignore();
}
export async function unassignRoleFromUser(q: Queryable, userId: string, roleId: string): Promise<boolean> {
  return (await q('user_roles').where({ user_id: userId, role_id: roleId }).delete()) > 0;
}
export async function assignRoleToGroup(q: Queryable, groupId: string, roleId: string): Promise<void> {
  await q('group_roles').insert({ group_id: groupId, role_id: roleId }).onConflict(['group_id', 'role_id']).ignore();
}
export async function unassignRoleFromGroup(q: Queryable, groupId: string, roleId: string): Promise<boolean> {
  return (await q('group_roles').where({ group_id: groupId, role_id: roleId }).delete()) > 0;
}

export async function rolesOfUser(q: Queryable, userId: string): Promise<Role[]> {
  const rows = await q('roles as r').join('user_roles as ur', 'ur.role_id', 'r.id').where('ur.user_id', userId).select('r.*').orderBy('r.name_ci');
  return withPermissions(q, rows);
}

/** Roles held by any of the given groups, each with the group it comes from. */
export async function rolesOfGroups(q: Queryable, groupIds: readonly string[]): Promise<Array<{ role: Role; groupId: string }>> {
  const rows = await perChunk(groupIds, (part) => q('roles as r').join('group_roles as gr', 'gr.role_id', 'r.id').whereIn('gr.group_id', part)
    .select('r.*', 'gr.group_id as from_group').orderBy('r.name_ci'));
  rows.sort((a, b) => (a.name_ci < b.name_ci ? -1 : a.name_ci > b.name_ci ? 1 : 0));
  const roles = await withPermissions(q, rows);
  return roles.map((role, i) => ({ role, groupId: String(rows[i].from_group) }));
}

/** Permissions from the user's roles and the roles of the given groups, in one query. */
export async function permissionsOf(q: Queryable, userId: string, groupIds: readonly string[]): Promise<Set<string>> {
  const direct = q('role_permissions as p').join('user_roles as ur', 'ur.role_id', 'p.role_id').where('ur.user_id', userId).select('p.permission');
  let rows;
  if (groupIds.length > 0) {
    const viaGroups = q('role_permissions as p').join('group_roles as gr', 'gr.role_id', 'p.role_id').whereIn('gr.group_id', groupIds).select('p.permission');
    rows = await direct.union(viaGroups);
  } else rows = await direct;
  return new Set(rows.map((r: { permission: string }) => String(r.permission)));
}
