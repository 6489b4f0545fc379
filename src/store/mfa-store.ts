/**
 * TOTP authenticators (rows of `mfa_authenticators` with type `totp`) and one-time recovery
 * codes (hashes only). The replay guard is the last accepted time step, advanced in one
 * conditional statement so two instances can never both accept the same code.
 */
import { randomUUID } from 'node:crypto';
import { nowIso, toBool, type Queryable } from './rows.js';

export interface TotpRow {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly secret: string;
  readonly confirmed: boolean;
  readonly lastStep: number | null;
}

function totpOf(r: Record<string, unknown>): TotpRow {
  return {
    id: String(r.id), userId: String(r.user_id), name: String(r.name ?? ''), secret: String(r.secret ?? ''),
    confirmed: toBool(r.confirmed), lastStep: r.last_step === null || r.last_step === undefined ? null : Number(r.last_step),
  };
}

/** Starts an enrolment: an unconfirmed authenticator (an earlier unconfirmed one is replaced). */
export async function insertPendingTotp(q: Queryable, m: { userId: string; name: string; secret: string }): Promise<string> {
  await q('mfa_authenticators').where({ user_id: m.userId, type: 'totp', confirmed: false }).delete();
  const id = randomUUID();
  await q('mfa_authenticators').insert({ id, user_id: m.userId, type: 'totp', name: m.name, secret: m.secret, confirmed: false, created_at: nowIso() });
  return id;
}

/** The user's TOTP authenticators with their secrets (confirmed ones, or the pending enrolment). */
export async function listTotp(q: Queryable, userId: string, confirmed: boolean): Promise<TotpRow[]> {
  const rows = await q('mfa_authenticators').where({ user_id: userId, type: 'totp', confirmed }).whereNotNull('secret').orderBy('created_at', 'desc');
  return rows.map(totpOf);
}

/** Whether the user has a confirmed TOTP authenticator. */
export async function hasConfirmedTotp(q: Queryable, userId: string): Promise<boolean> {
  const row = await q('mfa_authenticators').where({ user_id: userId, type: 'totp', confirmed: true }).first('id');
  return !!row;
}

/**
 * Accepts time step `step` for the authenticator once: true when no code of this step or a
 * later one was accepted before (and marks it used, confirming a pending enrolment).
 */
export async function claimTotpStep(q: Queryable, id: string, step: number): Promise<boolean> {
  const n = await q('mfa_authenticators').where({ id })
    .andWhere((w) => { void w.whereNull('last_step').orWhere('last_step', '<', step); })
    .update({ last_step: step, last_used_at: nowIso(), confirmed: true });
  return n > 0;
}

/** Replaces the user's recovery codes with these hashes. */
export async function replaceRecoveryCodes(q: Queryable, userId: string, hashes: readonly string[]): Promise<void> {
  await q('mfa_recovery_codes').where({ user_id: userId }).delete();
  const now = nowIso();
  if (hashes.length > 0) await q('mfa_recovery_codes').insert(hashes.map((h) => ({ id: randomUUID(), user_id: userId, code_hash: h, created_at: now })));
}

/** Uses a recovery code once; true when it was the user's and unused. */
export async function claimRecoveryCode(q: Queryable, userId: string, hash: string): Promise<boolean> {
  const n = await q('mfa_recovery_codes').where({ user_id: userId, code_hash: hash }).whereNull('used_at').update({ used_at: nowIso() });
  return n > 0;
}

/** Drops the recovery codes of a user who no longer has a confirmed TOTP authenticator. */
export async function dropOrphanRecoveryCodes(q: Queryable, userId: string): Promise<void> {
  if (!(await hasConfirmedTotp(q, userId))) await q('mfa_recovery_codes').where({ user_id: userId }).delete();
}

/** The application's own `mfa.ldap_bind` (null: it follows the global setting); undefined when no such application. */
export async function applicationLdapMfa(q: Queryable, slug: string): Promise<string | null | undefined> {
  const row = await q('applications').where({ slug }).first('mfa_ldap_bind');
  if (!row) return undefined;
  return (row.mfa_ldap_bind as string | null) ?? null;
}

/** Sets the application's own `mfa.ldap_bind` (null: follow the global setting); false when no such application. */
export async function setApplicationLdapMfa(q: Queryable, slug: string, mode: string | null): Promise<boolean> {
  return (await q('applications').where({ slug }).update({ mfa_ldap_bind: mode, updated_at: nowIso() })) > 0;
}
