import { NotFound } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import type { Database } from '../store/database.js';
import {
  deleteArtifacts, insertConsent, insertMfaAuthenticator, insertRefreshToken, listConsents, listMfaAuthenticators,
  listRefreshTokens, type ArtifactKind, type Consent, type MfaAuthenticator, type RefreshToken,
} from '../store/user-artifacts-store.js';
import { findUserById } from '../store/users-store.js';
import { dropOrphanRecoveryCodes } from '../store/mfa-store.js';
import { hashToken } from './credentials.js';
import type { DelegationRules } from './delegation-rules.js';
import { recordEvent } from './events.js';

export type { ArtifactKind };

const DELETED_EVENT: Record<ArtifactKind, string> = {
  consents: 'consent_revoked',
  oauth_refresh_tokens: 'refresh_token_revoked',
  mfa_authenticators: 'mfa_removed',
};

/** A user's consents, OAuth refresh tokens and MFA authenticators: list and revoke. */
export class UserArtifactsService {
  constructor(private readonly db: Database, private readonly rules: DelegationRules) {}

  /** @throws NotFound (user) */
  async consentsOf(userId: string): Promise<Consent[]> {
    await this.userExists(userId);
    return listConsents(this.db.knex, userId);
  }

  /** @throws NotFound (user) */
  async refreshTokensOf(userId: string): Promise<RefreshToken[]> {
    await this.userExists(userId);
    return listRefreshTokens(this.db.knex, userId);
  }

  /** @throws NotFound (user) */
  async mfaAuthenticatorsOf(userId: string): Promise<MfaAuthenticator[]> {
    await this.userExists(userId);
    return listMfaAuthenticators(this.db.knex, userId);
  }

  /**
   * Deletes one row (`ids` of one), several, or all (`ids` undefined) of a user's `kind`; records an event.
   * @throws NotFound when the user is unknown, or when a single id names no row of this user.
   */
  async delete(kind: ArtifactKind, userId: string, ids: readonly string[] | undefined, actor: Actor): Promise<number> {
    await this.rules.protectUsers(actor, [userId], `delete the ${kind.replace(/_/g, ' ')} of`);
    return this.db.transaction(async (trx) => {
      const user = await findUserById(trx, userId);
      if (!user) throw new NotFound(`no user with id ${userId}`);
      const n = await deleteArtifacts(trx, kind, userId, ids);
      // Recovery codes stand in for a TOTP device; with the last one gone they go too.
      if (kind === 'mfa_authenticators') await dropOrphanRecoveryCodes(trx, userId);
      if (ids && ids.length === 1 && n === 0) throw new NotFound(`no ${kind.replace(/_/g, ' ').replace(/s$/, '')} with id ${ids[0]} for this user`);
      await recordEvent(trx, actor, DELETED_EVENT[kind], { type: 'user', id: userId }, { username: user.username, count: n, ...(ids ? { ids: [...ids] } : {}) });
      return n;
    });
  }

  /** For importers and tests: attach rows as the later features would. */
  async seed(userId: string, rows: { consent?: { applicationId?: string | null; permissions?: string }; refreshToken?: { token: string; applicationId?: string | null; scope?: string }; mfa?: { type: string; name?: string } }): Promise<{ consent?: string; refreshToken?: string; mfa?: string }> {
    return this.db.transaction(async (trx) => ({
      ...(rows.consent ? { consent: await insertConsent(trx, { userId, ...rows.consent }) } : {}),
      ...(rows.refreshToken ? { refreshToken: await insertRefreshToken(trx, { userId, tokenHash: hashToken(rows.refreshToken.token), applicationId: rows.refreshToken.applicationId, scope: rows.refreshToken.scope }) } : {}),
      ...(rows.mfa ? { mfa: await insertMfaAuthenticator(trx, { userId, ...rows.mfa }) } : {}),
    }));
  }

  private async userExists(userId: string): Promise<void> {
    if (!(await findUserById(this.db.knex, userId))) throw new NotFound(`no user with id ${userId}`);
  }
}
