/**
 * The `user_values` rows (migration 0006): one per element of a user's multi-valued attributes,
 * derived from `email` and `attributes` by src/domain/multi-valued.ts. Rewritten whenever either
 * changes, inside the same transaction as the user row, so a filter never sees them disagree.
 */
import { elementColumns, userElements } from '../domain/multi-valued.js';
import type { JsonObject } from '../domain/types.js';
import { insertChunked } from './chunks.js';
import type { Queryable } from './rows.js';

/** The rows for one user, as `insertChunked` takes them (booleans as 1/0 on SQLite). */
export function userValueRows(userId: string, email: string | null, attributes: JsonObject, pg: boolean): Record<string, unknown>[] {
  return userElements(email, attributes).map(({ attr, position, element }) => {
    const cols = elementColumns(element);
    return { user_id: userId, attr, position, ...cols, is_primary: pg ? cols.is_primary : cols.is_primary ? 1 : 0 };
  });
}

/** Replaces a user's rows. */
export async function writeUserValues(q: Queryable, userId: string, email: string | null, attributes: JsonObject): Promise<void> {
  const pg = (q as { client?: { config?: { client?: string } } }).client?.config?.client === 'pg';
  await q('user_values').where({ user_id: userId }).delete();
  await insertChunked(q, 'user_values', userValueRows(userId, email, attributes, pg));
}
