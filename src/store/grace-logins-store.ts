/**
 * Grace logins of an expired password (`users.grace_logins_used`, password.grace_logins): spent
 * in one conditional statement, so concurrent binds on every instance never spend more than the
 * limit. Setting a password starts the count over (users-store `columns`).
 */
import type { Queryable } from './rows.js';

/**
 * Spends one grace login of the user's expired password while fewer than `limit` are spent.
 * Returns how many are spent now, this one included, or null when none was left (or no such user).
 */
export async function spendGraceLogin(q: Queryable, userId: string, limit: number): Promise<number | null> {
  const result = await q.raw(
    'update users set grace_logins_used = grace_logins_used + 1 where id = ? and grace_logins_used < ? returning grace_logins_used',
    [userId, limit],
  );
  const rows = (q.client.config.client === 'pg' ? result.rows : result) as Array<{ grace_logins_used: number | string }>;
  const r = rows[0];
  return r ? Number(r.grace_logins_used) : null;
}
