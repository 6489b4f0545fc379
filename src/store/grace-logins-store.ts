/**
 * Grace logins of an expired password (`users.grace_logins_used`, password.grace_logins): spent
 * in one conditional statement, so concurrent binds on every instance never spend more than the
 * limit. Setting a password starts the count over (users-store `columns`).
 */
import type { Queryable } from './rows.js';

/**
 * Spends one grace login while fewer than `limit` are spent and the stored password is still the
 * expired one (changed, or for a password never changed created, at or before `expiredSince`): a
 * password set meanwhile on another door or instance is not charged for a bind of the old one.
 * Returns how many are spent now, this one included, or null when none was spent.
 */
export async function spendGraceLogin(q: Queryable, userId: string, limit: number, expiredSince: Date): Promise<number | null> {
  const pg = q.client.config.client === 'pg';
  const result = await q.raw(
    `update users set grace_logins_used = grace_logins_used + 1
     where id = ? and grace_logins_used < ? and coalesce(password_changed_at, created_at) <= ?${pg ? '::timestamptz' : ''}
     returning grace_logins_used`,
    [userId, limit, expiredSince.toISOString()],
  );
  const rows = (pg ? result.rows : result) as Array<{ grace_logins_used: number | string }>;
  const r = rows[0];
  return r ? Number(r.grace_logins_used) : null;
}
