import type { Knex } from 'knex';
import { translateDriverError } from '../store/database.js';

/**
 * Runs `fn` in a savepoint of an open transaction: if it throws, only its own writes are
 * undone and the outer transaction goes on (SCIM Bulk: one failed operation, the rest stand).
 */
export async function inSavepoint<T>(trx: Knex.Transaction, fn: (savepoint: Knex.Transaction) => Promise<T>): Promise<T> {
  try {
    return await trx.transaction(fn);
  } catch (e) {
    throw translateDriverError(e);
  }
}
