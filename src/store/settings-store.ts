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

export async function writeSetting(q: Queryable, key: string, value: unknown): Promise<void> {
  const doc = jsonColumn(value);
  await q('settings').insert({ key, value: doc, updated_at: nowIso() }).onConflict('key').merge(['value', 'updated_at']);
}
