import { randomUUID } from 'node:crypto';
import { nowIso, toDate, type Queryable } from './rows.js';

/** A recovery link as stored: only the SHA-256 of its token is kept. */
export interface RecoveryTokenRecord {
  readonly id: string;
  readonly userId: string;
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly usedAt: Date | null;
  readonly invalidatedAt: Date | null;
}

function rowToRecovery(r: Record<string, unknown>): RecoveryTokenRecord {
  return {
    id: String(r.id), userId: String(r.user_id), createdBy: (r.created_by as string | null) ?? null,
    createdAt: toDate(r.created_at)!, expiresAt: toDate(r.expires_at)!,
    usedAt: toDate(r.used_at), invalidatedAt: toDate(r.invalidated_at),
  };
}

/** Marks every still-open link of a user invalidated (a new link replaces the older ones). Returns how many. */
export async function invalidateOpenRecoveryTokens(q: Queryable, userId: string): Promise<number> {
  return q('recovery_tokens').where({ user_id: userId }).whereNull('used_at').whereNull('invalidated_at')
    .update({ invalidated_at: nowIso() });
}

export async function insertRecoveryToken(q: Queryable, t: { userId: string; tokenHash: string; createdBy: string | null; expiresAt: Date }): Promise<RecoveryTokenRecord> {
  const id = randomUUID();
  await q('recovery_tokens').insert({
    id, user_id: t.userId, token_hash: t.tokenHash, created_by: t.createdBy, created_at: nowIso(), expires_at: t.expiresAt.toISOString(),
  });
  return rowToRecovery((await q('recovery_tokens').where({ id }).first())!);
}

export async function findRecoveryTokenByHash(q: Queryable, tokenHash: string): Promise<RecoveryTokenRecord | null> {
  const row = await q('recovery_tokens').where({ token_hash: tokenHash }).first();
  return row ? rowToRecovery(row) : null;
}

/**
 * Claims an open, unexpired link for use. The condition is in the UPDATE itself, so of two
 * concurrent submissions (on any instances) exactly one wins.
 */
export async function claimRecoveryToken(q: Queryable, id: string, now: Date): Promise<boolean> {
  const n = await q('recovery_tokens').where({ id }).whereNull('used_at').whereNull('invalidated_at')
    .andWhere('expires_at', '>', now.toISOString()).update({ used_at: now.toISOString() });
  return n > 0;
}

/** Closes an expired link once; true for the caller that closed it (it records the event). */
export async function closeExpiredRecoveryToken(q: Queryable, id: string, now: Date): Promise<boolean> {
  const n = await q('recovery_tokens').where({ id }).whereNull('used_at').whereNull('invalidated_at')
    .andWhere('expires_at', '<=', now.toISOString()).update({ invalidated_at: now.toISOString() });
  return n > 0;
}

/** Closes one link without using it (e.g. the email carrying it could not be sent). */
export async function invalidateRecoveryToken(q: Queryable, id: string): Promise<void> {
  await q('recovery_tokens').where({ id }).whereNull('used_at').whereNull('invalidated_at').update({ invalidated_at: nowIso() });
}
