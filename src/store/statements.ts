/**
 * Prepared SQLite statements kept per connection, by SQL text (least recently used first out),
 * so a statement run again skips SQLite's parser and planner. Used by knex's connection (every
 * query, src/store/database.ts) and by the prepared reader's own connection (src/store/prepared.ts).
 * A better-sqlite3 statement runs to completion synchronously, so sharing one is safe; SQLite
 * re-prepares it by itself after a schema change.
 */
import type Sqlite from 'better-sqlite3';

/** Statements kept per connection. */
const MAX_STATEMENTS = 512;

export interface SqliteHandle {
  prepare(sql: string): Sqlite.Statement;
}

export class StatementCache {
  private readonly map = new Map<string, Sqlite.Statement>();

  /** The statement for `sql`; `raw` ones return rows as arrays. */
  get(handle: SqliteHandle, sql: string, raw = false): Sqlite.Statement {
    const key = raw ? `raw:${sql}` : sql;
    let s = this.map.get(key);
    if (s) {
      this.map.delete(key); // most recently used last
      this.map.set(key, s);
      return s;
    }
    s = handle.prepare(sql);
    if (raw) s.raw(true);
    if (this.map.size >= MAX_STATEMENTS) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, s);
    return s;
  }

  clear(): void {
    this.map.clear();
  }
}

const byConnection = new WeakMap<object, StatementCache>();

/** The one cache of a connection (knex's, shared by knex's queries and the reader's fallback). */
export function statementsOf(connection: object): StatementCache {
  let cache = byConnection.get(connection);
  if (!cache) byConnection.set(connection, (cache = new StatementCache()));
  return cache;
}
