import type { Config } from '../config.js';
import { NotFound, PermissionDenied, Unauthenticated } from '../domain/errors.js';
import type { Permission } from '../domain/permissions.js';
import type { Actor, ApiToken, Session, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { fold } from '../store/rows.js';
import {
  deleteSessions, deleteToken, findSession, findToken, insertSession, insertToken,
  listSessions, listTokens, touchSession, touchToken,
} from '../store/sessions-store.js';
import { findBearer, findBearerHolding, type BearerGuard, type BearerMatch } from '../store/auth-read-store.js';
import { preparedReader } from '../store/prepared.js';
import { lockAccount, reserveLockoutAttempt, settleLockoutAttempt, unlockAccount, type LockoutReservation } from '../store/lockout-store.js';
import { reserveAttempt, settleAttempt, type Outcome } from '../store/throttle-store.js';
import { findCredentials, findUserById, replacePasswordHash, touchLastLogin } from '../store/users-store.js';
import { DecoyHash, hashPassword, hashToken, needsRehash, newSecret, safeEqual, verifyPassword } from './credentials.js';
import type { DelegationRules } from './delegation-rules.js';
import { recordEvent } from './events.js';
import type { MfaService, SecondFactor } from './mfa.js';
import type { LdapMfaMode, Settings, SettingsService } from './settings.js';
import type { UserService } from './users.js';
import { inTransaction, type TxOptions } from './transactions.js';

/** Who a bearer token speaks for. */
export interface AuthContext {
  readonly user: User;
  readonly actor: Actor;
  readonly session: Session | null;
  readonly token: ApiToken | null;
  /** The admin behind an impersonation session. */
  readonly impersonator: User | null;
  /** Whether the user holds the permission `authenticateBearer` was asked about (globally), read with the token. */
  readonly holds?: boolean;
}

export interface ClientInfo {
  readonly clientIp?: string | null;
  readonly userAgent?: string | null;
}

export type FailureReason =
  | 'throttled' | 'unknown_user' | 'wrong_password' | 'inactive' | 'no_password' | 'locked'
  | 'mfa_required' | 'mfa_failed';

/** Where the password stands after a good check (password.max_age_days, password.change_after_reset). */
export interface PasswordState {
  readonly expired: boolean;
  /** Someone else set it and the user must choose a new one. */
  readonly mustChange: boolean;
  /** Seconds until it expires; null when it never does. */
  readonly expiresIn: number | null;
}

export type CredentialResult =
  | { ok: true; user: User; password: PasswordState; secondFactor: SecondFactor | null }
  | { ok: false; reason: FailureReason; user: User | null };

/** One sign-in attempt, as every door hands it to `AuthService.verifyCredentials`. */
export interface SignInAttempt {
  readonly username: string;
  readonly password: string;
  /** Event prefix: `login`, `ldap_bind`, `ldap_passwd`, `console_login`… (`<door>_failed`, `<door>_throttled`). */
  readonly door: string;
  /** The second factor given with the attempt (a TOTP code or a recovery code). */
  readonly code?: string | null;
  /**
   * How TOTP applies to an account that has it: `required` (no code, no entry), `optional`
   * (checked when given), `off` (not asked: the password alone decides).
   */
  readonly mfa?: LdapMfaMode | 'ldap_setting';
  /**
   * LDAP (lldap #631): the code may come appended to the password as `password;123456`; it is
   * split off only for an account with TOTP, so a password that merely ends that way still works.
   */
  readonly codeInPassword?: boolean;
}

/** What a sign-in may bring besides the username and password (`login`'s last argument; a string is the code). */
export interface LoginOptions {
  /** The TOTP code, or a recovery code, for an account with TOTP. */
  readonly code?: unknown;
  /** Replaces an expired password (or one that must be changed after a reset), under the policy. */
  readonly newPassword?: unknown;
  /** Event name of the door: `login` (admin API, default), `console_login`… */
  readonly door?: string;
}

export const SESSION_PREFIX = 'dgs_';

/** last_used_at is refreshed at most once a minute, so a busy client does not write on every request. */
const TOUCH_INTERVAL_MS = 60_000;
/** An id no user has: unknown names run the same lockout and MFA statements as known ones. */
const NO_USER = '00000000-0000-4000-8000-000000000000';
/** `lockout.duration` 0 means "until an admin unlocks": a date no one will reach. */
const FOREVER = new Date('9999-12-31T00:00:00.000Z');
/** How long a sign-in waits for its turn while the checks in flight fill a limit, before it is refused as throttled. */
const ADMISSION_WAIT_MS = 5_000;

/** The three counts a sign-in is admitted on: its username's, its address's (may be empty) and its account's. */
interface AdmissionKeys {
  readonly user: string;
  readonly ip: string;
  readonly account: string;
}

type Admission =
  | { readonly state: 'checked' | 'locked'; readonly lockout: LockoutReservation | null }
  | { readonly state: 'throttled'; readonly lockout: null };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function stale(lastUsed: Date | null): boolean {
  return !lastUsed || Date.now() - lastUsed.getTime() > TOUCH_INTERVAL_MS;
}
export const TOKEN_PREFIX = 'dgt_';
/** How much of an API token's key any answer shows (`key_prefix`): `dgt_` and 4 characters (24 of 256 bits). */
export const TOKEN_KEY_PREFIX_LENGTH = 8;

/** `password;123456` → the password and the code, when it has that shape. */
function splitCode(password: string): { password: string; code: string } | null {
  const m = /^(.*);(\d{6})$/s.exec(password);
  return m ? { password: m[1]!, code: m[2]! } : null;
}

/** Bearer matches kept at most (the map starts over when full). */
const BEARER_CACHE_MAX = 1024;

export class AuthService {
  private readonly decoy: DecoyHash;
  /**
   * Bearer matches by token hash (and permission), each with the database version it was read at
   * (`PreparedReader.version`, SQLite's data_version, or the `snapshot` a caller read before
   * asking — SQLite's change counter, PostgreSQL's pg_current_snapshot()): one is used only while
   * nothing that changes an answer has been committed to the database since, by any process, so
   * a revoked token, a deactivated user or a removed role is seen on the next request as without it. Only where the version exists (SQLite files).
   */
  private readonly bearers = new Map<string, { readonly version: string; readonly match: BearerMatch }>();

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly settings: SettingsService,
    private readonly users: UserService,
    private readonly mfa: MfaService,
    private readonly rules: DelegationRules,
  ) {
    this.decoy = new DecoyHash(config.auth.scrypt);
  }

  /**
   * Checks a sign-in on any door. In order, so that the expensive and the revealing parts come
   * last: (1) `admit` reserves the check on the username's and the address's throttle counts and
   * on the account's lockout count, each in one statement — over a limit's failures the attempt is
   * refused before any KDF work, and while the checks already in flight would take it over a
   * limit it waits its turn, so N concurrent guesses check at most the limit's number of
   * passwords while N concurrent good sign-ins from one address all get in; (2) exactly one KDF
   * run, against the user's hash or a decoy (unknown user, no password, locked account), so a
   * refusal takes the same time whatever its reason; (3) the second factor; (4) the reservations
   * are settled: a failure counts and may lock the account, a success starts the username's and
   * the account's counts over. Records `<door>_failed`/`<door>_throttled`, `account_locked`,
   * `mfa_failed`; never success (the caller does).
   */
  async verifyCredentials(a: SignInAttempt, client: ClientInfo): Promise<CredentialResult> {
    const settings = await this.settings.get();
    const threshold = settings['lockout.threshold'];
    const mode: LdapMfaMode = a.mfa === 'ldap_setting' ? await this.ldapMfaMode(settings) : a.mfa ?? 'required';
    const actor: Actor = { userId: null, username: a.username, clientIp: client.clientIp ?? null };
    const knex = this.db.knex;
    const creds = await findCredentials(knex, { username: a.username });
    const keys: AdmissionKeys = { user: fold(a.username), ip: client.clientIp ?? '', account: creds?.user.id ?? NO_USER };
    const admission = await this.admit(keys, settings);
    if (admission.state === 'throttled') {
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, actor, `${a.door}_throttled`, null, { username: a.username });
      });
      return { ok: false, reason: 'throttled', user: null };
    }
    const locked = admission.state === 'locked';
    const hasTotp = mode !== 'off' ? await this.mfa.required(keys.account) : false;
    let password = a.password;
    let code = a.code ?? null;
    if (a.codeInPassword && hasTotp && code === null) {
      const split = splitCode(password);
      if (split) ({ password, code } = split);
    }
    const valid = creds?.passwordHash && !locked
      ? await verifyPassword(password, creds.passwordHash)
      : await this.decoy.burn(password);

    let reason: FailureReason | null = null;
    if (!creds) reason = 'unknown_user';
    else if (locked) reason = 'locked';
    else if (!creds.passwordHash) reason = 'no_password';
    else if (!valid) reason = 'wrong_password';
    else if (!creds.user.isActive) reason = 'inactive';
    let secondFactor: SecondFactor | null = null;
    if (reason === null && creds && hasTotp) {
      if (code !== null && code !== '') {
        secondFactor = await this.mfa.verify(creds.user.id, code);
        if (!secondFactor) {
          reason = 'mfa_failed';
          await this.mfa.recordFailure(creds.user, { ...actor, userId: creds.user.id, username: creds.user.username }, a.door);
        }
      } else if (mode === 'required') reason = 'mfa_required';
    }

    if (reason === 'mfa_required') {
      // Neither a success nor a failure: the password was right and the code is still to come.
      await this.settle(keys, admission.lockout, 'neither');
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, actor, `${a.door}_failed`, { type: 'user', id: keys.account }, { username: a.username, reason: 'mfa_required' });
      });
      return { ok: false, reason, user: creds!.user };
    }
    if (reason !== null) {
      const failed = reason;
      await this.settle(keys, null, 'failure');
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, actor, `${a.door}_failed`, creds ? { type: 'user', id: creds.user.id } : null, { username: a.username, reason: failed });
        if (!admission.lockout) return;
        const failures = await settleLockoutAttempt(trx, keys.account, 'failure');
        if (creds && failures >= threshold) {
          const duration = settings['lockout.duration'];
          const until = duration === 0 ? FOREVER : new Date(Date.now() + duration * 1000);
          if (await lockAccount(trx, creds.user.id, until)) {
            await recordEvent(trx, { userId: null, username: null, clientIp: client.clientIp ?? null }, 'account_locked', { type: 'user', id: creds.user.id }, {
              username: creds.user.username, failures, until: duration === 0 ? null : until.toISOString(), door: a.door,
            });
          }
        }
      });
      return { ok: false, reason, user: creds?.user ?? null };
    }
    const user = creds!.user;
    await this.settle(keys, admission.lockout, 'success');
    await this.upgradeHash(user.id, creds!.passwordHash!, password);
    return { ok: true, user, password: passwordState(user, settings['password.max_age_days'], settings['password.change_after_reset']), secondFactor };
  }

  /**
   * Reserves one password check on the username's and the address's throttle counts and on the
   * account's lockout count. Refused (`throttled`) when the window already holds the limit's
   * failures; `locked` when the account is (the check then runs against a decoy and counts as a
   * failure). When the checks in flight would take a count over its limit, the reservations are
   * given back and the attempt waits its turn (with backoff, up to ADMISSION_WAIT_MS): they may
   * all be good sign-ins, and if they were guesses their failures refuse this one next time round.
   */
  private async admit(keys: AdmissionKeys, settings: Settings): Promise<Admission> {
    const window = settings['login.throttle_window'], max = settings['login.throttle_count'];
    const threshold = settings['lockout.threshold'];
    const knex = this.db.knex;
    const deadline = Date.now() + ADMISSION_WAIT_MS;
    for (let delay = 4; ; delay = Math.min(delay * 2, 64)) {
      const byUser = await reserveAttempt(knex, 'user', keys.user, window);
      const byIp = keys.ip ? await reserveAttempt(knex, 'ip', keys.ip, window) : null;
      const lockout = threshold > 0 ? await reserveLockoutAttempt(knex, keys.account) : null;
      const over = byUser.failures >= max || (byIp !== null && byIp.failures >= max);
      const locked = lockout !== null && ((lockout.lockedUntil !== null && lockout.lockedUntil.getTime() > Date.now()) || lockout.failures >= threshold);
      if (!over && locked) return { state: 'locked', lockout };
      const busy = byUser.failures + byUser.pending > max || (byIp !== null && byIp.failures + byIp.pending > max)
        || (lockout !== null && lockout.failures + lockout.pending > threshold);
      if (!over && !busy) return { state: 'checked', lockout };
      await this.settle(keys, lockout, 'neither');
      if (over || Date.now() >= deadline) return { state: 'throttled', lockout: null };
      await sleep(delay + Math.random() * delay);
    }
  }

  /** Ends the reservations of `admit` (the lockout one only when given: a failure settles it with the lock decision). */
  private async settle(keys: AdmissionKeys, lockout: LockoutReservation | null, outcome: Outcome): Promise<void> {
    const knex = this.db.knex;
    await settleAttempt(knex, 'user', keys.user, outcome, true);
    if (keys.ip) await settleAttempt(knex, 'ip', keys.ip, outcome, false);
    if (lockout) await settleLockoutAttempt(knex, keys.account, outcome);
  }

  /**
   * Re-hashes a password whose hash is below the configured parameters (or Django's
   * `pbkdf2_sha256` from an import) after it was verified. Compare-and-set on the old hash, so
   * a password changed meanwhile is never overwritten. The change date stays (it is the same password).
   */
  private async upgradeHash(userId: string, stored: string, password: string): Promise<void> {
    if (!needsRehash(stored, this.config.auth.scrypt)) return;
    const hash = await hashPassword(password, this.config.auth.scrypt);
    await replacePasswordHash(this.db.knex, userId, stored, hash);
  }

  /** `mfa.ldap_bind`, or the own mode of the application whose bindings decide LDAP access (`ldap.application`). */
  ldapMfaMode(settings: Settings): Promise<LdapMfaMode> {
    return this.mfa.ldapMode(this.config.ldap.application || null, settings['mfa.ldap_bind']);
  }

  /** The settings as they are now (for a door deciding what a good bind means). */
  settingsNow(): Promise<Settings> {
    return this.settings.get();
  }

  /** The old shape: a password check with the MFA of `mfa` (default: off). */
  async checkPassword(username: string, password: string, client: ClientInfo, door: string, mfa: LdapMfaMode = 'off'): Promise<CredentialResult> {
    return this.verifyCredentials({ username, password, door, mfa }, client);
  }

  /**
   * `POST /auth/login` (and the console's sign-in): a new session for good credentials.
   * `code` is the TOTP (or a recovery) code, required when the account has TOTP. An expired
   * password, or one that must be changed after a reset, is replaced by `newPassword` (under the
   * password policy) before the session is made.
   * @throws Unauthenticated with `reason`: `invalid_credentials` (the same for every failure, so
   * usernames cannot be probed), `throttled`, `mfa_required`, `mfa_failed`,
   * `password_expired`, `password_change_required`; PasswordRejected for a `newPassword` the policy refuses
   */
  async login(
    username: unknown, password: unknown, client: ClientInfo, options: LoginOptions | string = {},
  ): Promise<{ token: string; expires: Date; session: Session; user: User }> {
    const opts: LoginOptions = typeof options === 'string' ? { code: options } : options;
    if (typeof username !== 'string' || typeof password !== 'string') throw new Unauthenticated('invalid username or password', 'invalid_credentials');
    const code = typeof opts.code === 'string' ? opts.code : null;
    const door = opts.door ?? 'login';
    const result = await this.verifyCredentials({ username, password, code, door, mfa: 'required' }, client);
    if (!result.ok) {
      switch (result.reason) {
        case 'throttled': throw new Unauthenticated('too many failed logins; try again later', 'throttled');
        case 'mfa_required': throw new Unauthenticated('this account has two-factor authentication: send the code from the authenticator app (or a recovery code) as "code"', 'mfa_required');
        case 'mfa_failed': throw new Unauthenticated('the code is wrong or was already used', 'mfa_failed');
        default: throw new Unauthenticated('invalid username or password', 'invalid_credentials');
      }
    }
    const self: Actor = { userId: result.user.id, username: result.user.username, clientIp: client.clientIp ?? null };
    if (result.password.expired || result.password.mustChange) {
      const why = result.password.expired ? 'password_expired' : 'password_change_required';
      if (opts.newPassword === undefined || opts.newPassword === null || opts.newPassword === '') {
        throw new Unauthenticated(result.password.expired
          ? 'the password has expired: sign in again with "new_password" set to a new one'
          : 'the password was set by an administrator: sign in again with "new_password" set to a password of your own', why);
      }
      await this.users.setPassword(result.user.id, opts.newPassword, self);
    }
    const { token, session } = await this.createSession(result.user.id, client);
    await this.db.transaction(async (trx) => {
      await touchLastLogin(trx, result.user.id);
      await recordEvent(trx, self, door, { type: 'user', id: result.user.id }, {
        user_agent: client.userAgent ?? null, ...(result.secondFactor ? { second_factor: result.secondFactor } : {}),
      });
    });
    return { token, expires: session.expiresAt, session, user: result.user };
  }

  /**
   * Ends a lockout (an admin's decision) and resets the failure count; records
   * `account_unlocked`. Only a superuser may unlock a superuser.
   * @throws NotFound, PermissionDenied
   */
  async unlock(userId: string, actor: Actor, access: { isSuperuser(id: string): Promise<boolean> }): Promise<User> {
    const user = await findUserById(this.db.knex, userId);
    if (!user) throw new NotFound(`no user with id ${userId}`);
    await this.rules.protectUsers(actor, [user.id], 'unlock');
    return this.db.transaction(async (trx) => {
      const wasLocked = await unlockAccount(trx, user.id);
      if (wasLocked) await recordEvent(trx, actor, 'account_unlocked', { type: 'user', id: user.id }, { username: user.username });
      return (await findUserById(trx, user.id))!;
    });
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
   * impersonator) is still active on every call — deactivation closes the door at once. With
   * `permission`, the answer also says whether the user holds it globally (`holds`, as
   * `AccessService.hasPermission` would), read in the same statement.
   * @throws Unauthenticated
   */
  async authenticateBearer(bearer: string, opts: { readonly permission?: Permission; readonly snapshot?: string | null } = {}): Promise<AuthContext> {
    if (!bearer || bearer.length > 512) throw new Unauthenticated('missing or malformed token');
    const hash = hashToken(bearer);
    return this.accept(await this.findBearer(hash, opts.permission, opts.snapshot), hash);
  }

  /**
   * Whether `authenticateBearer(bearer, { permission, snapshot })` would answer from a bearer kept
   * under `snapshot` (the database's state, read by the caller: DirectoryService.snapshot) without reading.
   */
  keepsBearer(bearer: string, permission: Permission, snapshot: string | null): boolean {
    if (snapshot === null || !bearer || bearer.length > 512) return false;
    return this.bearers.get(`${permission} ${hashToken(bearer)}`)?.version === snapshot;
  }

  /** Whether `authenticateBearerAlong` can fold the check into a read here (PostgreSQL: SQLite keeps bearers instead). */
  get foldsBearer(): boolean {
    return this.db.dialect === 'pg';
  }

  /**
   * `authenticateBearer` with `permission`, folded into a read (one round trip instead of two on
   * PostgreSQL): `read` reads with the guard it is given and returns the bearer row the same
   * statement found, which is then checked exactly as `authenticateBearer` checks one (expiry,
   * active user and impersonator, `last_used_at`). Null — authenticate the usual way — when the
   * read cannot tell alone, or where bearers are kept instead (SQLite).
   * @throws Unauthenticated
   */
  async authenticateBearerAlong<T>(
    bearer: string, permission: Permission,
    /** `snapshot`: the database's state the read read (its own statement's), under which the bearer is kept. */
    read: (guard: BearerGuard) => Promise<{ match: BearerMatch & { holds: boolean }; snapshot: string; result: T } | null>,
  ): Promise<{ auth: AuthContext; snapshot: string; result: T } | null> {
    if (!this.foldsBearer || !bearer || bearer.length > 512) return null;
    const hash = hashToken(bearer);
    const got = await read({ tokenHash: hash, permission });
    if (!got) return null;
    const auth = await this.accept(got.match, hash);
    this.remember(`${permission} ${hash}`, got.snapshot, got.match);
    return { auth, snapshot: got.snapshot, result: got.result };
  }

  /** The checks of `authenticateBearer` on a bearer's row. @throws Unauthenticated */
  private async accept(match: BearerMatch | null, hash: string): Promise<AuthContext> {
    if (!match || !safeEqual(match.tokenHash, hash)) throw new Unauthenticated('invalid token');
    const holds = match.holds === undefined ? {} : { holds: match.holds };
    const { user } = match;
    if (!user.isActive) throw new Unauthenticated('the user is deactivated');
    if (match.kind === 'session') {
      const { session } = match;
      if (session.expiresAt.getTime() <= Date.now()) throw new Unauthenticated('the session has expired');
      let impersonator: User | null = null;
      if (session.impersonatorId) {
        impersonator = await findUserById(this.db.knex, session.impersonatorId);
        if (!impersonator || !impersonator.isActive) throw new Unauthenticated('the impersonating user is deactivated');
        // The setting is read on every request through an impersonation session, so turning it
        // off ends them all at once, on every instance.
        if (!(await this.settings.get())['impersonation.enabled']) {
          await deleteSessions(this.db.knex, { ids: [session.id] });
          throw new Unauthenticated('impersonation has been turned off (setting "impersonation.enabled")');
        }
      }
      if (stale(session.lastUsedAt)) void touchSession(this.db.knex, session.id).catch(() => undefined);
      return {
        user, session, token: null, impersonator, ...holds,
        actor: { userId: user.id, username: user.username, impersonatorId: impersonator?.id ?? null, impersonatorUsername: impersonator?.username ?? null, sessionId: session.id },
      };
    }
    const { token } = match;
    if (token.expiresAt && token.expiresAt.getTime() <= Date.now()) throw new Unauthenticated('the token has expired');
    if (stale(token.lastUsedAt)) void touchToken(this.db.knex, token.id).catch(() => undefined);
    return { user, session: null, token, impersonator: null, ...holds, actor: { userId: user.id, username: user.username } };
  }

  /** The bearer's row (with `holds` when `permission` is given), from `bearers` while the database is unchanged. */
  private async findBearer(hash: string, permission: Permission | undefined, snapshot?: string | null): Promise<BearerMatch | null> {
    const own = snapshot === undefined ? preparedReader(this.db).version() : null;
    const version = snapshot !== undefined ? snapshot : own === null ? null : String(own);
    const key = permission === undefined ? hash : `${permission} ${hash}`;
    if (version !== null) {
      const hit = this.bearers.get(key);
      if (hit && hit.version === version) return hit.match;
    }
    // Read after the version: a commit in between makes the entry older than its data, never newer.
    const match = permission === undefined ? await findBearer(this.db, hash) : await findBearerHolding(this.db, hash, permission);
    if (version !== null && match) this.remember(key, version, match);
    return match;
  }

  /** Keeps `match`, read after the database was at `version`, under that version. */
  private remember(key: string, version: string, match: BearerMatch): void {
    if (this.bearers.size >= BEARER_CACHE_MAX) this.bearers.clear();
    this.bearers.set(key, { version, match });
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
    await this.rules.protectUsers(actor, [userId], 'end the sessions of');
    return this.db.transaction(async (trx) => {
      const n = await deleteSessions(trx, { userId, ids });
      await recordEvent(trx, actor, 'sessions_revoked', { type: 'user', id: userId }, { count: n });
      return n;
    });
  }

  /** A new API token; the key is returned once and stored only as a hash. */
  async createToken(userId: string, input: { description?: string; expiresAt?: Date | null; key?: string }, actor: Actor, opts: TxOptions = {}): Promise<{ key: string; token: ApiToken }> {
    await this.rules.refuseInImpersonation(actor, 'create API tokens', { type: 'user', id: userId }, opts);
    await this.rules.protectUsers(actor, [userId], 'create API tokens for', opts);
    const key = input.key ?? newSecret(TOKEN_PREFIX);
    return inTransaction(this.db, opts, async (trx) => {
      const token = await insertToken(trx, { userId, tokenHash: hashToken(key), keyPrefix: key.slice(0, TOKEN_KEY_PREFIX_LENGTH), description: input.description ?? '', expiresAt: input.expiresAt ?? null });
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
    const owner = await findToken(this.db.knex, id);
    if (owner) await this.rules.protectUsers(actor, [owner.userId], 'delete the API tokens of');
    await this.db.transaction(async (trx) => {
      const t = await findToken(trx, id);
      if (!t) throw new NotFound(`no token with id ${id}`);
      await deleteToken(trx, id);
      await recordEvent(trx, actor, 'token_deleted', { type: 'user', id: t.userId }, { token_id: id });
    });
  }
}

/** Expiry and change-after-reset of a user's password now. */
export function passwordState(user: User, maxAgeDays: number, changeAfterReset: boolean): PasswordState {
  let expiresIn: number | null = null;
  if (maxAgeDays > 0) {
    const since = (user.passwordChangedAt ?? user.createdAt).getTime();
    expiresIn = Math.floor((since + maxAgeDays * 86_400_000 - Date.now()) / 1000);
  }
  return { expired: expiresIn !== null && expiresIn <= 0, mustChange: changeAfterReset && user.passwordMustChange, expiresIn };
}
