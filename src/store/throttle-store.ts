import type { Queryable } from './rows.js';

/** A good sign-in: the username's count starts over. */
export async function clearFailures(q: Queryable, scope: string, key: string): Promise<void> {
  await q('auth_throttle').where({ scope, key }).delete();
}

/**
 * Counts one attempt for `key` and returns how many the current window now holds, in one
 * statement (so two instances counting at once never lose an attempt). A window older than
 * `windowSeconds` starts over at 1.
 */
export async function countAttempt(q: Queryable, scope: string, key: string, windowSeconds: number): Promise<number> {
  const now = new Date();
  const cutoff = new Date(now.getTime() - windowSeconds * 1000).toISOString();
  const pg = q.client.config.client === 'pg';
  const stale = pg ? 'auth_throttle.window_start < ?::timestamptz' : 'auth_throttle.window_start < ?';
  const result = await q.raw(
    `insert into auth_throttle (scope, key, window_start, failures) values (?, ?, ?, 1)
     on conflict (scope, key) do update set
       failures = case when ${stale} then 1 else auth_throttle.failures + 1 end,
       window_start = case when ${stale} then excluded.window_start else auth_throttle.window_start end
     returning failures`,
    [scope, key, now.toISOString(), cutoff, cutoff],
  );
  const rows = (pg ? result.rows : result) as Array<{ failures: number | string }>;
  return Number(rows[0]?.failures ?? 1);
}

/** Takes back one counted attempt that turned out good (a shared address is not throttled by its successes). */
export async function releaseAttempt(q: Queryable, scope: string, key: string): Promise<void> {
  await q('auth_throttle').where({ scope, key }).andWhere('failures', '>', 0).update({ failures: q.raw('failures - 1') });
}
