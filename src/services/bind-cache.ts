/**
 * Fast repeat binds without staleness (issue 5, part 4). The KDF is deliberately slow, and LDAP
 * clients (SSSD, Nextcloud, Gitea) bind again for every login check. A successful verification
 * is remembered for a short while as an HMAC of (user id, stored password hash, password) under a
 * per-process random key; a later bind reads the user's CURRENT row and accepts the password
 * without the KDF only if that HMAC matches with the hash stored now. So:
 * - a changed password (new hash, new random salt) or a deactivated user takes effect on the
 *   very next bind, on every instance — the row is read every time;
 * - an old password can never be accepted: its entry names a hash the row no longer has;
 * - no password or reversible form of it is kept in memory.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Actor, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { writeBindBatch } from '../store/batch-writes.js';
import { checkLdapPrincipal, findLdapPrincipal, type LdapPrincipal } from '../store/ldap-read-store.js';
import { preparedReader } from '../store/prepared.js';
import { fold, nowIso } from '../store/rows.js';
import { passwordState, type AuthService, type ClientInfo, type CredentialResult } from './auth.js';
import { spendGraceLogin } from '../store/grace-logins-store.js';
import { MAX_PASSWORD_BYTES } from './credentials.js';
import { recordEvent, scrub } from './events.js';
import type { Settings } from './settings.js';
import { SnapshotCache } from './snapshot-cache.js';

interface Entry {
  readonly mac: Buffer;
  readonly expires: number;
}

/** One remembered verification as sibling worker processes pass it on (the MAC, never the password). */
export interface SharedBindEntry {
  readonly userId: string;
  /** base64 of the HMAC under the instance's shared key. */
  readonly mac: string;
  readonly expires: number;
}

/**
 * How the worker processes of one instance share their bind caches: one key for all of them, and
 * each remembered verification passed on to the others, so a repeat bind skips the KDF whichever
 * worker the client's next connection lands on. Entries stay checked against the current row.
 */
export interface BindCacheShare {
  readonly key: Buffer;
  publish(entry: SharedBindEntry): void;
  subscribe(adopt: (entry: SharedBindEntry) => void): void;
}

/** The in-process record of recent successful verifications. */
export class BindCache {
  private readonly key: Buffer;
  private readonly entries = new Map<string, Entry>();

  /** `ttlSeconds` 0 disables the cache. */
  constructor(private readonly ttlSeconds: number, private readonly maxEntries = 100_000, private readonly share: BindCacheShare | null = null) {
    this.key = share?.key ?? randomBytes(32);
    share?.subscribe((e) => this.adopt(e.userId, Buffer.from(e.mac, 'base64'), e.expires));
  }

  private mac(userId: string, passwordHash: string, password: string): Buffer {
    return createHmac('sha256', this.key).update(userId).update('\0').update(passwordHash).update('\0').update(password, 'utf8').digest();
  }

  /** True when `password` was verified for this user while the row held `passwordHash`, within the TTL. */
  matches(userId: string, passwordHash: string, password: string): boolean {
    const e = this.entries.get(userId);
    if (!e) return false;
    if (e.expires <= Date.now()) {
      this.entries.delete(userId);
      return false;
    }
    return timingSafeEqual(e.mac, this.mac(userId, passwordHash, password));
  }

  remember(userId: string, passwordHash: string, password: string): void {
    if (this.ttlSeconds <= 0) return;
    const mac = this.mac(userId, passwordHash, password);
    const expires = Date.now() + this.ttlSeconds * 1000;
    this.adopt(userId, mac, expires);
    this.share?.publish({ userId, mac: mac.toString('base64'), expires });
  }

  /** Keeps an entry (this process's own, or a sibling worker's under the same key). */
  private adopt(userId: string, mac: Buffer, expires: number): void {
    if (this.ttlSeconds <= 0 || mac.length !== 32 || expires <= Date.now()) return;
    this.entries.delete(userId);
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(userId, { mac, expires });
  }

  forget(userId: string): void {
    this.entries.delete(userId);
  }

  get size(): number {
    return this.entries.size;
  }
}

export type BindResult = CredentialResult & {
  readonly cached?: boolean;
  /** Set on a cache hit: the principal read by the same statement that checked the hash. */
  readonly principal?: LdapPrincipal;
};

/** How long successful-bind events may wait before they are written (one transaction per flush). */
const EVENT_FLUSH_MS = 100;
/** Events kept while the database cannot take them; beyond this the oldest are dropped (and logged). */
const MAX_PENDING_EVENTS = 20_000;
/** Principals kept per process, each only for the database snapshot it was read at. */
const MAX_KNOWN_PRINCIPALS = 10_000;

interface PendingEvent {
  readonly user: User;
  readonly clientIp: string | null;
  readonly action: string;
  readonly context: Record<string, unknown>;
  readonly at: string;
}

/**
 * Password checks for a door that binds often (LDAP): the cache in front of
 * `AuthService.checkPassword` (which keeps throttling and failure events), one-statement
 * principal lookups, and successful-bind events written in batches.
 */
export class BindVerifier {
  readonly cache: BindCache;
  private pending: PendingEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();
  /** Principals and settings as read at a database snapshot (see principalAt). */
  private readonly principals = new SnapshotCache<LdapPrincipal | null>({ maxEntries: MAX_KNOWN_PRINCIPALS, maxBytes: Infinity });
  private settings: { readonly snapshot: string; readonly settings: Settings } | null = null;

  constructor(
    private readonly db: Database, private readonly auth: AuthService, ttlSeconds: number,
    private readonly onWriteError: (err: unknown, dropped: number) => void = () => undefined,
    share: BindCacheShare | null = null,
  ) {
    this.cache = new BindCache(ttlSeconds, 100_000, share);
  }

  /**
   * Verifies a bind's username and password (`password;123456` carries a TOTP code, as
   * `mfa.ldap_bind` allows). A cache hit skips the throttle check on purpose: it can only happen
   * for the exact password the KDF accepted against the hash stored now, which is not a guess;
   * every miss (every wrong password) goes through the throttled slow path. A hit still honours
   * a lockout and never stands in for a TOTP code (a code works once), and it reports the
   * password's expiry like the slow path.
   */
  async verify(username: string, password: string, client: ClientInfo, door: string): Promise<BindResult> {
    if (Buffer.byteLength(password) <= MAX_PASSWORD_BYTES) {
      // The database's state first: what was read in it still holds while it is unchanged.
      const snapshot = await preparedReader(this.db).snapshot();
      // One indexed lookup: the current row (hash, active flag), superuser flag and permissions.
      const p = await this.principalAt(snapshot, username);
      if (p && p.passwordHash && p.user.isActive && this.cache.matches(p.user.id, p.passwordHash, password)) {
        const hit = await this.cachedResult(p, snapshot);
        if (hit) return hit;
      }
      const result = await this.auth.verifyCredentials({ username, password, door, mfa: 'ldap_setting', codeInPassword: true }, client);
      // `p` may predate a concurrent password change; then the entry names a hash the row
      // no longer has (salts are random, hashes never recur) and is simply never matched.
      // A bind that needed a code is not remembered: the next one must bring a new code.
      if (result.ok && result.secondFactor === null && p?.passwordHash && p.user.id === result.user.id) this.cache.remember(result.user.id, p.passwordHash, password);
      if (!result.ok && result.user) this.cache.forget(result.user.id);
      return result;
    }
    // Oversized: refused by verifyCredentials before any KDF work, but still counted and recorded.
    return this.auth.verifyCredentials({ username, password, door, mfa: 'ldap_setting' }, client);
  }

  /**
   * The principal named `username` as the database has it now: read again unless it was read
   * while the database was at `snapshot` (which it still is: the snapshot was read just before).
   * Any commit anywhere that could change it moves the snapshot on (on PostgreSQL any commit at
   * all; on SQLite every one but the flushes of bind events and last_login: change-counter.ts),
   * so a deactivation, a new password or a lock is seen by the very next bind, on every instance.
   */
  private async principalAt(snapshot: string | null, username: string): Promise<LdapPrincipal | null> {
    const key = fold(username);
    const known = this.principals.get(snapshot, key);
    if (known !== undefined) return known;
    const p = await findLdapPrincipal(this.db, { username });
    this.principals.set(snapshot, key, p);
    return p;
  }

  /** Settings as the database has them now (as principalAt: read again unless read at `snapshot`). */
  private async settingsAt(snapshot: string | null): Promise<Settings> {
    if (snapshot !== null && this.settings?.snapshot === snapshot) return this.settings.settings;
    const settings = await this.auth.settingsNow();
    if (snapshot !== null) this.settings = { snapshot, settings };
    return settings;
  }

  /** A cache hit, unless the account is locked or its TOTP applies now (then: the slow path). */
  private async cachedResult(p: LdapPrincipal, snapshot: string | null): Promise<BindResult | null> {
    // The principal row was read by this bind, with the lock and TOTP state (one statement).
    if (p.user.lockedUntil && p.user.lockedUntil.getTime() > Date.now()) return null;
    const settings = await this.settingsAt(snapshot);
    if (p.hasTotp && (await this.auth.ldapMfaMode(settings)) !== 'off') return null;
    const user = p.user;
    return {
      ok: true, user, cached: true, principal: p, secondFactor: null,
      password: passwordState(user, settings['password.max_age_days'], settings['password.change_after_reset']),
    };
  }

  /**
   * Spends one grace login of an expired password (`password.grace_logins`,
   * draft-behera-ldap-password-policy-10 §8.1.2.3) in one conditional statement, whichever path
   * (cache hit or KDF) verified the password, so concurrent binds on every instance get at most
   * the limit, and only while the stored password is still expired. Returns the grace logins left
   * after this one; null when none is left (refuse the bind).
   */
  async spendGraceLogin(userId: string): Promise<number | null> {
    const settings = await this.auth.settingsNow();
    const limit = settings['password.grace_logins'], maxAgeDays = settings['password.max_age_days'];
    if (limit <= 0 || maxAgeDays <= 0) return null;
    const used = await spendGraceLogin(this.db.knex, userId, limit, new Date(Date.now() - maxAgeDays * 86_400_000));
    return used === null ? null : limit - used;
  }

  /** The user's current principal (row, password hash, full LDAP visibility), in one statement. */
  principal(by: { username: string } | { id: string }): Promise<LdapPrincipal | null> {
    return findLdapPrincipal(this.db, by);
  }

  /** Whether a bound user still exists under that name and is active, and its visibility now; null when it can no longer act. */
  recheck(id: string, username: string): Promise<{ fullAccess: boolean } | null> {
    return checkLdapPrincipal(this.db, id, username);
  }

  /** Records a bind refused after a good password (e.g. the application's bindings do not admit the user). */
  async recordRefusal(user: User, client: ClientInfo, action: string, context: Record<string, unknown> = {}): Promise<void> {
    const actor: Actor = { userId: user.id, username: user.username, clientIp: client.clientIp ?? null };
    await this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, action, { type: 'user', id: user.id }, context);
    });
  }

  /** Records a bind refused before any user was looked up (a DN outside ou=users). */
  async recordUnknownName(name: string, client: ClientInfo, action: string, reason: string): Promise<void> {
    const actor: Actor = { userId: null, username: null, clientIp: client.clientIp ?? null };
    await this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, action, null, { dn: name.slice(0, 512), reason });
    });
  }

  /**
   * Records a successful bind (event + last login). Written within EVENT_FLUSH_MS, together
   * with the other binds of that interval, in one transaction: a per-bind transaction would
   * cost more than the bind itself (and on SQLite hold the only connection). `flush()` (called
   * on shutdown) writes what is pending; a crash may lose at most that interval's events.
   */
  recordSuccess(user: User, client: ClientInfo, action: string, context: Record<string, unknown> = {}): void {
    this.pending.push({ user, clientIp: client.clientIp ?? null, action, context, at: nowIso() });
    if (this.pending.length > MAX_PENDING_EVENTS) {
      const dropped = this.pending.splice(0, this.pending.length - MAX_PENDING_EVENTS).length;
      this.onWriteError(new Error('bind events are not being written'), dropped);
    }
    this.timer ??= setTimeout(() => void this.flush(), EVENT_FLUSH_MS);
  }

  /** Writes pending successful-bind events now; resolves once they (and earlier flushes) are written. */
  flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    const batch = this.pending;
    this.pending = [];
    if (batch.length > 0) this.flushing = this.flushing.then(() => this.write(batch));
    return this.flushing;
  }

  private async write(batch: readonly PendingEvent[]): Promise<void> {
    const logins = new Map<string, string>();
    for (const e of batch) logins.set(e.user.id, e.at);
    try {
      await writeBindBatch(this.db, logins, batch.map((e) => ({
        action: e.action, actorId: e.user.id, actorUsername: e.user.username, clientIp: e.clientIp,
        targetType: 'user', targetId: e.user.id, context: scrub(e.context), at: e.at,
      })));
    } catch (err) {
      // Kept for the next flush (the database may be back by then), within MAX_PENDING_EVENTS.
      this.pending = [...batch, ...this.pending];
      this.onWriteError(err, 0);
      this.timer ??= setTimeout(() => void this.flush(), 1000);
    }
  }

  /** Stops the timer and writes what is pending (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }
}
