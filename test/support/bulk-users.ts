/**
 * Many users at once for the large-list tests: written with plain multi-row INSERTs (500 rows a
 * statement), so a test of the store's chunking does not lean on the code under test to set up.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/store/database.js';

/** Inserts `count` users named `<prefix>-<n>`; returns their ids in order. */
export async function insertUsers(db: Database, count: number, prefix = 'bulk'): Promise<string[]> {
  const ids: string[] = [];
  const now = new Date().toISOString();
  const cols = ['id', 'username', 'username_ci', 'name', 'name_ci', 'path', 'type', 'is_active', 'attributes', 'created_at', 'updated_at', 'version'];
  for (let start = 0; start < count; start += 500) {
    const rows: unknown[] = [];
    const n = Math.min(500, count - start);
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      ids.push(id);
      const username = `${prefix}-${start + i}`;
      rows.push(id, username, username, '', '', 'users', 'internal', db.dialect === 'pg' ? true : 1, '{}', now, now, 1);
    }
    const tuple = `(${cols.map(() => '?').join(', ')})`;
    await db.knex.raw(`insert into users (${cols.join(', ')}) values ${new Array(n).fill(tuple).join(', ')}`, rows as never[]);
  }
  return ids;
}
