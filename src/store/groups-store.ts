import { randomUUID } from 'node:crypto';
import type { Group, JsonObject } from '../domain/types.js';
import { AlreadyExists, NotFound, PreconditionFailed } from '../domain/errors.js';
import { chunks, insertChunked, perChunk, sumPerChunk } from './chunks.js';
import { isUniqueViolation, type Database } from './database.js';
import { preparedReader } from './prepared.js';
import { fold, isUuid, jsonColumn, nowIso, rowToGroup, rowToUser, type Queryable } from './rows.js';
import type { User } from '../domain/types.js';

export interface GroupWrite {
  name?: string;
  isSuperuser?: boolean;
  attributes?: JsonObject;
  externalId?: string | null;
}

function columns(w: GroupWrite): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (w.name !== undefined) { c.name = w.name; c.name_ci = fold(w.name); }
  if (w.isSuperuser !== undefined) c.is_superuser = w.isSuperuser;
  if (w.attributes !== undefined) c.attributes = jsonColumn(w.attributes);
  if (w.externalId !== undefined) c.external_id = w.externalId;
  return c;
}

/** @throws AlreadyExists when the name (ignoring case) is taken. */
export async function insertGroup(q: Queryable, w: GroupWrite & { name: string }): Promise<Group> {
  const now = nowIso();
  const id = randomUUID();
  try {
    await q('groups').insert({ id, is_superuser: false, attributes: '{}', ...columns(w), created_at: now, updated_at: now, version: 1 });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a group named "${w.name}" already exists`, 'name');
    throw e;
  }
  return (await findGroupById(q, id))!;
}

/** @throws NotFound, PreconditionFailed, AlreadyExists */
export async function updateGroup(q: Queryable, id: string, w: GroupWrite, ifVersion?: number): Promise<Group> {
  let query = q('groups').where({ id });
  if (ifVersion !== undefined) query = query.andWhere('version', ifVersion);
  let n: number;
  try {
    n = await query.update({ ...columns(w), updated_at: nowIso(), version: q.raw('version + 1') });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a group named "${w.name}" already exists`, 'name');
    throw e;
  }
  if (n === 0) {
    if (await findGroupById(q, id)) throw new PreconditionFailed('the group was changed by someone else (version mismatch)');
    throw new NotFound(`no group with id ${id}`);
  }
  return (await findGroupById(q, id))!;
}

/** Bumps a group's version (membership changed) without other writes. */
export async function bumpGroupVersion(q: Queryable, id: string): Promise<void> {
  await q('groups').where({ id }).update({ updated_at: nowIso(), version: q.raw('version + 1') });
}

export async function deleteGroupRow(q: Queryable, id: string, ifVersion?: number): Promise<boolean> {
  let query = q('groups').where({ id });
  if (ifVersion !== undefined) query = query.andWhere('version', ifVersion);
  return (await query.delete()) > 0;
}

export async function findGroupById(q: Queryable, id: string): Promise<Group | null> {
  if (!isUuid(id)) return null;
  const row = await q('groups').where({ id }).first();
  return row ? rowToGroup(row) : null;
}

export async function findGroupsByIds(q: Queryable, ids: readonly string[]): Promise<Group[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return perChunk(valid, async (part) => (await q('groups').whereIn('id', part)).map(rowToGroup));
}

export async function findGroupByName(q: Queryable, name: string): Promise<Group | null> {
  const row = await q('groups').where({ name_ci: fold(name) }).first();
  return row ? rowToGroup(row) : null;
}

// ---- membership -------------------------------------------------------------------------

/** Adds users to a group; already-members are left alone. */
export async function addMembers(q: Queryable, groupId: string, userIds: readonly string[]): Promise<void> {
  await insertChunked(q, 'group_members', userIds.map((user_id) => ({ group_id: groupId, user_id })), ['group_id', 'user_id']);
}

/** Removes users from a group; returns how many were members. */
export async function removeMembers(q: Queryable, groupId: string, userIds: readonly string[]): Promise<number> {
  return sumPerChunk(userIds, (part) => q('group_members').where({ group_id: groupId }).whereIn('user_id', part).delete());
}

export async function clearMembers(q: Queryable, groupId: string): Promise<void> {
  await q('group_members').where({ group_id: groupId }).delete();
}

export async function memberUserIds(q: Queryable, groupId: string): Promise<string[]> {
  return (await q('group_members').where({ group_id: groupId }).select('user_id')).map((r) => String(r.user_id));
}

/** Rows keyed by one column into lists of mapped records, keeping the rows' order. */
function collect<T>(rows: Array<Record<string, unknown>>, key: string, map: (r: Record<string, unknown>) => T): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = String(r[key]);
    const list = out.get(k);
    if (list) list.push(map(r));
    else out.set(k, [map(r)]);
  }
  return out;
}

/** Direct members of several groups at once: group id → users. */
export async function membersOfGroups(q: Queryable, groupIds: readonly string[]): Promise<Map<string, User[]>> {
  if (groupIds.length === 0) return new Map();
  const rows = await perChunk(groupIds, (part) => q('group_members as m').join('users as u', 'u.id', 'm.user_id')
    .whereIn('m.group_id', part).select('m.group_id as member_group_id', 'u.*').orderBy('u.seq'));
  return collect(rows, 'member_group_id', rowToUser);
}

function groupsOfUsersSql(count: number): string {
  return `select m.user_id as member_user_id, g.* from group_members m join groups g on g.id = m.group_id
    where m.user_id in (${new Array(count).fill('?').join(',')}) order by g.name_ci`;
}

/** Direct groups of several users at once, inside a transaction: user id → groups. */
export async function groupsOfUsers(q: Queryable, userIds: readonly string[]): Promise<Map<string, Group[]>> {
  const rows = await perChunk(userIds, async (part) => {
    const res = await q.raw(groupsOfUsersSql(part.length), part);
    return (Array.isArray(res) ? res : res.rows) as Array<Record<string, unknown>>;
  });
  return collect(rows, 'member_user_id', rowToGroup);
}

/**
 * Each user's direct groups as `{id, name}` only, in `name_ci` order, outside a transaction (a
 * list names its users' groups; the whole row and its JSON attributes are not needed).
 */
export async function groupRefsOfUsersPrepared(db: Database, userIds: readonly string[]): Promise<Map<string, Array<{ id: string; name: string }>>> {
  const rows = await perChunk(userIds, (part) => preparedReader(db).all(`select m.user_id as member_user_id, g.id, g.name
    from group_members m join groups g on g.id = m.group_id where m.user_id in (${new Array(part.length).fill('?').join(',')}) order by g.name_ci`, part));
  return collect(rows, 'member_user_id', (r) => ({ id: String(r.id), name: String(r.name) }));
}

/** As `groupsOfUsers`, outside a transaction: one cached prepared statement per id count. */
export async function groupsOfUsersPrepared(db: Database, userIds: readonly string[]): Promise<Map<string, Group[]>> {
  const rows = await perChunk(userIds, (part) => preparedReader(db).all(groupsOfUsersSql(part.length), part));
  return collect(rows, 'member_user_id', rowToGroup);
}

// ---- parents ----------------------------------------------------------------------------

export async function parentIds(q: Queryable, groupId: string): Promise<string[]> {
  return (await q('group_parents').where({ group_id: groupId }).select('parent_id')).map((r) => String(r.parent_id));
}

/** Direct parents of several groups: group id → parent groups. */
export async function parentsOfGroups(q: Queryable, groupIds: readonly string[]): Promise<Map<string, Group[]>> {
  if (groupIds.length === 0) return new Map();
  const rows = await perChunk(groupIds, (part) => q('group_parents as p').join('groups as g', 'g.id', 'p.parent_id')
    .whereIn('p.group_id', part).select('p.group_id as child_id', 'g.*').orderBy('g.name_ci'));
  return collect(rows, 'child_id', rowToGroup);
}

/** Direct child groups of several groups: group id → child groups. */
export async function childrenOfGroups(q: Queryable, groupIds: readonly string[]): Promise<Map<string, Group[]>> {
  if (groupIds.length === 0) return new Map();
  const rows = await perChunk(groupIds, (part) => q('group_parents as p').join('groups as g', 'g.id', 'p.group_id')
    .whereIn('p.parent_id', part).select('p.parent_id as parent_of', 'g.*').orderBy('g.name_ci'));
  return collect(rows, 'parent_of', rowToGroup);
}

export async function setParents(q: Queryable, groupId: string, parents: readonly string[]): Promise<void> {
  await q('group_parents').where({ group_id: groupId }).delete();
  await insertChunked(q, 'group_parents', parents.map((parent_id) => ({ group_id: groupId, parent_id })));
}

export async function addChildGroups(q: Queryable, parentId: string, childIds: readonly string[]): Promise<void> {
  await insertChunked(q, 'group_parents', childIds.map((group_id) => ({ group_id, parent_id: parentId })), ['group_id', 'parent_id']);
}

export async function removeChildGroups(q: Queryable, parentId: string, childIds: readonly string[]): Promise<void> {
  await sumPerChunk(childIds, (part) => q('group_parents').where({ parent_id: parentId }).whereIn('group_id', part).delete());
}

export async function clearChildGroups(q: Queryable, parentId: string): Promise<void> {
  await q('group_parents').where({ parent_id: parentId }).delete();
}

/** Ids of a group and all its ancestors (recursive, cycle-safe through UNION). */
export async function ancestorIds(q: Queryable, groupIds: readonly string[]): Promise<Set<string>> {
  const rows = await perChunk(groupIds, async (part) => {
    const res = await q.raw(
      `with recursive a(id) as (select id from groups where id in (${part.map(() => '?').join(',')})
         union select p.parent_id from group_parents p join a on p.group_id = a.id)
       select id from a`, part);
    return (Array.isArray(res) ? res : res.rows) as Array<{ id: string }>;
  });
  return new Set(rows.map((r) => String(r.id)));
}

/** The user's direct groups plus all their ancestors. */
export async function userGroupClosure(q: Queryable, userId: string): Promise<Set<string>> {
  const res = await q.raw(
    `with recursive a(id) as (select group_id from group_members where user_id = ?
       union select p.parent_id from group_parents p join a on p.group_id = a.id)
     select id from a`, [userId]);
  const rows = (Array.isArray(res) ? res : res.rows) as Array<{ id: string }>;
  return new Set(rows.map((r) => String(r.id)));
}

/** True when any of the groups has is_superuser. */
export async function anySuperuser(q: Queryable, groupIds: Iterable<string>): Promise<boolean> {
  const ids = [...groupIds];
  for (const part of chunks(ids)) {
    if (await q('groups').whereIn('id', part).andWhere('is_superuser', true).first('id')) return true;
  }
  return false;
}

/** Serialises writers of the group graph on PostgreSQL so two concurrent edits cannot close a cycle. */
export async function lockGroupGraph(q: Queryable): Promise<void> {
  if ((q as { client?: { config?: { client?: string } } }).client?.config?.client === 'pg') {
    await q.raw('select pg_advisory_xact_lock(7429001)');
  }
}
