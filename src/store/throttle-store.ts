import type { Queryable } from './rows.js';

function isPg(q: Queryable): boolean {
  return q.client.config.client === 'pg';
}
function rowsOf<T>(q: Queryable, result: unknown): T[] {
  return (isPg(q) ? (result as { rows: T[] }).rows : result) as T[];
}

/** A reservation older than this belongs to a process that died mid-check and no longer counts. */
export const PENDING_EXPIRY_SECONDS = 60;

/** What one key's counter holds after a reservation: the failures of the window and the checks in flight (this one included). */
export interface Reservation {
  readonly failures: number;
  readonly pending: number;
}

/** How a reserved sign-in ended: a failure counts, a success clears (per username) or just ends, `neither` just ends. */
export type Outcome = 'failure' | 'success' | 'neither';

/**
 * Counts one attempt for `key` and returns how many the current window now holds, in one
 * statement (so two instances counting at once never lose an attempt). A window older than
 * `windowSeconds` starts over at 1. (Recovery requests; sign-ins use reserveAttempt.)
 */
export async function countAttempt(q: Queryable, scope: string, key: string, windowSeconds: number): Promise<number> {
  const now = new Date();
  const cutoff = new Date(now.getTime() - windowSeconds * 1000).toISOString();
  const stale = isPg(q) ? 'auth_throttle.window_start < ?::timestamptz' : 'auth_throttle.window_start < ?';
  const result = await q.raw(
    `insert into auth_throttle (scope, key, window_start, failures) values (?, ?, ?, 1)
     on conflict (scope, key) do update set
       failures = case when ${stale} then 1 else auth_throttle.failures + 1 end,
       window_start = case when ${stale} then excluded.window_start else auth_throttle.window_start end
     returning failures`,
    [scope, key, now.toISOString(), cutoff, cutoff],
  );
  return Number(rowsOf<{ failures: number | string }>(q, result)[0]?.failures ?? 1);
}

/**
 * Reserves one password check for `key` before it runs, in one statement: the check is in
 * flight (`pending`) until settleAttempt says how it ended. Failures older than the window and
 * reservations older than PENDING_EXPIRY_SECONDS no longer count.
 */
export async function reserveAttempt(q: Queryable, scope: string, key: string, windowSeconds: number): Promise<Reservation> {
  const now = new Date();
  const cutoff = new Date(now.getTime() - windowSeconds * 1000).toISOString();
  const pendingCutoff = new Date(now.getTime() - PENDING_EXPIRY_SECONDS * 1000).toISOString();
  const cast = isPg(q) ? '::timestamptz' : '';
  const stale = `auth_throttle.window_start < ?${cast}`;
  const abandoned = `(auth_throttle.pending_at is null or auth_throttle.pending_at < ?${cast})`;
  const result = await q.raw(
    `insert into auth_throttle (scope, key, window_start, failures, pending, pending_at) values (?, ?, ?, 0, 1, ?)
     on conflict (scope, key) do update set
       failures = case when ${stale} then 0 else auth_throttle.failures end,
       window_start = case when ${stale} then excluded.window_start else auth_throttle.window_start end,
       pending = case when ${abandoned} then 1 else auth_throttle.pending + 1 end,
       pending_at = excluded.pending_at
     returning failures, pending`,
    [scope, key, now.toISOString(), now.toISOString(), cutoff, cutoff, pendingCutoff],
  );
  const r = rowsOf<{ failures: number | string; pending: number | string }>(q, result)[0];
  return { failures: Number(r?.failures ?? 0), pending: Number(r?.pending ?? 1) };
}

/**
 * Ends a reserved check, in one statement: a failure is counted in the same write that ends the
 * reservation (so no moment undercounts both), a success on a username starts its count over.
 */
export async function settleAttempt(q: Queryable, scope: string, key: string, outcome: Outcome, clearOnSuccess: boolean): Promise<void> {
  const failures = outcome === 'failure' ? 'failures + 1' : outcome === 'success' && clearOnSuccess ? '0' : 'failures';
  await q('auth_throttle').where({ scope, key }).update({
    failures: q.raw(failures),
    pending: q.raw('case when pending > 0 then pending - 1 else 0 end'),
  });
}
