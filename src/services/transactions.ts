import type { Knex } from 'knex';
import type { Database } from '../store/database.js';
import { translateDriverError } from '../store/database.js';
import type { Queryable } from '../store/rows.js';
import { transactionOfUnit, unitOf, type Unit } from './units.js';

/** Options every service call may take: an open unit of work to join (SCIM Bulk, PATCH). */
export interface TxOptions {
  readonly unit?: Unit;
}

/** The caller's transaction when it passed a unit, else the database. */
export function queryable(db: Database, opts: TxOptions | undefined): Queryable {
  return opts?.unit ? transactionOfUnit(opts.unit) : db.knex;
}

/** The options a service passes on to another service to join its own transaction. */
export function joining(trx: Knex.Transaction): TxOptions {
  return { unit: unitOf(trx) };
}

/** Runs `fn` in the caller's unit when given, else in a new transaction. */
export async function inTransaction<T>(db: Database, opts: TxOptions | undefined, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  if (opts?.unit) {
    const trx = transactionOfUnit(opts.unit);
    try {
      return await fn(trx);
    } catch (e) {
      throw translateDriverError(e);
    }
  }
  return db.transaction(fn);
}
