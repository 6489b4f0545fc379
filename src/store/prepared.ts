/**
 * A prepared-statement fast path for hot read paths (LDAP search and bind), bypassing knex's
 * query builder: the caller brings SQL text with `?` placeholders (from the query engine's
 * `compileWhere`, whose text is stable for a filter shape) and bindings.
 *
 * - SQLite: statements are prepared once per SQL text and kept (LRU). File databases are read
 *   through a dedicated read-only better-sqlite3 connection to the same WAL file, so a reader
 *   never queues behind a writer's open transaction on knex's single connection, and every
 *   statement reads the latest committed state (WAL snapshot per statement: nothing is cached
 *   but the compiled statement). `:memory:` databases fall back to knex's connection.
 * - PostgreSQL: named prepared statements through the pg driver on knex's pool (parsed and
 *   planned once per connection, per SQL text); past MAX_NAMED texts queries run unnamed.
 *
 * Reads only: the statements here never write.
 */
import Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';
import { onDatabaseClose, SQLITE_CACHE_SIZE, SQLITE_TEMP_STORE, translateDriverError } from './database.js';
import { StatementCache, statementsOf, type SqliteHandle } from './statements.js';
import type { Database } from './database.js';

export type Row = Record<string, unknown>;

/** Distinct SQL texts given a server-side name on PostgreSQL (each is prepared per connection). */
const MAX_NAMED = 256;

interface PgConnection {
  query(q: { name?: string; text: string; values: unknown[]; rowMode?: 'array' }): Promise<{ rows: unknown[] }>;
}

interface KnexClient {
  acquireConnection(): Promise<unknown>;
  releaseConnection(c: unknown): Promise<unknown> | unknown;
  positionBindings(sql: string): string;
  connectionSettings: { filename?: string };
}

/** Runs read statements for one database. */
export interface PreparedReader {
  /** All rows of a read statement. @throws Unavailable when the database cannot be reached */
  all(sql: string, bindings: readonly unknown[]): Promise<Row[]>;
  /** Rows as arrays in select-list order (cheaper than objects on hot paths). @throws Unavailable */
  arrays(sql: string, bindings: readonly unknown[]): Promise<unknown[][]>;
  /**
   * A number that changes whenever a transaction commits to the database from any connection of
   * any process (SQLite's `data_version` on the read connection), so a result read when it had
   * one value is still the database's while it has that value; null when this reader cannot tell
   * (PostgreSQL, `:memory:`): nothing may then be kept across reads.
   */
  version(): number | null;
  /**
   * The database's state as one text, equal between two calls only if nothing that changes an
   * answer committed in between, from any connection of any process or instance: on SQLite the
   * change counter (change-counter.ts: every commit but the event log's and last_login's; read
   * when `data_version` moves), on PostgreSQL `pg_current_snapshot()` (xmin:xmax:in-progress ids:
   * a commit anywhere in the cluster takes an id or ends one, so the text changes; one round
   * trip, shared by the callers that asked while the last was in flight).
   * Null when this reader cannot tell (`:memory:`). Read it BEFORE the reads it vouches for.
   * @throws Unavailable
   */
  snapshot(): Promise<string | null>;
  close(): void;
}

const readers = new WeakMap<Database, PreparedReader>();

/** The reader for `db`, made on first use. */
export function preparedReader(db: Database): PreparedReader {
  let r = readers.get(db);
  if (!r) {
    r = db.dialect === 'sqlite' ? new SqliteReader(db.knex) : new PgReader(db.knex);
    readers.set(db, r);
    const reader = r;
    onDatabaseClose(db, () => reader.close());
  }
  return r;
}

/** Closes `db`'s reader (its SQLite connection; also done when `db` closes); later reads go through knex's connection. */
export function closePreparedReader(db: Database): void {
  readers.get(db)?.close();
}

function sqliteValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof Date) return v.valueOf();
  return v;
}

class SqliteReader implements PreparedReader {
  private own: Sqlite.Database | null = null;
  private ownTried = false;
  private closed = false;
  private readonly ownStatements = new StatementCache();
  private dataVersion: Sqlite.Statement | null = null;
  private changes: Sqlite.Statement | null = null;
  private counted: { readonly version: number; readonly snapshot: string } | null = null;

  constructor(private readonly knex: Knex) {}

  private client(): KnexClient {
    return this.knex.client as unknown as KnexClient;
  }

  private dedicated(): Sqlite.Database | null {
    if (this.closed) return null;
    if (!this.ownTried) {
      this.ownTried = true;
      const file = this.client().connectionSettings.filename;
      if (file && file !== ':memory:' && !file.startsWith('file:')) {
        try {
          // Not opened read-only: a read-only connection that finds no -shm file (the last
          // connection's close removes it) cannot create one and keeps the WAL index in its own
          // memory under a lock that holds every writer off ("database is locked"). A normal
          // connection told to refuse writes (query_only) shares the -shm like any other.
          const conn = new Sqlite(file, { fileMustExist: true });
          conn.pragma('query_only = ON');
          conn.pragma('busy_timeout = 5000');
          conn.pragma(`temp_store = ${SQLITE_TEMP_STORE}`);
          // Lookups hit random users: keep the hot pages in memory and read the file through
          // mmap rather than a pread per page (measured: the page cache misses cost more than
          // the statements themselves at 10k users).
          conn.pragma(`cache_size = ${SQLITE_CACHE_SIZE}`);
          conn.pragma('mmap_size = 268435456');
          this.own = conn;
        } catch {
          this.own = null; // e.g. the file is not there yet: use knex's connection
        }
      }
    }
    return this.own;
  }

  all(sql: string, bindings: readonly unknown[]): Promise<Row[]> {
    return this.run(sql, bindings, false) as Promise<Row[]>;
  }

  arrays(sql: string, bindings: readonly unknown[]): Promise<unknown[][]> {
    return this.run(sql, bindings, true) as Promise<unknown[][]>;
  }

  version(): number | null {
    // Only the dedicated connection can tell: knex's own connection does not see its own commits
    // in data_version, and it is the one that writes.
    const own = this.dedicated();
    if (!own) return null;
    try {
      this.dataVersion ??= own.prepare('pragma data_version').pluck();
      return this.dataVersion.get() as number;
    } catch (e) {
      throw translateDriverError(e);
    }
  }

  private async run(sql: string, bindings: readonly unknown[], raw: boolean): Promise<unknown[]> {
    const values = bindings.map(sqliteValue);
    const own = this.dedicated();
    if (own) {
      try {
        return this.ownStatements.get(own, sql, raw).all(...values);
      } catch (e) {
        throw translateDriverError(e);
      }
    }
    const client = this.client();
    let conn: unknown;
    try {
      conn = await client.acquireConnection();
    } catch (e) {
      throw translateDriverError(e);
    }
    try {
      // knex's connection (it may be replaced): its own cache, shared with knex's queries.
      return statementsOf(conn as object).get(conn as SqliteHandle, sql, raw).all(...values);
    } catch (e) {
      throw translateDriverError(e);
    } finally {
      await client.releaseConnection(conn);
    }
  }

  /**
   * The change counter (change-counter.ts) read at the last new data_version: commits that
   * change no answer (bind events, last_login) move data_version but leave the text as it was.
   * Read on this connection after data_version, so it is never older than the version it is
   * kept for. Without the counter (a store its triggers are not on yet): data_version itself.
   */
  async snapshot(): Promise<string | null> {
    const v = this.version();
    if (v === null) return null;
    if (this.counted?.version === v) return this.counted.snapshot;
    const n = this.changeCount();
    const snapshot = n === null ? `v${v}` : `c${n}`;
    this.counted = { version: v, snapshot };
    return snapshot;
  }

  /** directory_changes.n, or null while the store has no counting triggers. */
  private changeCount(): number | null {
    const own = this.dedicated();
    if (!own) return null;
    try {
      if (!this.changes) {
        const counted = own.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dg_change_%'").pluck().get() as number;
        if (counted === 0) return null;
        this.changes = own.prepare('SELECT n FROM directory_changes WHERE id = 1').pluck();
      }
      const n = this.changes.get() as number | undefined;
      return n === undefined ? null : n;
    } catch (e) {
      if (/no such table/.test(String((e as Error).message))) return null;
      throw translateDriverError(e);
    }
  }

  close(): void {
    this.closed = true;
    this.dataVersion = null;
    this.changes = null;
    this.counted = null;
    this.ownStatements.clear();
    this.own?.close();
    this.own = null;
  }
}

const SNAPSHOT_SQL = 'SELECT CAST(pg_current_snapshot() AS text)';

function ignore(): void {}

class PgReader implements PreparedReader {
  private readonly names = new Map<string, string>();
  private readonly texts = new Map<string, string>();
  /** The snapshot read in flight, and the one that follows it (see snapshot()). */
  private sentRead: Promise<string> | null = null;
  private nextRead: Promise<string> | null = null;
  /** Snapshot reads sent (for tests: how often concurrent callers shared one). */
  snapshotReads = 0;

  constructor(private readonly knex: Knex) {}

  all(sql: string, bindings: readonly unknown[]): Promise<Row[]> {
    return this.run(sql, bindings, false) as Promise<Row[]>;
  }

  arrays(sql: string, bindings: readonly unknown[]): Promise<unknown[][]> {
    return this.run(sql, bindings, true) as Promise<unknown[][]>;
  }

  private async run(sql: string, bindings: readonly unknown[], arrays: boolean): Promise<unknown[]> {
    const client = this.knex.client as unknown as KnexClient;
    let text = this.texts.get(sql);
    if (text === undefined) {
      text = client.positionBindings(sql);
      if (this.texts.size < MAX_NAMED * 4) this.texts.set(sql, text);
    }
    let name = this.names.get(sql);
    if (name === undefined && this.names.size < MAX_NAMED) {
      name = `dg_read_${this.names.size + 1}`;
      this.names.set(sql, name);
    }
    let conn: unknown;
    try {
      conn = await client.acquireConnection();
    } catch (e) {
      throw translateDriverError(e);
    }
    try {
      const res = await (conn as PgConnection).query({ ...(name ? { name } : {}), text, values: [...bindings], ...(arrays ? { rowMode: 'array' as const } : {}) });
      return res.rows;
    } catch (e) {
      throw translateDriverError(e);
    } finally {
      await client.releaseConnection(conn);
    }
  }

  version(): null {
    return null;
  }

  /**
   * Concurrent callers share one read (a group read, as a group commit): a caller that finds a
   * read already sent waits for the next one, sent once the first is answered, so every caller
   * gets a snapshot taken after it asked — as fresh as a read of its own — while under load one
   * round trip serves every request that arrived during the last. Measured on PostgreSQL with
   * 16 LDAP connections: the round trips, not the statement, are what a kept answer costs.
   */
  snapshot(): Promise<string | null> {
    if (this.nextRead) return this.nextRead;
    if (!this.sentRead) return this.sendSnapshotRead();
    const sent = this.sentRead;
    const next = sent.then(ignore, ignore).then(() => {
      this.nextRead = null;
      return this.sendSnapshotRead();
    });
    this.nextRead = next;
    return next;
  }

  /** A snapshot read sent now; it is the one in flight until answered. */
  private sendSnapshotRead(): Promise<string> {
    this.snapshotReads++;
    const read = this.run(SNAPSHOT_SQL, [], true).then((rows) => String((rows as unknown[][])[0]![0]));
    this.sentRead = read;
    const done = (): void => {
      if (this.sentRead === read) this.sentRead = null;
    };
    read.then(done, done);
    return read;
  }

  close(): void {
    // Named statements live and die with their pooled connections.
  }
}
