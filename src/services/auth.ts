import type { Config } from '../config.js';
import { NotFound, Unauthenticated } from '../domain/errors.js';
import type { Actor, ApiToken, Session, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { fold } from '../store/rows.js';
import {
  deleteSessions, deleteToken, findSession, findToken, insertSession, insertToken,
  listSessions, listTokens, touchSession, touchToken,
} from '../store/sessions-store.js';
import { findBearer } from '../store/auth-read-store.js';
import { clearFailures, failuresInWindow, recordFailure } from '../store/throttle-store.js';
import { findCredentials, findUserById, touchLastLogin } from '../store/users-store.js';
import { hashToken, newSecret, safeEqual, verifyPassword } from './credentials.js';
import { recordEvent } from './events.js';
import type { SettingsService } from './settings.js';
import { inTransaction, type TxOptions } from './transactions.js';

/** Who a bearer token speaks for. */
export interface AuthContext {
  readonly user: User;
  readonly actor: Actor;
  readonly session: Session | null;
  readonly token: ApiToken | null;
  /** The admin behind an impersonation session. */
  readonly impersonator: User | null;
}

export interface ClientInfo {
  readonly clientIp?: string | null;
  readonly userAgent?: string | null;
}

export type CredentialResult =
  | { ok: true; user: User }
  | { ok: false; reason: 'throttled' | 'unknown_user' | 'wrong_password' | 'inactive' | 'no_password'; user: User | null };

export const SESSION_PREFIX = 'dgs_';

/** last_used_at is refreshed at most once a minute, so a busy client does not write on every request. */
const TOUCH_INTERVAL_MS = 60_000;

function stale(lastUsed: Date | null): boolean {
  return !lastUsed || Date.now() - lastUsed.getTime() > TOUCH_INTERVAL_MS;
}
export const TOKEN_PREFIX = 'dgt_';

export class AuthService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly settings: SettingsService,
  ) {}

  /**
   * Checks a username and password with per-username and per-address throttling shared by all
   * instances. Records `<door>_failed` events; does not record success (the caller does).
   */
  async checkPassword(username: string, password: string, client: ClientInfo, door: string): Promise<CredentialResult> {
    const { login_throttle_window: window, login_throttle_count: max } = await this.settings.get();
    const userKey = fold(username);
    const ipKey = client.clientIp ?? '';
    const actor: Actor = { userId: null, username, clientIp: client.clientIp ?? null };
    const throttled = (await failuresInWindow(this.db.knex, 'user', userKey, window)) >= max
      || (ipKey !== '' && (await failuresInWindow(this.db.knex, 'ip', ipKey, window)) >= max);
    if (throttled) {
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, actor, `${door}_throttled`, null, { username });
      });
      return { ok: false, reason: 'throttled', user: null };
    }
    const creds = await findCredentials(this.db.knex, { username });
    const valid = creds ? await verifyPassword(password, creds.passwordHash) : false;
    let result: CredentialResult;
    if (!creds) result = { ok: false, reason: 'unknown_user', user: null };
    else if (!valid) result = { ok: false, reason: creds.passwordHash ? 'wrong_password' : 'no_password', user: creds.user };
    else if (!creds.user.isActive) result = { ok: false, reason: 'inactive', user: creds.user };
    else result = { ok: true, user: creds.user };
    if (!result.ok) {
      await this.db.transaction(async (trx) => {
        await recordFailure(trx, 'user', userKey, window);
        if (ipKey) await recordFailure(trx, 'ip', ipKey, window);
        await recordEvent(trx, actor, `${door}_failed`, creds ? { type: 'user', id: creds.user.id } : null, { username, reason: result.ok ? '' : result.reason });
      });
    } else {
      await clearFailures(this.db.knex, 'user', userKey);
    }
    return result;
  }

  /** Throttle bookkeeping for a door that verified a password itself (e.g. a cached LDAP bind). */
  async isThrottled(username: string, clientIp: string | null): Promise<boolean> {
    const { login_throttle_window: window, login_throttle_count: max } = await this.settings.get();
    return (await failuresInWindow(this.db.knex, 'user', fold(username), window)) >= max
      || (!!clientIp && (await failuresInWindow(this.db.knex, 'ip', clientIp, window)) >= max);
  }

  /**
   * `POST /auth/login`: a new session for good credentials.
   * @throws Unauthenticated (the same message for every failure, so usernames cannot be probed)
   */
  async login(username: unknown, password: unknown, client: ClientInfo): Promise<{ token: string; expires: Date; session: Session; user: User }> {
    if (typeof username !== 'string' || typeof password !== 'string') throw new Unauthenticated('invalid username or password');
    const result = await this.checkPassword(username, password, client, 'login');
    if (!result.ok) throw new Unauthenticated(result.reason === 'throttled' ? 'too many failed logins; try again later' : 'invalid username or password');
    const { token, session } = await this.createSession(result.user.id, client);
    await this.db.transaction(async (trx) => {
      await touchLastLogin(trx, result.user.id);
      await recordEvent(trx, { userId: result.user.id, username: result.user.username, clientIp: client.clientIp ?? null }, 'login', { type: 'user', id: result.user.id }, { user_agent: client.userAgent ?? null });
    });
    return { token, expires: session.expiresAt, session, user: result.user };
  }

  /** A new session token (shown once; stored as a hash). */
  async createSession(userId: string, client: ClientInfo, impersonation?: { impersonatorId: string; reason: string | null }): Promise<{ token: string; session: Session }> {
    const token = newSecret(SESSION_PREFIX);
    const session = await insertSession(this.db.knex, {
      userId, tokenHash: hashToken(token), expiresAt: new Date(Date.now() + this.config.auth.sessionTtl * 1000),
      clientIp: client.clientIp ?? null, userAgent: client.userAgent ?? null,
      impersonatorId: impersonation?.impersonatorId ?? null, impersonationReason: impersonation?.reason ?? null,
    });
    return { token, session };
  }

  /**
   * Resolves `Authorization: Bearer` to a user. Checks expiry and that the user (and any
   * impersonator) is still active on every call — deactivation closes the door at once.
   * @throws Unauthenticated
   */
  async authenticateBearer(bearer: string): Promise<AuthContext> {
    if (!bearer || bearer.length > 512) throw new Unauthenticated('missing or malformed token');
    const hash = hashToken(bearer);
    const match = await findBearer(this.db, hash);
    if (!match || !safeEqual(match.tokenHash, hash)) throw new Unauthenticated('invalid token');
    const { user } = match;
    if (!user.isActive) throw new Unauthenticated('the user is deactivated');
    if (match.kind === 'session') {
      const { session } = match;
      if (session.expiresAt.getTime() <= Date.now()) throw new Unauthenticated('the session has expired');
      let impersonator: User | null = null;
      if (session.impersonatorId) {
        impersonator = await findUserById(this.db.knex, session.impersonatorId);
        if (!impersonator || !impersonator.isActive) throw new Unauthenticated('the impersonating user is deactivated');
      }
      if (stale(session.lastUsedAt)) void touchSession(this.db.knex, session.id).catch(() => undefined);
      return {
        user, session, token: null, impersonator,
        actor: { userId: user.id, username: user.username, impersonatorId: impersonator?.id ?? null, impersonatorUsername: impersonator?.username ?? null, sessionId: session.id },
      };
    }
    const { token } = match;
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) throw new Unauthenticated('the token has expired');
    if (stale(token.lastUsedAt)) void touchToken(this.db.knex, token.id).catch(() => undefined);
    return { user, session: null, token, impersonator: null, actor: { userId: user.id, username: user.username } };
  }

  async logout(sessionId: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (trx) => {
      await deleteSessions(trx, { ids: [sessionId] });
      await recordEvent(trx, actor, 'logout', actor.userId ? { type: 'user', id: actor.userId } : null);
    });
  }

  async sessionsOf(userId: string): Promise<Session[]> {
    return listSessions(this.db.knex, userId);
  }

  async getSession(id: string): Promise<Session> {
    const s = await findSession(this.db.knex, id);
    if (!s) throw new NotFound(`no session with id ${id}`);
    return s;
  }

  /** Revokes the given sessions of a user (all when `ids` is omitted). Returns how many. */
  async revokeSessions(userId: string, ids: readonly string[] | undefined, actor: Actor): Promise<number> {
    return this.db.transaction(async (trx) => {
      const n = await deleteSessions(trx, { userId, ids });
      await recordEvent(trx, actor, 'sessions_revoked', { type: 'user', id: userId }, { count: n });
      return n;
    });
  }

  /** A new API token; the key is returned once and stored only as a hash. */
  async createToken(userId: string, input: { description?: string; expiresAt?: Date | null; key?: string }, actor: Actor, opts: TxOptions = {}): Promise<{ key: string; token: ApiToken }> {
    const key = input.key ?? newSecret(TOKEN_PREFIX);
    return inTransaction(this.db, opts, async (trx) => {
      const token = await insertToken(trx, { userId, tokenHash: hashToken(key), keyPrefix: key.slice(0, 8), description: input.description ?? '', expiresAt: input.expiresAt ?? null });
      await recordEvent(trx, actor, 'token_created', { type: 'user', id: userId }, { token_id: token.id, description: token.description });
      return { key, token };
    });
  }

  async tokensOf(userId: string | null): Promise<ApiToken[]> {
    return listTokens(this.db.knex, userId);
  }

  async getToken(id: string): Promise<ApiToken> {
    const t = await findToken(this.db.knex, id);
    if (!t) throw new NotFound(`no token with id ${id}`);
    return t;
  }

  async deleteToken(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (trx) => {
      const t = await findToken(trx, id);
      if (!t) throw new NotFound(`no token with id ${id}`);
      await deleteToken(trx, id);
      await recordEvent(trx, actor, 'token_deleted', { type: 'user', id: t.userId }, { token_id: id });
    });
  }
}
