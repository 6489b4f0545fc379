/**
 * Runs validated queries against the `users` and `groups` tables and returns raw rows (the
 * repositories map them to domain objects). Offset pages, keyset pages, counts, and a
 * constant-memory stream in keyset batches for exports and LDAP paging.
 */
import type { Knex } from 'knex';
import { InvalidQuery } from '../domain/errors.js';
import type { Entity } from '../domain/catalogue.js';
import { ENTITY_TABLE } from '../domain/catalogue.js';
import { compileOrderBy, compileWhere, keysetAfter, parseOrdering } from '../query/sql.js';
import type { Ordering } from '../query/sql.js';
import type { Validated } from '../query/validate.js';
import { translateDriverError } from './database.js';
import type { Database, Dialect } from './database.js';
import { preparedReader } from './prepared.js';

/** A database or a transaction of one. */
export interface QueryTarget {
  readonly knex: Knex | Knex.Transaction;
  readonly dialect: Dialect;
  /**
   * The database itself, when the read is not part of a transaction: rows then come through
   * cached prepared statements (src/store/prepared.ts) instead of knex's builder.
   */
  readonly database?: Database;
}

export type Row = Record<string, unknown>;

export interface SelectOptions {
  /** Defaults to `seq` order. */
  readonly ordering?: Ordering;
  readonly limit?: number;
  readonly offset?: number;
  /** Keyset pagination: the last row of the previous page (as returned here). */
  readonly after?: Row;
  /** Only records whose id this SQL selects (object permissions: what the caller may see). */
  readonly only?: IdRestriction;
}

/** A subquery selecting the ids a caller may see, with its bindings (object-permissions-store.ts). */
export interface IdRestriction {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

/**
 * ` and <table>.id in (<only>)`. PostgreSQL gets `= ANY(ARRAY(...))`, as the query compiler's
 * relations do: the subquery runs once and the id index serves the rest, so a holder of three
 * users pages through three rows, not through every user in `seq` order.
 */
function onlyIds(dialect: Dialect, table: string, only: IdRestriction | undefined, bindings: unknown[]): string {
  if (!only) return '';
  bindings.push(...only.bindings);
  return dialect === 'pg' ? ` and ${table}.id = ANY(ARRAY(${only.sql}))` : ` and ${table}.id in (${only.sql})`;
}

/**
 * The SELECT behind `selectRows` as SQL text with `?` placeholders (for EXPLAIN too). The text is
 * stable per query shape, so the prepared-statement path compiles it once.
 */
export function selectSql(dialect: Dialect, v: Validated, entity: Entity, opts: SelectOptions = {}): { sql: string; bindings: unknown[] } {
  if (v.entity !== entity) throw new InvalidQuery(`a query for ${v.entity} cannot select ${entity}`);
  const table = ENTITY_TABLE[entity];
  const ordering = opts.ordering ?? parseOrdering('', entity);
  if (ordering.entity !== entity) throw new InvalidQuery(`an ordering for ${ordering.entity} cannot order ${entity}`);
  const where = compileWhere(v, dialect, table);
  const bindings: unknown[] = [...where.bindings];
  let sql = `select ${table}.* from ${table} where (${where.sql})${onlyIds(dialect, table, opts.only, bindings)}`;
  if (opts.after) {
    const k = keysetAfter(ordering, opts.after, table);
    sql += ` and (${k.sql})`;
    bindings.push(...k.bindings);
  }
  sql += ` order by ${compileOrderBy(ordering, table)}`;
  // SQLite: a bare `limit ?` bound to a JS number (a double) made a one-row index lookup cost
  // ~35 µs instead of ~15 (measured, better-sqlite3 12 / SQLite 3.53); the cast does not.
  const integer = dialect === 'sqlite' ? 'cast(? as integer)' : '?';
  if (opts.limit !== undefined || opts.offset) {
    sql += ` limit ${integer}`;
    bindings.push(opts.limit ?? (dialect === 'sqlite' ? -1 : null));
  }
  if (opts.offset) {
    sql += ` offset ${integer}`;
    bindings.push(opts.offset);
  }
  return { sql, bindings };
}

/** The COUNT behind `countRows`, as SQL text with `?` placeholders. */
export function countSql(dialect: Dialect, v: Validated, entity: Entity, only?: IdRestriction): { sql: string; bindings: unknown[] } {
  if (v.entity !== entity) throw new InvalidQuery(`a query for ${v.entity} cannot count ${entity}`);
  const table = ENTITY_TABLE[entity];
  const where = compileWhere(v, dialect, table);
  const bindings: unknown[] = [...where.bindings];
  return { sql: `select count(*) as n from ${table} where (${where.sql})${onlyIds(dialect, table, only, bindings)}`, bindings };
}

/** Runs read SQL: prepared statements outside a transaction, the transaction's connection inside one. */
async function read(db: QueryTarget, q: { sql: string; bindings: unknown[] }): Promise<Row[]> {
  if (db.database) return preparedReader(db.database).all(q.sql, q.bindings);
  try {
    const res = await db.knex.raw(q.sql, q.bindings as Knex.RawBinding[]);
    return (Array.isArray(res) ? res : res.rows) as Row[];
  } catch (e) {
    throw translateDriverError(e);
  }
}

/** Raw rows of `entity` matching `v`. */
export async function selectRows(db: QueryTarget, v: Validated, entity: Entity, opts: SelectOptions = {}): Promise<Row[]> {
  return read(db, selectSql(db.dialect, v, entity, opts));
}

/** How many records of `entity` match `v`. */
export async function countRows(db: QueryTarget, v: Validated, entity: Entity, only?: IdRestriction): Promise<number> {
  const rows = await read(db, countSql(db.dialect, v, entity, only));
  return Number(rows[0]?.n ?? 0);
}

/** Every matching row, fetched in keyset batches of `batchSize` so memory stays constant. */
export async function* streamRows(db: QueryTarget, v: Validated, entity: Entity, ordering?: Ordering, batchSize = 1000): AsyncGenerator<Row> {
  const o = ordering ?? parseOrdering('', entity);
  let after: Row | undefined;
  for (;;) {
    const rows = await selectRows(db, v, entity, { ordering: o, limit: batchSize, ...(after ? { after } : {}) });
    yield* rows;
    if (rows.length < batchSize) return;
    after = rows[rows.length - 1];
  }
}

/** Raw `users` rows matching `v`. */
export function selectUserRows(db: QueryTarget, v: Validated, opts: SelectOptions = {}): Promise<Row[]> {
  return selectRows(db, v, 'users', opts);
}

/**
 * PostgreSQL: `selectSql`'s page of users, each row with `c_groups`, the user's direct groups as
 * JSON `[{"id","name"}]` in `name_ci` order (as `groupsOfUsers`), in the same statement: a round
 * trip saved. The groups are gathered for the page's rows only (the page is cut first, then
 * ordered again). SQLite runs `groupsOfUsers` after the page: in-process, two statements
 * measured cheaper than its JSON aggregation.
 */
export function selectUsersWithGroupsSql(v: Validated, opts: SelectOptions = {}, guard?: { sql: string; bindings: readonly unknown[] }): { sql: string; bindings: unknown[] } {
  const page = selectSql('pg', v, 'users', opts);
  const groups = `(select coalesce(json_agg(json_build_object('id', g.id, 'name', g.name) order by g.name_ci), '[]'::json)
    from group_members m join groups g on g.id = m.group_id where m.user_id = users.id)`;
  const order = `order by ${compileOrderBy(opts.ordering ?? parseOrdering('', 'users'), 'users')}`;
  if (guard) {
    // The bearer check folded in (auth-read-store.ts bearerGuardCtes): each row carries the
    // bearer as JSON and the statement's own snapshot (what was read is the database at that
    // state: prepared.ts `snapshot`), and the page is read only for a bearer that holds the permission.
    return {
      sql: `with recursive ${guard.sql}
select users.*, ${groups} as c_groups, (select row_to_json(a) from a) as c_bearer, cast(pg_current_snapshot() as text) as c_snapshot
  from (${page.sql}) users where exists (select 1 from a where a.c_holds = 1) ${order}`,
      bindings: [...guard.bindings, ...page.bindings],
    };
  }
  return { sql: `select users.*, ${groups} as c_groups from (${page.sql}) users ${order}`, bindings: page.bindings };
}

/** PostgreSQL: `selectUserRows` with each row's direct groups (`selectUsersWithGroupsSql`). */
export function selectUserRowsWithGroups(db: QueryTarget, v: Validated, opts: SelectOptions = {}, guard?: { sql: string; bindings: readonly unknown[] }): Promise<Row[]> {
  if (db.dialect !== 'pg') throw new Error('selectUserRowsWithGroups is for PostgreSQL');
  return read(db, selectUsersWithGroupsSql(v, opts, guard));
}

export function countUsers(db: QueryTarget, v: Validated, only?: IdRestriction): Promise<number> {
  return countRows(db, v, 'users', only);
}

export function streamUserRows(db: QueryTarget, v: Validated, ordering?: Ordering, batchSize?: number): AsyncGenerator<Row> {
  return streamRows(db, v, 'users', ordering, batchSize);
}

/** Raw `groups` rows matching `v`. */
export function selectGroupRows(db: QueryTarget, v: Validated, opts: SelectOptions = {}): Promise<Row[]> {
  return selectRows(db, v, 'groups', opts);
}

export function countGroups(db: QueryTarget, v: Validated, only?: IdRestriction): Promise<number> {
  return countRows(db, v, 'groups', only);
}

export function streamGroupRows(db: QueryTarget, v: Validated, ordering?: Ordering, batchSize?: number): AsyncGenerator<Row> {
  return streamRows(db, v, 'groups', ordering, batchSize);
}
