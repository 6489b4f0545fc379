import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import knexFactory from 'knex';
import type { Knex } from 'knex';
import pg from 'pg';
import { Conflict, NotFound, Unavailable } from '../domain/errors.js';
import { statementsOf, type SqliteHandle } from './statements.js';

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
/** Where knex's own warnings go (a lost pooled connection: "Acquire connection error …"). */
export interface DatabaseLog {
  warn(obj: object, msg: string): void;
}

export function openDatabase(url: string, options: { poolMax?: number; searchPath?: string[]; log?: DatabaseLog } = {}): Database {
  // Without a logger knex prints to the console; a server's log is JSON (pino), one record each.
  const log = options.log;
  const knexLog = log ? {
    log: {
      warn: (m: unknown) => log.warn({ knex: String(m).split('\n')[0] }, 'database warning'),
      error: (m: unknown) => log.warn({ knex: String(m).split('\n')[0] }, 'database error'),
      deprecate: () => undefined,
      debug: () => undefined,
    },
  } : {};
  let knex: Knex;
  let dialect: Dialect;
  if (url.startsWith('sqlite:')) {
    dialect = 'sqlite';
    const file = url.slice('sqlite:'.length);
    const filename = file === ':memory:' ? ':memory:' : resolve(file);
    if (filename !== ':memory:') mkdirSync(dirname(filename), { recursive: true });
    knex = knexFactory({
      client: translatingClient('better-sqlite3'),
      ...knexLog,
      connection: { filename },
      useNullAsDefault: true,
      pool: {
        min: 1,
        max: 1,
        afterCreate(conn: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) {
          setUpSqliteConnection(conn).then(() => done(null, conn), (e: unknown) => done(e as Error, conn));
        },
      },
    });
  } else {
    dialect = 'pg';
    knex = knexFactory({
      client: translatingClient('postgres'),
      ...knexLog,
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
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          return await knex.transaction(fn);
        } catch (e) {
          // Several worker processes share one SQLite file: a transaction that read before another
          // process committed cannot write (SQLITE_BUSY_SNAPSHOT), and waiting does not help it —
          // running it again from the start does; so does one that found the lock held.
          if (dialect === 'sqlite' && isBusy(e) && Date.now() - started < SQLITE_BUSY_WAIT_MS) {
            await busyPause(attempt);
            continue;
          }
          throw translateDriverError(e);
        }
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

/**
 * Where SQLite keeps its transient tables (a recursive CTE's UNION, a sort without an index):
 * in memory. The default opens a temporary file for each one, which made a group-closure walk
 * (the superuser and visibility checks of every LDAP search) cost 200–300 µs instead of 20–50 µs
 * at 10k users. Sorts of very large results then take memory rather than disk; listings are
 * paged on indexed keys, so they stay small.
 */
export const SQLITE_TEMP_STORE = 'MEMORY';

const closers = new WeakMap<Database, Array<() => void>>();

/** Registers `f` to run when `db` closes (e.g. prepared.ts's own read connection). */
export function onDatabaseClose(db: Database, f: () => void): void {
  const list = closers.get(db) ?? [];
  list.push(f);
  closers.set(db, list);
}

type ClientClass = typeof Knex.Client;

/** What the statement cache's users need of a better-sqlite3 connection. */
interface SqliteConnection extends SqliteHandle {
  readonly inTransaction: boolean;
}

const requireCjs = createRequire(import.meta.url);

/**
 * knex's own dialect client with every query's (and every connection acquisition's) driver
 * error translated here, in the store: whatever path a query takes (a transaction, a bare
 * read, a stream's setup), a lost connection leaves as `Unavailable` and a foreign-key race as
 * `NotFound`, never as a raw driver error a door would answer with 500. Transactions are made
 * from the same class (knex's makeTxClient uses the client's prototype), so they translate too.
 */
function translatingClient(dialect: 'postgres' | 'better-sqlite3'): ClientClass {
  const Base = requireCjs(`knex/lib/dialects/${dialect}/index.js`) as ClientClass;
  const name = dialect === 'postgres' ? 'pg' : 'better-sqlite3';
  const baseQuery = (Base.prototype as unknown as { _query(this: unknown, c: unknown, o: unknown): Promise<unknown> })._query;
  return class TranslatingClient extends Base {
    constructor(config: Knex.Config) {
      super(config);
      // Code that asks which driver this is (migrations, throttle-store) reads the name, as before.
      (this.config as { client?: unknown }).client = name;
    }
    /**
     * SQLite: knex prepares every statement anew; this runs them from the connection's
     * statement cache (src/store/statements.ts), so a statement run again (every sign-in's
     * counters, every batch of bind events) skips SQLite's parser and planner.
     */
    async _query(connection: unknown, obj: { sql?: string; bindings?: unknown[]; options?: unknown; response?: unknown; context?: unknown }): Promise<unknown> {
      if (dialect !== 'better-sqlite3' || !obj.sql || !connection) return baseQuery.call(this, connection, obj);
      const conn = connection as SqliteConnection;
      const statement = statementsOf(conn).get(conn, obj.sql);
      const bindings = (this as unknown as { _formatBindings(b: unknown): unknown[] })._formatBindings(obj.bindings);
      const started = Date.now();
      for (let attempt = 1; ; attempt++) {
        try {
          if (statement.reader) {
            obj.response = statement.all(bindings);
            return obj;
          }
          const response = statement.run(bindings);
          obj.response = response;
          obj.context = { lastID: response.lastInsertRowid, changes: response.changes };
          return obj;
        } catch (e) {
          // A statement of its own (no transaction open) that found the lock held waits for it
          // here without holding up the event loop; inside a transaction the transaction is retried.
          if (!isBusy(e) || conn.inTransaction || Date.now() - started >= SQLITE_BUSY_WAIT_MS) throw e;
          await busyPause(attempt);
        }
      }
    }
    override query(connection: unknown, queryParam: unknown): Promise<unknown> {
      return (super.query(connection, queryParam) as Promise<unknown>).catch((e: unknown) => { throw translateDriverError(e); });
    }
    override async acquireConnection(): Promise<unknown> {
      try {
        return await super.acquireConnection();
      } catch (e) {
        throw translateDriverError(e);
      }
    }
  } as unknown as ClientClass;
}

// Class 08 (connection exception), 57P01-57P03 (admin/crash shutdown, cannot connect now),
// 53300 (too many connections): the database is not there for us right now.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08004', '08006', '08007', '08P01',
]);

// node-postgres's words for a connection that died under a query or a transaction (it gives no
// code): "Connection terminated unexpectedly", "Client has encountered a connection error and is
// not queryable", "Client was closed and is not queryable".
const CONNECTION_MESSAGES = /Connection terminated|connect ECONNREFUSED|timeout exceeded when trying to connect|is not queryable|Connection ended unexpectedly|Unable to acquire a connection/i;

/** True for a driver error meaning "the database is not there". */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; name?: string; message?: string };
  if (!err || typeof err !== 'object') return false;
  if (err.code && CONNECTION_CODES.has(err.code)) return true;
  if (err.name === 'KnexTimeoutError') return true;
  return CONNECTION_MESSAGES.test(err.message ?? '');
}

/** SQLite's page cache per connection: negative is KiB (64 MiB). */
export const SQLITE_CACHE_SIZE = -65536;

/** How long SQLite waits for a lock inside one statement (synchronously: see openDatabase). */
export const SQLITE_BUSY_TIMEOUT_MS = 20;
/** How long a statement or transaction refused as busy is tried again (asynchronously) before it answers Unavailable. */
const SQLITE_BUSY_WAIT_MS = 5000;

/**
 * A new knex connection's settings. Opening a WAL file another process is opening or
 * recovering at the same moment (every worker of an instance starts at once; a replaced worker
 * starts while the others write) can find the file locked: that is tried again, without
 * stopping the event loop, for as long as a busy statement is (SQLITE_BUSY_WAIT_MS).
 */
async function setUpSqliteConnection(conn: { pragma(s: string): unknown }): Promise<void> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      // First, so the pragmas below wait briefly for a lock rather than fail at once.
      // Short: better-sqlite3 waits for a lock synchronously, stopping this process's event
      // loop (every request of this worker) meanwhile; longer waits are asynchronous retries.
      conn.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      conn.pragma('journal_mode = WAL');
      conn.pragma('foreign_keys = ON');
      conn.pragma('synchronous = NORMAL');
      conn.pragma(`temp_store = ${SQLITE_TEMP_STORE}`);
      // The batched bind events insert into five indexes at once: keep their hot pages in
      // memory between flushes rather than SQLite's default 2 MiB (grown only as used).
      conn.pragma(`cache_size = ${SQLITE_CACHE_SIZE}`);
      return;
    } catch (e) {
      if (!isBusy(e) || Date.now() - started >= SQLITE_BUSY_WAIT_MS) throw e;
      await busyPause(attempt);
    }
  }
}

/** A short random pause before trying again, growing with the attempts up to 50 ms. */
function busyPause(attempt: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 5 * attempt)));
}

/** The `Unavailable` errors that stand for SQLITE_BUSY/LOCKED, so a transaction can still run again. */
const BUSY_ERRORS = new WeakSet<object>();

/** SQLite's "another connection holds the lock" (after busy_timeout) or "your snapshot is stale". */
export function isBusy(e: unknown): boolean {
  // Queries translate their errors as they fail, so a transaction sees the translated busy error.
  if (e && typeof e === 'object' && BUSY_ERRORS.has(e)) return true;
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
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

/** What a row of each referenced table is called in an error message. */
const ENTITY: ReadonlyMap<string, string> = new Map([
  ['users', 'user'], ['groups', 'group'], ['roles', 'role'], ['applications', 'application'],
  ['sessions', 'session'], ['api_tokens', 'API token'], ['exports', 'export'],
]);

/**
 * A foreign-key violation as what it means to the caller: a row this write refers to was
 * deleted meanwhile (another request's delete won the race) → NotFound naming it; a row still
 * referenced cannot go → Conflict. PostgreSQL names the key in `detail`; SQLite names nothing.
 */
function foreignKeyError(e: unknown): NotFound | Conflict {
  const detail = String((e as { detail?: unknown }).detail ?? '');
  const missing = /Key \((?:[^)]*)\)=\((.*)\) is not present in table "([^"]+)"/.exec(detail);
  if (missing) return new NotFound(`the ${ENTITY.get(missing[2]!) ?? missing[2]!} ${missing[1]!} no longer exists (deleted meanwhile)`);
  const referenced = /Key \((?:[^)]*)\)=\((.*)\) is still referenced from table "([^"]+)"/.exec(detail);
  const table = (e as { table?: unknown }).table;
  if (referenced) return new Conflict(`the ${ENTITY.get(String(table)) ?? String(table ?? 'row')} ${referenced[1]!} is still referenced (${referenced[2]!})`);
  return new NotFound('something this change refers to no longer exists (deleted meanwhile)');
}

/**
 * Driver errors as dirgate errors: connection failures become `Unavailable`, foreign-key
 * violations `NotFound`/`Conflict`; dirgate errors and the rest (unique violations, which the
 * store functions catch themselves) pass through.
 */
export function translateDriverError(e: unknown): unknown {
  if (isConnectionError(e)) return new Unavailable('the database is unavailable');
  if (isBusy(e)) {
    if (e instanceof Unavailable) return e;
    const busy = new Unavailable('the database is busy; try again');
    BUSY_ERRORS.add(busy);
    return busy;
  }
  if (isForeignKeyViolation(e)) return foreignKeyError(e);
  return e;
}
