import type { Knex } from 'knex';
import type { Database } from '../store/database.js';
import { translateDriverError } from '../store/database.js';

/** Options every writing service call takes: an outer transaction to join (SCIM Bulk, PATCH). */
export interface TxOptions {
  readonly trx?: Knex.Transaction;
}

/** Runs `fn` in the caller's transaction when given, else in a new one. */
export async function inTransaction<T>(db: Database, opts: TxOptions | undefined, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (opts?.trx) {
    try {
      return await fn(opts.trx);
    } catch (e) {
      throw translateDriverError(e);
    }
  }
  return db.transaction(fn);
}
