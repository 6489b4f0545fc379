import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import { Unavailable } from '../domain/errors.js';

export type Dialect = 'sqlite' | 'pg';

/** The store's handle: a knex instance and which dialect it speaks. Only src/store uses `knex`. */
export interface Database {
  readonly knex: Knex;
  readonly dialect: Dialect;
  /** Runs `fn` in one transaction; driver errors leave as dirgate errors. */
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

// PostgreSQL's int8 (count(*), bigint) arrives as a string by default; our counts fit a double.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** Opens (but does not migrate) the database named by a `sqlite:PATH` or `postgres://` URL. */
export function openDatabase(url: string, options: { poolMax?: number; searchPath?: string[] } = {}): Database {
  let knex: Knex;
  let dialect: Dialect;
  if (url.startsWith('sqlite:')) {
    dialect = 'sqlite';
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : resolve(file);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    knex = knexFactory({
      client: 'better-sqlite3',
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          try {
            conn.pragma('journal_mode = WAL');
            conn.pragma('foreign_keys = ON');
            conn.pragma('busy_timeout = 5000');
            conn.pragma('synchronous = NORMAL');
            done(null, conn);
          } catch (e) {
            done(e as Error, conn);
          }
        },
      },
    });
  } else {
    dialect = 'pg';
    knex = knexFactory({
      client: 'pg',
      connection: { connectionString: url, connectionTimeoutMillis: 5000 } as Knex.PgConnectionConfig,
      pool: { min: 0, max: options.poolMax ?? 10 },
      ...(options.searchPath ? { searchPath: options.searchPath } : {}),
      acquireConnectionTimeout: 10000,
    });
  }
  const db: Database = {
    knex,
    dialect,
    async transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
      try {
        return await knex.transaction(fn);
      } catch (e) {
        throw translateDriverError(e);
      }
    },
    close: () => {
      for (const f of closers.get(db) ?? []) f();
      closers.delete(db);
      return knex.destroy();
    },
  };
  return db;
}

const closers = new WeakMap<Database, Array<() => void>>();

/** Registers `f` to run when `db` closes (e.g. prepared.ts's own read connection). */
export function onDatabaseClose(db: Database, f: () => void): void {
  const list = closers.get(db) ?? [];
  list.push(f);
  closers.set(db, list);
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P03', '08006', '08001', '08003']);

/** True for a driver error meaning "the database is not there". */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string };
  if (!err || typeof err !== 'object') return false;
  if (err.code && CONNECTION_CODES.has(err.code)) return true;
  if (err.name === 'KnexTimeoutError') return true;
  return /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect/i.test(err.message ?? '');
}

/** True for a unique-constraint violation on either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const err = e as { code?: string };
  return err?.code === '23505' || err?.code === 'SQLITE_CONSTRAINT_UNIQUE' || err?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** True for a foreign-key violation on either dialect. */
export function isForeignKeyViolation(e: unknown): boolean {
  const err = e as { code?: string };
  return err?.code === '23503' || err?.code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

/** Connection failures become `Unavailable`; dirgate errors and the rest pass through. */
export function translateDriverError(e: unknown): unknown {
  if (isConnectionError(e)) return new Unavailable('the database is unavailable');
  return e;
}
