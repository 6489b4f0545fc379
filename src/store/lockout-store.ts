/**
 * Lockout state on the user row (`failed_logins`, `locked_until`): counted in the database in
 * single statements, so every instance and every door share one count and concurrent attempts
 * never lose one.
 */
import { toDate, type Queryable } from './rows.js';
import { PENDING_EXPIRY_SECONDS, type Outcome } from './throttle-store.js';

export interface LockoutReservation {
  /** Consecutive failures before this attempt. */
  readonly failures: number;
  /** Checks of this account's password in flight, this one included. */
  readonly pending: number;
  /** Set while the account is locked. */
  readonly lockedUntil: Date | null;
}

function isPg(q: Queryable): boolean {
  return q.client.config.client === 'pg';
}

/**
 * Reserves this attempt before the password is checked (settleLockoutAttempt ends it). A lock
 * that has run out is cleared and the count starts over; reservations older than
 * PENDING_EXPIRY_SECONDS belong to a process that died mid-check and are dropped. Null when no
 * such user (the statement runs anyway, so an unknown name costs the same round trip).
 */
export async function reserveLockoutAttempt(q: Queryable, userId: string): Promise<LockoutReservation | null> {
  const nowDate = new Date();
  const now = nowDate.toISOString();
  const pendingCutoff = new Date(nowDate.getTime() - PENDING_EXPIRY_SECONDS * 1000).toISOString();
  const cast = isPg(q) ? '::timestamptz' : '';
  const expired = `(locked_until is not null and locked_until <= ?${cast})`;
  const abandoned = `(pending_logins_at is null or pending_logins_at < ?${cast})`;
  const result = await q.raw(
    `update users set
       failed_logins = case when ${expired} then 0 else failed_logins end,
       locked_until = case when ${expired} then null else locked_until end,
       pending_logins = case when ${abandoned} then 1 else pending_logins + 1 end,
       pending_logins_at = ?
     where id = ? returning failed_logins, pending_logins, locked_until`,
    [now, now, pendingCutoff, now, userId],
  );
  const rows = (isPg(q) ? result.rows : result) as Array<{ failed_logins: number | string; pending_logins: number | string; locked_until: unknown }>;
  const r = rows[0];
  if (!r) return null;
  return { failures: Number(r.failed_logins), pending: Number(r.pending_logins), lockedUntil: toDate(r.locked_until) };
}

/**
 * Ends a reserved attempt in one statement: a failure adds to the consecutive count (returned),
 * a success starts it over, `neither` (a code still to come, or a turn given back) leaves it.
 */
export async function settleLockoutAttempt(q: Queryable, userId: string, outcome: Outcome): Promise<number> {
  const failures = outcome === 'failure' ? 'failed_logins + 1' : outcome === 'success' ? '0' : 'failed_logins';
  const result = await q.raw(
    `update users set failed_logins = ${failures},
       pending_logins = case when pending_logins > 0 then pending_logins - 1 else 0 end
     where id = ? returning failed_logins`,
    [userId],
  );
  const rows = (isPg(q) ? result.rows : result) as Array<{ failed_logins: number | string }>;
  return Number(rows[0]?.failed_logins ?? 0);
}

/** Locks the account until `until` unless it is locked already; true when this call locked it. */
export async function lockAccount(q: Queryable, userId: string, until: Date): Promise<boolean> {
  const now = new Date().toISOString();
  const n = await q('users').where({ id: userId })
    .andWhere((w) => { void w.whereNull('locked_until').orWhere('locked_until', '<=', now); })
    .update({ locked_until: until.toISOString() });
  return n > 0;
}

/** Unlocks (an admin's decision); true when the account was locked. */
export async function unlockAccount(q: Queryable, userId: string): Promise<boolean> {
  const now = new Date().toISOString();
  const n = await q('users').where({ id: userId }).andWhere('locked_until', '>', now).update({ locked_until: null, failed_logins: 0 });
  if (n === 0) await q('users').where({ id: userId }).update({ failed_logins: 0 });
  return n > 0;
}
