import { nowIso, type Queryable } from './rows.js';

/** The user's previous password hashes, newest first, at most `limit`. */
export async function recentPasswordHashes(q: Queryable, userId: string, limit: number): Promise<string[]> {
  if (limit <= 0) return [];
  const rows = await q('password_history').where({ user_id: userId }).orderBy('seq', 'desc').limit(limit).select('password_hash');
  return rows.map((r: { password_hash: string }) => r.password_hash);
}

/** Keeps `hash` (the password being replaced) and drops all but the newest `keep` entries. */
export async function pushPasswordHistory(q: Queryable, userId: string, hash: string, keep: number): Promise<void> {
  if (keep <= 0) {
    await q('password_history').where({ user_id: userId }).delete();
    return;
  }
  await q('password_history').insert({ user_id: userId, password_hash: hash, created_at: nowIso() });
  const cut = await q('password_history').where({ user_id: userId }).orderBy('seq', 'desc').offset(keep).first('seq');
  if (cut) await q('password_history').where({ user_id: userId }).andWhere('seq', '<=', cut.seq).delete();
}

/** The hash stored now for the user (the password a change replaces), or null. */
export async function currentPasswordHash(q: Queryable, userId: string): Promise<string | null> {
  const row = await q('users').where({ id: userId }).first('password_hash');
  return (row?.password_hash as string | null | undefined) ?? null;
}
