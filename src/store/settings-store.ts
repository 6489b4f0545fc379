import type { Database } from './database.js';
import { preparedReader } from './prepared.js';
import { jsonColumn, nowIso, type Queryable } from './rows.js';

export async function readSettings(q: Queryable): Promise<Record<string, unknown>> {
  const rows = await q('settings').select('key', 'value');
  // PostgreSQL's jsonb arrives parsed (a string setting as a JS string); SQLite's text is JSON text.
  const parsed = q.client.config.client === 'pg';
  const out: Record<string, unknown> = Object.create(null);
  for (const r of rows) {
    const v = r.value;
    out[String(r.key)] = !parsed && typeof v === 'string' ? JSON.parse(v) : v;
  }
  return out;
}

/**
 * The stored settings as `key → JSON text`, through the prepared-statement path (every sign-in
 * and most requests read them: fresh from the database each time, parsed by the caller only
 * when the text changed).
 */
export async function readSettingTexts(db: Database): Promise<Array<[string, string]>> {
  const sql = db.dialect === 'pg' ? 'SELECT key, value::text AS value FROM settings ORDER BY key' : 'SELECT key, value FROM settings ORDER BY key';
  const rows = await preparedReader(db).arrays(sql, []);
  return rows.map((r) => [String(r[0]), String(r[1])]);
}

export async function writeSetting(q: Queryable, key: string, value: unknown): Promise<void> {
  const doc = jsonColumn(value);
  await q('settings').insert({ key, value: doc, updated_at: nowIso() }).onConflict('key').merge(['value', 'updated_at']);
}
