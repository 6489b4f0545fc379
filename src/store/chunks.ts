/**
 * Bulk writes and id-list reads in bounded statements. knex writes a multi-row insert on SQLite
 * as `SELECT … UNION ALL …`, which SQLite refuses past 500 terms (a PATCH adding 1,000 members
 * answered 500), SQLite binds at most 32,766 parameters and PostgreSQL at most 65,535. Every
 * store function that takes a caller-sized list goes through here, so no list length can reach
 * those limits.
 */
import type { Queryable } from './rows.js';

/** Rows (or ids) per statement: under SQLite's 500-term compound SELECT limit with room to spare. */
export const CHUNK_SIZE = 400;

/** `items` in consecutive slices of at most `size`. */
export function* chunks<T>(items: readonly T[], size = CHUNK_SIZE): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}

/**
 * Inserts `rows` (all with the same keys; strings, numbers or null) into `table`, a bounded
 * multi-row `INSERT … VALUES` per chunk (raw: knex's builder costs more than the insert at this
 * size). `ignoreOn` makes conflicts on those columns a no-op (`ON CONFLICT … DO NOTHING`, which
 * both dialects speak).
 */
export async function insertChunked(q: Queryable, table: string, rows: readonly Record<string, unknown>[], ignoreOn?: readonly string[]): Promise<void> {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const conflict = ignoreOn ? ` on conflict (${ignoreOn.join(', ')}) do nothing` : '';
  // 400 rows a statement also bound the parameters: with up to 80 columns SQLite's 32,766 holds.
  for (const part of chunks(rows)) {
    const bindings = part.flatMap((r) => cols.map((c) => r[c] ?? null));
    await q.raw(`insert into ${table} (${cols.join(', ')}) values ${part.map(() => tuple).join(', ')}${conflict}`, bindings as never[]);
  }
}

/** Runs `fn` once per chunk of `ids` and concatenates the answers (reads by an id list). */
export async function perChunk<T, R>(ids: readonly T[], fn: (part: T[]) => Promise<readonly R[]>): Promise<R[]> {
  const out: R[] = [];
  for (const part of chunks(ids)) out.push(...(await fn(part)));
  return out;
}

/** Runs `fn` once per chunk of `ids` and sums the counts it returns (deletes and updates by an id list). */
export async function sumPerChunk<T>(ids: readonly T[], fn: (part: T[]) => Promise<number>): Promise<number> {
  let n = 0;
  for (const part of chunks(ids)) n += await fn(part);
  return n;
}
