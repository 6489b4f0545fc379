import { randomUUID } from 'node:crypto';
import { isUuid, nowIso, toBool, toDate, type Queryable } from './rows.js';
import { sumPerChunk } from './chunks.js';

/**
 * Things other features attach to a user and an admin may list and revoke: explicit consents,
 * OAuth refresh tokens and MFA authenticators. The rows come from later features or imports;
 * the admin API's user tabs read and delete them here.
 */
export type ArtifactKind = 'consents' | 'oauth_refresh_tokens' | 'mfa_authenticators';

export interface Consent {
  readonly id: string;
  readonly userId: string;
  readonly application: { readonly id: string; readonly slug: string; readonly name: string } | null;
  readonly permissions: string;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
}

export interface RefreshToken {
  readonly id: string;
  readonly userId: string;
  readonly application: { readonly id: string; readonly slug: string; readonly name: string } | null;
  readonly scope: string;
  readonly revoked: boolean;
  readonly expiresAt: Date | null;
  readonly createdAt: Date;
}

export interface MfaAuthenticator {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly name: string;
  readonly confirmed: boolean;
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
}

function appOf(r: Record<string, unknown>): Consent['application'] {
  return r.application_id ? { id: String(r.application_id), slug: String(r.app_slug ?? ''), name: String(r.app_name ?? '') } : null;
}

async function withApps(q: Queryable, table: 'consents' | 'oauth_refresh_tokens', userId: string): Promise<Record<string, unknown>[]> {
  return q(`${table} as t`).leftJoin('applications as a', 'a.id', 't.application_id').where('t.user_id', userId)
    .select('t.*', 'a.slug as app_slug', 'a.name as app_name').orderBy('t.created_at', 'desc').orderBy('t.id');
}

export async function listConsents(q: Queryable, userId: string): Promise<Consent[]> {
  return (await withApps(q, 'consents', userId)).map((r) => ({
    id: String(r.id), userId: String(r.user_id), application: appOf(r), permissions: String(r.permissions ?? ''),
    expiresAt: toDate(r.expires_at), createdAt: toDate(r.created_at)!,
  }));
}

export async function listRefreshTokens(q: Queryable, userId: string): Promise<RefreshToken[]> {
  return (await withApps(q, 'oauth_refresh_tokens', userId)).map((r) => ({
    id: String(r.id), userId: String(r.user_id), application: appOf(r), scope: String(r.scope ?? ''), revoked: toBool(r.revoked),
    expiresAt: toDate(r.expires_at), createdAt: toDate(r.created_at)!,
  }));
}

export async function listMfaAuthenticators(q: Queryable, userId: string): Promise<MfaAuthenticator[]> {
  const rows = await q('mfa_authenticators').where({ user_id: userId }).orderBy('created_at', 'desc').orderBy('id');
  return rows.map((r: Record<string, unknown>) => ({
    id: String(r.id), userId: String(r.user_id), type: String(r.type), name: String(r.name ?? ''), confirmed: toBool(r.confirmed),
    createdAt: toDate(r.created_at)!, lastUsedAt: toDate(r.last_used_at),
  }));
}

/** Deletes the user's rows of `kind` with the given ids (all when `ids` is undefined); returns how many. */
export async function deleteArtifacts(q: Queryable, kind: ArtifactKind, userId: string, ids?: readonly string[]): Promise<number> {
  const once = (part?: readonly string[]) => {
    let query = q(kind).where({ user_id: userId });
    if (part) query = query.whereIn('id', part);
    return query.delete();
  };
  return ids ? sumPerChunk(ids.filter(isUuid), once) : once();
}

/** For importers and tests: one consent row. */
export async function insertConsent(q: Queryable, c: { userId: string; applicationId?: string | null; permissions?: string; expiresAt?: Date | null }): Promise<string> {
  const id = randomUUID();
  await q('consents').insert({
    id, user_id: c.userId, application_id: c.applicationId ?? null, permissions: c.permissions ?? '',
    expires_at: c.expiresAt ? c.expiresAt.toISOString() : null, created_at: nowIso(),
  });
  return id;
}

/** For importers and tests: one refresh token row (only its hash is stored). */
export async function insertRefreshToken(q: Queryable, t: { userId: string; tokenHash: string; applicationId?: string | null; scope?: string; expiresAt?: Date | null }): Promise<string> {
  const id = randomUUID();
  await q('oauth_refresh_tokens').insert({
    id, user_id: t.userId, application_id: t.applicationId ?? null, token_hash: t.tokenHash, scope: t.scope ?? '',
    revoked: false, expires_at: t.expiresAt ? t.expiresAt.toISOString() : null, created_at: nowIso(),
  });
  return id;
}

/** For importers and tests: one MFA authenticator row. */
export async function insertMfaAuthenticator(q: Queryable, m: { userId: string; type: string; name?: string; confirmed?: boolean }): Promise<string> {
  const id = randomUUID();
  await q('mfa_authenticators').insert({
    id, user_id: m.userId, type: m.type, name: m.name ?? '', confirmed: m.confirmed ?? true, created_at: nowIso(),
  });
  return id;
}
