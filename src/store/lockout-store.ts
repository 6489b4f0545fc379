/**
 * Lockout state on the user row (`failed_logins`, `locked_until`): counted in the database in
 * single statements, so every instance and every door share one count and concurrent attempts
 * never lose one.
 */
import { toBool, toDate, type Queryable } from './rows.js';

export interface LockoutReservation {
  /** Consecutive failures including this attempt. */
  readonly count: number;
  /** Set while the account is locked. */
  readonly lockedUntil: Date | null;
}

function isPg(q: Queryable): boolean {
  return q.client.config.client === 'pg';
}

/**
 * Counts this attempt before the password is checked (a success takes it back with
 * resetLockout). A lock that has run out is cleared and the count starts over. Null when no
 * such user (the statement runs anyway, so an unknown name costs the same round trip).
 */
export async function reserveLockoutAttempt(q: Queryable, userId: string): Promise<LockoutReservation | null> {
  const now = new Date().toISOString();
  const expired = isPg(q) ? '(locked_until is not null and locked_until <= ?::timestamptz)' : '(locked_until is not null and locked_until <= ?)';
  const result = await q.raw(
    `update users set
       failed_logins = case when ${expired} then 1 else failed_logins + 1 end,
       locked_until = case when ${expired} then null else locked_until end
     where id = ? returning failed_logins, locked_until`,
    [now, now, userId],
  );
  const rows = (isPg(q) ? result.rows : result) as Array<{ failed_logins: number | string; locked_until: unknown }>;
  const r = rows[0];
  if (!r) return null;
  return { count: Number(r.failed_logins), lockedUntil: toDate(r.locked_until) };
}

/** Locks the account until `until` unless it is locked already; true when this call locked it. */
export async function lockAccount(q: Queryable, userId: string, until: Date): Promise<boolean> {
  const now = new Date().toISOString();
  const n = await q('users').where({ id: userId })
    .andWhere((w) => { void w.whereNull('locked_until').orWhere('locked_until', '<=', now); })
    .update({ locked_until: until.toISOString() });
  return n > 0;
}

/** A good sign-in: the count starts over (no write when there is nothing to reset). */
export async function resetLockout(q: Queryable, userId: string): Promise<void> {
  await q('users').where({ id: userId }).andWhere('failed_logins', '>', 0).update({ failed_logins: 0 });
}

/** Takes back one reserved attempt that was neither a success nor a failure (a code still to come). */
export async function releaseLockoutAttempt(q: Queryable, userId: string): Promise<void> {
  await q('users').where({ id: userId }).andWhere('failed_logins', '>', 0).update({ failed_logins: q.raw('failed_logins - 1') });
}

/** Unlocks (an admin's decision); true when the account was locked. */
export async function unlockAccount(q: Queryable, userId: string): Promise<boolean> {
  const now = new Date().toISOString();
  const n = await q('users').where({ id: userId }).andWhere('locked_until', '>', now).update({ locked_until: null, failed_logins: 0 });
  if (n === 0) await q('users').where({ id: userId }).update({ failed_logins: 0 });
  return n > 0;
}

/** What a repeat bind must know besides the password: the lock and whether TOTP applies. */
export interface SignInGate {
  readonly lockedUntil: Date | null;
  readonly mustChange: boolean;
  readonly hasTotp: boolean;
}

/** One indexed lookup for a cached bind: lock, change-after-reset flag, TOTP. */
export async function signInGate(q: Queryable, userId: string): Promise<SignInGate | null> {
  const row = await q('users as u').where('u.id', userId).first(
    'u.locked_until', 'u.password_must_change',
    q.raw(`exists (select 1 from mfa_authenticators m where m.user_id = u.id and m.type = 'totp' and m.confirmed = ?) as has_totp`, [true]),
  );
  if (!row) return null;
  return { lockedUntil: toDate(row.locked_until), mustChange: toBool(row.password_must_change), hasTotp: toBool(row.has_totp) };
}
