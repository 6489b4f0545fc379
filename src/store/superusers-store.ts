/**
 * Who is a superuser, read inside the caller's transaction, and the lock that serialises every
 * change that could leave the directory without one (see migrations/0003-object-permissions.ts).
 */
import { chunks } from './chunks.js';
import type { Queryable } from './rows.js';

function rowsOf(res: unknown): Array<Record<string, unknown>> {
  return (Array.isArray(res) ? res : (res as { rows: Array<Record<string, unknown>> }).rows);
}

function bool(q: Queryable, b: boolean): boolean | number {
  return (q as { client?: { config?: { client?: string } } }).client?.config?.client === 'pg' ? b : b ? 1 : 0;
}

// Every group below a superuser group (is_superuser, or a descendant of one) grants superuser.
const SUPERUSER_GROUPS = `with recursive su(id) as (
  select id from groups where is_superuser = ?
  union select p.group_id from group_parents p join su on p.parent_id = su.id)`;

/**
 * Takes the superuser lock for the rest of the transaction. Call it as the transaction's first
 * statement: on SQLite a write first makes the transaction a writer before it reads anything
 * (a reader that later writes over a newer commit fails with SQLITE_BUSY_SNAPSHOT); on
 * PostgreSQL the row lock queues a second transaction (any instance) until the first commits,
 * and READ COMMITTED statements after it see that commit.
 */
export async function lockSuperusers(q: Queryable): Promise<void> {
  await q('dirgate_locks').where({ name: 'superusers' }).update({ n: q.raw('n + 1') });
}

/** How many active users are superusers (directly or through a parent group). */
export async function countActiveSuperusers(q: Queryable): Promise<number> {
  const res = await q.raw(`${SUPERUSER_GROUPS}
    select count(distinct m.user_id) as n from group_members m join users u on u.id = m.user_id
     where m.group_id in (select id from su) and u.is_active = ?`, [bool(q, true), bool(q, true)]);
  return Number(rowsOf(res)[0]?.n ?? 0);
}

/** The ids among `userIds` that are superusers. */
export async function superuserIdsAmong(q: Queryable, userIds: readonly string[]): Promise<Set<string>> {
  if (userIds.length === 0) return new Set();
  const out = new Set<string>();
  for (const chunk of chunks(userIds)) {
    const res = await q.raw(`${SUPERUSER_GROUPS}
      select distinct m.user_id as id from group_members m
       where m.group_id in (select id from su) and m.user_id in (${chunk.map(() => '?').join(',')})`, [bool(q, true), ...chunk]);
    for (const r of rowsOf(res)) out.add(String(r.id));
  }
  return out;
}

/** The ids among `groupIds` that grant superuser: flagged, or below a flagged group. */
export async function superuserGroupIdsAmong(q: Queryable, groupIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const chunk of chunks(groupIds)) {
    const res = await q.raw(`${SUPERUSER_GROUPS}
      select id from su where id in (${chunk.map(() => '?').join(',')})`, [bool(q, true), ...chunk]);
    for (const r of rowsOf(res)) out.add(String(r.id));
  }
  return out;
}
