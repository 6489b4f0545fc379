/**
 * Multi-factor authentication: TOTP enrolment from `/me` (begin → otpauth URI and QR code,
 * confirm with a first code → one-time recovery codes), and the second-factor check every
 * door's sign-in asks for. A code is accepted once (the last accepted step only moves
 * forward) and within ±1 step. No secret or code ever goes into an event.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidValue, NotFound } from '../domain/errors.js';
import type { Actor, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import {
  applicationLdapMfa, claimRecoveryCode, claimTotpStep, hasConfirmedTotp, insertPendingTotp, listTotp, replaceRecoveryCodes,
  setApplicationLdapMfa,
} from '../store/mfa-store.js';
import type { LdapMfaMode } from './settings.js';
import { findUserById } from '../store/users-store.js';
import { recordEvent } from './events.js';
import { looksLikeTotp, newTotpSecret, qrSvg, totpStep, totpUri } from './totp.js';

const RECOVERY_CODES = 10;
/** Lower-case base32 without look-alikes; a code is 12 of these (60 bits) shown as xxxx-xxxx-xxxx. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

function newRecoveryCode(): string {
  const bytes = randomBytes(12);
  let s = '';
  for (const b of bytes) s += ALPHABET[b % ALPHABET.length];
  return `${s.slice(0, 4)}-${s.slice(4, 8)}-${s.slice(8)}`;
}

/** Recovery codes are random, so a fast hash suffices (like tokens); spacing and case do not matter. */
function hashRecoveryCode(code: string): string {
  return createHash('sha256').update(code.toLowerCase().replace(/[^a-z0-9]/g, ''), 'utf8').digest('hex');
}

export type SecondFactor = 'totp' | 'recovery_code';

export class MfaService {
  constructor(private readonly db: Database, private readonly issuer = 'dirgate') {}

  /**
   * Begins a TOTP enrolment for `user` (replacing an unconfirmed one): the URI and its QR code.
   * The authenticator counts only once confirmed with a code.
   */
  async beginTotp(user: User, name: unknown): Promise<{ id: string; uri: string; qrSvg: string }> {
    if (name !== undefined && name !== null && (typeof name !== 'string' || name.length > 100)) throw InvalidValue.field('name', 'must be a string of at most 100 characters');
    const secret = newTotpSecret();
    const label = typeof name === 'string' && name.trim() !== '' ? name.trim() : 'Authenticator app';
    const id = await this.db.transaction((trx) => insertPendingTotp(trx, { userId: user.id, name: label, secret }));
    const uri = totpUri(secret, user.username, this.issuer);
    return { id, uri, qrSvg: await qrSvg(uri) };
  }

  /**
   * Confirms the pending enrolment with a first code; returns the new recovery codes (shown
   * once, stored as hashes; earlier ones stop working). Records `mfa_enrolled`.
   * @throws NotFound (nothing to confirm), InvalidValue (wrong code; `mfa_failed` recorded)
   */
  async confirmTotp(user: User, code: unknown, actor: Actor): Promise<{ recoveryCodes: string[] }> {
    if (typeof code !== 'string' || !looksLikeTotp(code.trim())) throw InvalidValue.field('code', 'must be the six-digit code the authenticator app shows');
    const [pending] = await listTotp(this.db.knex, user.id, false);
    if (!pending) throw new NotFound('no TOTP enrolment to confirm: begin one with POST /me/mfa/totp');
    const step = totpStep(pending.secret, code.trim());
    const codes = Array.from({ length: RECOVERY_CODES }, newRecoveryCode);
    const ok = step !== null && await this.db.transaction(async (trx) => {
      if (!(await claimTotpStep(trx, pending.id, step))) return false;
      await replaceRecoveryCodes(trx, user.id, codes.map(hashRecoveryCode));
      await recordEvent(trx, actor, 'mfa_enrolled', { type: 'user', id: user.id }, { username: user.username, authenticator_id: pending.id, type: 'totp', name: pending.name });
      return true;
    });
    if (!ok) {
      await this.recordFailure(user, actor, 'mfa_enrol');
      throw InvalidValue.field('code', 'the code is not the current one; check the device clock and try the next code');
    }
    return { recoveryCodes: codes };
  }

  /** Whether the user must give a second factor (has a confirmed TOTP authenticator). */
  async required(userId: string): Promise<boolean> {
    return hasConfirmedTotp(this.db.knex, userId);
  }

  /**
   * Checks a second factor: a current TOTP code of one of the user's authenticators (accepted
   * once) or an unused recovery code (used up). Null when neither.
   */
  async verify(userId: string, code: string): Promise<SecondFactor | null> {
    const c = code.trim();
    if (looksLikeTotp(c)) {
      for (const a of await listTotp(this.db.knex, userId, true)) {
        const step = totpStep(a.secret, c);
        if (step !== null && (a.lastStep === null || step > a.lastStep) && (await claimTotpStep(this.db.knex, a.id, step))) return 'totp';
      }
      return null;
    }
    if (c.length > 0 && c.length <= 32 && (await claimRecoveryCode(this.db.knex, userId, hashRecoveryCode(c)))) return 'recovery_code';
    return null;
  }

  /** Records `mfa_failed` (a wrong or replayed code; never the code). */
  async recordFailure(user: User, actor: Actor, door: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, 'mfa_failed', { type: 'user', id: user.id }, { username: user.username, door });
    });
  }

  /**
   * How LDAP binds treat TOTP: the application's own mode when `slug` (the application whose
   * bindings decide LDAP access) sets one, else `global` (the setting `mfa.ldap_bind`).
   */
  async ldapMode(slug: string | null, global: LdapMfaMode): Promise<LdapMfaMode> {
    if (!slug) return global;
    const own = await applicationLdapMfa(this.db.knex, slug);
    return own === 'off' || own === 'optional' || own === 'required' ? own : global;
  }

  /**
   * Sets an application's own `mfa.ldap_bind` (null: follow the global setting); records `application_mfa_changed`.
   * @throws InvalidValue, NotFound
   */
  async setApplicationLdapMode(slug: string, mode: unknown, actor: Actor): Promise<LdapMfaMode | null> {
    if (mode !== null && mode !== 'off' && mode !== 'optional' && mode !== 'required') throw InvalidValue.field('ldap_bind', 'must be off, optional, required or null (follow the setting mfa.ldap_bind)');
    return this.db.transaction(async (trx) => {
      if (!(await setApplicationLdapMfa(trx, slug, mode))) throw new NotFound(`no application with slug ${slug}`);
      await recordEvent(trx, actor, 'application_mfa_changed', null, { application: slug, ldap_bind: mode });
      return mode;
    });
  }

  /** @throws NotFound */
  async userOf(userId: string): Promise<User> {
    const u = await findUserById(this.db.knex, userId);
    if (!u) throw new NotFound(`no user with id ${userId}`);
    return u;
  }
}
