/**
 * Batched writes to a SQLite file from a thread of their own (node:worker_threads), so the
 * process's event loop never waits for them. better-sqlite3 is synchronous: a flush of the
 * batched bind events (hundreds of rows into five indexes, ~30 ms at a few thousand binds a
 * second) stopped every request of the process for as long. The thread has its own connection
 * to the same WAL file, takes the write lock with BEGIN IMMEDIATE and waits for it there (busy
 * timeout 5 s) without stopping anything else. PostgreSQL and `:memory:` have no thread: their
 * writes go through knex as before.
 *
 * Only for writes nothing in this process reads back at once (the bind events and last_login):
 * they are committed when the promise resolves, as a knex transaction's are.
 */
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import { onDatabaseClose, SQLITE_BUSY_TIMEOUT_MS, SQLITE_CACHE_SIZE, type Database } from './database.js';

/** One statement of a batch: SQL with `?` placeholders and its values (text, numbers, null). */
export interface WriteStatement {
  readonly sql: string;
  readonly bindings: readonly (string | number | null)[];
}

interface Reply {
  readonly id: number;
  readonly error?: { readonly message: string; readonly code?: string };
}

class WriteThread {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private failed: Error | null = null;

  constructor(filename: string) {
    this.worker = new Worker(new URL('./write-thread-main.js', import.meta.url), {
      workerData: { filename, busyTimeoutMs: Math.max(SQLITE_BUSY_TIMEOUT_MS, 5000), cacheSize: SQLITE_CACHE_SIZE },
    });
    this.worker.unref(); // pending batches are flushed before the database closes
    this.worker.on('message', (r: Reply) => {
      const w = this.waiting.get(r.id);
      if (!w) return;
      this.waiting.delete(r.id);
      if (r.error) w.reject(Object.assign(new Error(r.error.message), r.error.code ? { code: r.error.code } : {}));
      else w.resolve();
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const w of this.waiting.values()) w.reject(e);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the SQLite write thread exited (${code})`)));
  }

  /** The thread is gone (it failed or exited): a new one takes the next batch. */
  get dead(): boolean {
    return this.failed !== null;
  }

  /** Runs the statements in one transaction. @throws the driver's error (nothing is written then) */
  run(statements: readonly WriteStatement[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.next++;
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, statements });
    });
  }

  close(): void {
    void this.worker.terminate();
  }
}

const threads = new WeakMap<Database, WriteThread | null>();

function threadFor(db: Database): WriteThread | null {
  let t = threads.get(db);
  if (t === undefined || t?.dead === true) {
    const filename = (db.knex.client as unknown as { connectionSettings: { filename?: string } }).connectionSettings.filename;
    t = db.dialect === 'sqlite' && filename && filename !== ':memory:' && !filename.startsWith('file:') ? new WriteThread(filename) : null;
    const first = !threads.has(db);
    threads.set(db, t);
    // Once the database closes, nothing starts a thread for it again.
    if (first && t) onDatabaseClose(db, () => {
      threads.get(db)?.close();
      threads.set(db, null);
    });
  }
  return t;
}

/** Runs the statements in one transaction: on a SQLite file in the write thread, else through knex. @throws the driver's error */
export async function runWriteBatch(db: Database, statements: readonly WriteStatement[]): Promise<void> {
  if (statements.length === 0) return;
  const thread = threadFor(db);
  if (thread) return thread.run(statements);
  await db.transaction(async (trx: Knex.Transaction) => {
    for (const s of statements) await trx.raw(s.sql, [...s.bindings]);
  });
}
