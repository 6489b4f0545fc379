/**
 * Pages of users and groups for a validated query, mapped to domain records. A thin layer over
 * the store's query functions so the doors never handle raw rows or knex.
 */
import type { Group, User } from '../domain/types.js';
import type { Ordering } from '../query/ordering.js';
import type { Validated } from '../query/validate.js';
import type { Database } from '../store/database.js';
import { countGroups, countUsers, selectGroupRows, selectUserRows, selectUserRowsWithGroups, type IdRestriction, type QueryTarget, type Row, type SelectOptions } from '../store/query-sql.js';
import { groupRefsOfUsersPrepared, groupsOfUsers } from '../store/groups-store.js';
import { rowToGroup, rowToUser } from '../store/rows.js';
import { bearerFromJson, bearerGuardCtes, type BearerGuard, type BearerMatch } from '../store/auth-read-store.js';
import { queryable, type TxOptions } from './transactions.js';

export interface PageOptions extends TxOptions {
  readonly ordering?: Ordering;
  readonly limit: number;
  readonly offset: number;
  /** Only the records this subquery selects (what an object-permission holder may see). */
  readonly only?: IdRestriction;
}

/** A group as a list of users names it: its id and name. */
export type GroupRef = Pick<Group, 'id' | 'name'>;

async function page<T>(
  db: Database, v: Validated, opts: PageOptions,
  select: (t: QueryTarget, v: Validated, o: SelectOptions) => Promise<Row[]>,
  count: (t: QueryTarget, v: Validated, only?: IdRestriction) => Promise<number>,
  map: (r: Row) => T,
): Promise<{ items: T[]; total: number }> {
  const target = { knex: queryable(db, opts), dialect: db.dialect, ...(opts.unit ? {} : { database: db }) };
  const rows = opts.limit > 0
    ? await select(target, v, { ...(opts.ordering ? { ordering: opts.ordering } : {}), ...(opts.only ? { only: opts.only } : {}), limit: opts.limit, offset: opts.offset })
    : [];
  // A first page shorter than asked already tells the total (an existence probe): no count.
  const total = opts.offset === 0 && rows.length < opts.limit ? rows.length : await count(target, v, opts.only);
  return { items: rows.map(map), total };
}

/** One page of users matching `v`, and how many match in all. */
export async function listUsers(db: Database, v: Validated, opts: PageOptions): Promise<{ users: User[]; total: number }> {
  const { items, total } = await page(db, v, opts, selectUserRows, countUsers, rowToUser);
  return { users: items, total };
}

/**
 * `listUsers`, with each user's direct groups (by user id, in name order). PostgreSQL reads them
 * in the page's statement (a round trip saved); SQLite runs the two statements in-process, which
 * measured cheaper than its JSON aggregation.
 */
export async function listUsersWithGroups(db: Database, v: Validated, opts: PageOptions): Promise<{ users: User[]; total: number; groups: Map<string, GroupRef[]> }> {
  if (db.dialect === 'sqlite') {
    const { users, total } = await listUsers(db, v, opts);
    const q = queryable(db, opts);
    const groups = users.length === 0 ? new Map<string, GroupRef[]>()
      : opts.unit ? await groupsOfUsers(q, users.map((u) => u.id)) : await groupRefsOfUsersPrepared(db, users.map((u) => u.id));
    return { users, total, groups };
  }
  const groups = new Map<string, GroupRef[]>();
  const { items, total } = await page(db, v, opts, selectUserRowsWithGroups, countUsers, (r) => {
    const user = rowToUser(r);
    const raw = r.c_groups; // pg parses json
    groups.set(user.id, Array.isArray(raw) ? raw.map((g: { id: unknown; name: unknown }) => ({ id: String(g.id), name: String(g.name) })) : []);
    return user;
  });
  return { users: items, total, groups };
}

/** A bearer as a guarded read found it, with whether it holds the guard's permission. */
export type GuardedBearer = BearerMatch & { holds: boolean };

/**
 * `listUsersWithGroups` on PostgreSQL with the bearer check in the same statement: the page is
 * read only for a bearer holding `guard.permission`, and each row carries the bearer's row, which
 * the caller checks (AuthService.authenticateBearerAlong), and the statement's snapshot (the
 * database's state it read: `PreparedReader.snapshot` text). Null — read the usual way — when it
 * cannot tell alone: another dialect, a transaction, an offset, an empty page (no bearer
 * row either) or a full one (the total needs a count).
 */
export async function listUsersWithGroupsGuarded(db: Database, guard: BearerGuard, v: Validated, opts: PageOptions): Promise<{ match: GuardedBearer; snapshot: string; result: { users: User[]; total: number; groups: Map<string, GroupRef[]> } } | null> {
  if (db.dialect !== 'pg' || opts.unit || opts.offset !== 0 || opts.limit <= 0 || opts.only) return null;
  const target = { knex: db.knex, dialect: db.dialect, database: db };
  const rows = await selectUserRowsWithGroups(target, v, { ...(opts.ordering ? { ordering: opts.ordering } : {}), limit: opts.limit, offset: 0 }, bearerGuardCtes(guard));
  if (rows.length === 0 || rows.length >= opts.limit) return null;
  const match = bearerFromJson(rows[0]!.c_bearer);
  if (!match) return null;
  const groups = new Map<string, GroupRef[]>();
  const users = rows.map((r) => {
    const user = rowToUser(r);
    const raw = r.c_groups;
    groups.set(user.id, Array.isArray(raw) ? raw.map((g: { id: unknown; name: unknown }) => ({ id: String(g.id), name: String(g.name) })) : []);
    return user;
  });
  return { match, snapshot: String(rows[0]!.c_snapshot), result: { users, total: rows.length, groups } };
}

/** One page of groups matching `v`, and how many match in all. */
export async function listGroups(db: Database, v: Validated, opts: PageOptions): Promise<{ groups: Group[]; total: number }> {
  const { items, total } = await page(db, v, opts, selectGroupRows, countGroups, rowToGroup);
  return { groups: items, total };
}
