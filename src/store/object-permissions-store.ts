/**
 * Permissions a role holds on one user or one group (migration 0003), and the reads that
 * decide what a caller may do: on one object, on any object, and which objects (as SQL the
 * list queries embed, so paging and counts happen in the database).
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExists } from '../domain/errors.js';
import type { Database } from './database.js';
import { isUniqueViolation } from './database.js';
import { preparedReader } from './prepared.js';
import { nowIso, toDate, type Queryable } from './rows.js';

export type ObjectType = 'user' | 'group';

export interface ObjectPermission {
  readonly id: string;
  readonly roleId: string;
  readonly roleName: string;
  readonly permission: string;
  readonly objectType: ObjectType;
  readonly objectId: string;
  /** The object's username or group name. */
  readonly objectName: string;
  readonly createdAt: Date;
}

const SELECT = `select op.id, op.role_id, r.name as role_name, op.permission, op.object_type,
    coalesce(op.user_id, op.group_id) as object_id, coalesce(u.username, g.name) as object_name, op.created_at
  from role_object_permissions op join roles r on r.id = op.role_id
  left join users u on u.id = op.user_id left join groups g on g.id = op.group_id`;

function toObjectPermission(r: Record<string, unknown>): ObjectPermission {
  return {
    id: String(r.id), roleId: String(r.role_id), roleName: String(r.role_name), permission: String(r.permission),
    objectType: r.object_type === 'group' ? 'group' : 'user', objectId: String(r.object_id),
    objectName: String(r.object_name ?? ''), createdAt: toDate(r.created_at)!,
  };
}

function rowsOf(res: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(res) ? res : (res as { rows: Array<Record<string, unknown>> }).rows);
}

/** @throws AlreadyExists when the role already holds it. */
export async function insertObjectPermission(q: Queryable, p: { roleId: string; permission: string; objectType: ObjectType; objectId: string }): Promise<ObjectPermission> {
  const id = randomUUID();
  try {
    await q('role_object_permissions').insert({
      id, role_id: p.roleId, permission: p.permission, object_type: p.objectType,
      user_id: p.objectType === 'user' ? p.objectId : null, group_id: p.objectType === 'group' ? p.objectId : null,
      created_at: nowIso(),
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`the role already holds ${p.permission} on this ${p.objectType}`, 'permission');
    throw e;
  }
  return toObjectPermission(rowsOf(await q.raw(`${SELECT} where op.id = ?`, [id]))[0]!);
}

/** Removes one grant; false when the role did not hold it. */
export async function deleteObjectPermission(q: Queryable, p: { roleId: string; permission: string; objectType: ObjectType; objectId: string }): Promise<boolean> {
  const column = p.objectType === 'user' ? 'user_id' : 'group_id';
  return (await q('role_object_permissions').where({ role_id: p.roleId, permission: p.permission, [column]: p.objectId }).delete()) > 0;
}

export async function objectPermissionsOfRole(q: Queryable, roleId: string): Promise<ObjectPermission[]> {
  return rowsOf(await q.raw(`${SELECT} where op.role_id = ? order by op.object_type, object_name, op.permission`, [roleId])).map(toObjectPermission);
}

export async function objectPermissionsOn(q: Queryable, objectType: ObjectType, objectId: string): Promise<ObjectPermission[]> {
  const column = objectType === 'user' ? 'op.user_id' : 'op.group_id';
  return rowsOf(await q.raw(`${SELECT} where ${column} = ? order by r.name, op.permission`, [objectId])).map(toObjectPermission);
}

// The roles a user holds: assigned directly, or to one of its groups or their ancestors.
const HELD_ROLES = (userParam: string) => `with recursive closure(id) as (
  select group_id from group_members where user_id = ${userParam}
  union select p.parent_id from group_parents p join closure c on p.group_id = c.id
), held(role_id) as (
  select role_id from user_roles where user_id = ${userParam}
  union select role_id from group_roles where group_id in (select id from closure)
)`;

const ON_OBJECT_SQL = (column: string) => `${HELD_ROLES('?')}
select 1 as ok from role_object_permissions op
 where op.${column} = ? and op.permission = ? and op.role_id in (select role_id from held) limit 1`;

/** True when one of the user's roles holds `permission` on this one object (not globally). */
export async function holdsOnObject(db: Database, userId: string, permission: string, objectType: ObjectType, objectId: string): Promise<boolean> {
  const sql = ON_OBJECT_SQL(objectType === 'user' ? 'user_id' : 'group_id');
  const rows = await preparedReader(db).all(sql, [userId, userId, objectId, permission]);
  return rows.length > 0;
}

const ANY_OBJECT_SQL = `${HELD_ROLES('?')}
select 1 as ok from role_object_permissions op
 where op.permission = ? and op.object_type = ? and op.role_id in (select role_id from held) limit 1`;

/** True when one of the user's roles holds `permission` on at least one object of the type. */
export async function holdsOnAnyObject(db: Database, userId: string, permission: string, objectType: ObjectType): Promise<boolean> {
  return (await preparedReader(db).all(ANY_OBJECT_SQL, [userId, userId, permission, objectType])).length > 0;
}

/**
 * SQL selecting the ids of the objects the user may `permission` through object grants, with
 * its bindings; the list queries embed it as `id IN (...)`.
 */
export function objectIdsSql(userId: string, permission: string, objectType: ObjectType): { sql: string; bindings: unknown[] } {
  const column = objectType === 'user' ? 'user_id' : 'group_id';
  return {
    sql: `select qop.${column} from role_object_permissions qop where qop.permission = ? and qop.object_type = ? and qop.role_id in (
      select qur.role_id from user_roles qur where qur.user_id = ?
      union select qgr.role_id from group_roles qgr where qgr.group_id in (
        with recursive qclosure(id) as (select qgm.group_id from group_members qgm where qgm.user_id = ?
          union select qgp.parent_id from group_parents qgp join qclosure on qgp.group_id = qclosure.id)
        select id from qclosure))`,
    bindings: [permission, objectType, userId, userId],
  };
}

/** Roles holding any of `permissions` globally (on every object), by role name. */
export async function rolesHoldingGlobally(q: Queryable, permissions: readonly string[]): Promise<Array<{ roleId: string; roleName: string; permission: string }>> {
  if (permissions.length === 0) return [];
  const rows = await q('role_permissions as rp').join('roles as r', 'r.id', 'rp.role_id')
    .whereIn('rp.permission', [...permissions]).select('r.id as role_id', 'r.name as role_name', 'rp.permission').orderBy(['r.name_ci', 'rp.permission']);
  return rows.map((r: Record<string, unknown>) => ({ roleId: String(r.role_id), roleName: String(r.role_name), permission: String(r.permission) }));
}
