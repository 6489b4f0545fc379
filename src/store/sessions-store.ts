import { randomUUID } from 'node:crypto';
import type { ApiToken, Session } from '../domain/types.js';
import { isUuid, nowIso, toDate, type Queryable } from './rows.js';
import { sumPerChunk } from './chunks.js';

export function rowToSession(r: Record<string, unknown>): Session {
  return {
    id: String(r.id), userId: String(r.user_id), impersonatorId: (r.impersonator_id as string) ?? null,
    impersonationReason: (r.impersonation_reason as string) ?? null, clientIp: (r.client_ip as string) ?? null,
    userAgent: (r.user_agent as string) ?? null, createdAt: toDate(r.created_at)!, expiresAt: toDate(r.expires_at)!,
    lastUsedAt: toDate(r.last_used_at),
  };
}

export function rowToToken(r: Record<string, unknown>): ApiToken {
  return {
    id: String(r.id), userId: String(r.user_id), description: String(r.description ?? ''), keyPrefix: String(r.key_prefix),
    createdAt: toDate(r.created_at)!, expiresAt: toDate(r.expires_at), lastUsedAt: toDate(r.last_used_at),
  };
}

export async function insertSession(q: Queryable, s: {
  userId: string; tokenHash: string; expiresAt: Date; clientIp?: string | null; userAgent?: string | null;
  impersonatorId?: string | null; impersonationReason?: string | null;
}): Promise<Session> {
  const id = randomUUID();
  await q('sessions').insert({
    id, user_id: s.userId, token_hash: s.tokenHash, expires_at: s.expiresAt.toISOString(), created_at: nowIso(),
    client_ip: s.clientIp ?? null, user_agent: s.userAgent ?? null, impersonator_id: s.impersonatorId ?? null,
    impersonation_reason: s.impersonationReason ?? null,
  });
  return rowToSession((await q('sessions').where({ id }).first())!);
}

export async function findSession(q: Queryable, id: string): Promise<Session | null> {
  if (!isUuid(id)) return null;
  const row = await q('sessions').where({ id }).first();
  return row ? rowToSession(row) : null;
}

export async function touchSession(q: Queryable, id: string): Promise<void> {
  await q('sessions').where({ id }).update({ last_used_at: nowIso() });
}

export async function listSessions(q: Queryable, userId: string): Promise<Session[]> {
  return (await q('sessions').where({ user_id: userId }).orderBy('created_at', 'desc')).map(rowToSession);
}

export async function deleteSessions(q: Queryable, where: { userId?: string; ids?: readonly string[]; exceptId?: string | null }): Promise<number> {
  const once = (ids?: readonly string[]) => {
    let query = q('sessions');
    if (where.userId) query = query.where({ user_id: where.userId });
    if (ids) query = query.whereIn('id', ids);
    if (where.exceptId) query = query.whereNot({ id: where.exceptId });
    return query.delete();
  };
  return where.ids ? sumPerChunk(where.ids.filter(isUuid), once) : once();
}

export async function insertToken(q: Queryable, t: { userId: string; tokenHash: string; keyPrefix: string; description: string; expiresAt: Date | null }): Promise<ApiToken> {
  const id = randomUUID();
  await q('api_tokens').insert({
    id, user_id: t.userId, token_hash: t.tokenHash, key_prefix: t.keyPrefix, description: t.description,
    expires_at: t.expiresAt ? t.expiresAt.toISOString() : null, created_at: nowIso(),
  });
  return rowToToken((await q('api_tokens').where({ id }).first())!);
}

export async function findToken(q: Queryable, id: string): Promise<ApiToken | null> {
  if (!isUuid(id)) return null;
  const row = await q('api_tokens').where({ id }).first();
  return row ? rowToToken(row) : null;
}

export async function listTokens(q: Queryable, userId: string | null): Promise<ApiToken[]> {
  let query = q('api_tokens');
  if (userId) query = query.where({ user_id: userId });
  return (await query.orderBy('created_at', 'desc')).map(rowToToken);
}

export async function deleteToken(q: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await q('api_tokens').where({ id }).delete()) > 0;
}

export async function touchToken(q: Queryable, id: string): Promise<void> {
  await q('api_tokens').where({ id }).update({ last_used_at: nowIso() });
}
