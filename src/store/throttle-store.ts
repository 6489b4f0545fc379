import { toDate, type Queryable } from './rows.js';

/** Failures for one key inside the current window; shared by every instance through the database. */
export async function failuresInWindow(q: Queryable, scope: string, key: string, windowSeconds: number): Promise<number> {
  const row = await q('auth_throttle').where({ scope, key }).first();
  if (!row) return 0;
  const start = toDate(row.window_start)!;
  if (Date.now() - start.getTime() > windowSeconds * 1000) return 0;
  return Number(row.failures);
}

export async function recordFailure(q: Queryable, scope: string, key: string, windowSeconds: number): Promise<void> {
  const now = new Date();
  const row = await q('auth_throttle').where({ scope, key }).first();
  if (!row || now.getTime() - toDate(row.window_start)!.getTime() > windowSeconds * 1000) {
    await q('auth_throttle').insert({ scope, key, window_start: now.toISOString(), failures: 1 })
      .onConflict(['scope', 'key']).merge({ window_start: now.toISOString(), failures: 1 });
  } else {
    await q('auth_throttle').where({ scope, key }).increment('failures', 1);
  }
}

export async function clearFailures(q: Queryable, scope: string, key: string): Promise<void> {
  await q('auth_throttle').where({ scope, key }).delete();
}
