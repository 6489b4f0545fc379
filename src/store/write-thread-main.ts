/** The SQLite write thread (write-thread.ts): each message is one batch, run in one transaction. */
import { parentPort, workerData } from 'node:worker_threads';
import Sqlite from 'better-sqlite3';
import type { WriteStatement } from './write-thread.js';

const { filename, busyTimeoutMs, cacheSize } = workerData as { filename: string; busyTimeoutMs: number; cacheSize: number };
const conn = new Sqlite(filename, { fileMustExist: true });
// First, so that the pragmas below wait for a lock another process holds while it opens the
// file; waiting (for the write lock too) stops only this thread.
conn.pragma(`busy_timeout = ${busyTimeoutMs}`);
conn.pragma('journal_mode = WAL');
conn.pragma('foreign_keys = ON');
conn.pragma('synchronous = NORMAL');
conn.pragma(`cache_size = ${cacheSize}`);

const prepared = new Map<string, Sqlite.Statement>();

function statement(sql: string): Sqlite.Statement {
  let s = prepared.get(sql);
  if (!s) {
    if (prepared.size >= 256) prepared.clear();
    s = conn.prepare(sql);
    prepared.set(sql, s);
  }
  return s;
}

const batch = conn.transaction((statements: readonly WriteStatement[]) => {
  for (const s of statements) statement(s.sql).run(...s.bindings);
});

parentPort!.on('message', (m: { id: number; statements: WriteStatement[] }) => {
  try {
    batch.immediate(m.statements);
    parentPort!.postMessage({ id: m.id });
  } catch (e) {
    const err = e as { message?: string; code?: string };
    parentPort!.postMessage({ id: m.id, error: { message: String(err.message ?? e), ...(err.code ? { code: err.code } : {}) } });
  }
});
