import { randomInt } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { Actor, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import type { Queryable } from '../store/rows.js';
import { countAttempt } from '../store/throttle-store.js';
import { findUsersByUsernameOrEmail } from '../store/users-store.js';
import { recordEvent } from './events.js';
import type { MailService } from './mail.js';
import type { RecoveryService } from './recovery.js';
import type { SettingsService } from './settings.js';

/** Longest "username or email" answer looked up; longer ones match nobody. */
export const MAX_IDENTIFIER_LENGTH = 320;
/** Accounts one shared email address may name; each gets its own link. */
const MAX_ACCOUNTS_PER_ADDRESS = 10;
/** The background work starts at a random moment within this many milliseconds. */
const BACKGROUND_JITTER_MS = 250;
/** Requests one instance works on in the background at once; more are turned away (same page). */
const MAX_PENDING = 200;

/** Why a self-service request sent no email; recorded with `recovery_suppressed`. */
export type SuppressReason =
  | 'address_limit' | 'busy' | 'no_match' | 'deactivated' | 'service_account' | 'no_email'
  | 'account_limit' | 'email_not_configured';

/**
 * Self-service password recovery: a user who forgot their password names their account at
 * `/recovery` and, when it is an active account with an email address, gets the same single-use
 * link an administrator would send.
 *
 * The answer must not tell who has an account, by its content or by its time. So `request` does
 * only work that is the same for every answer (count the client address, record
 * `recovery_requested`) and leaves looking the account up, the per-account limit, the link and the
 * SMTP conversation to a background task that the page never waits for. Every request ends with
 * one `recovery_email_sent` or `recovery_suppressed` event per account it named (or one
 * `recovery_suppressed` with reason `no_match`).
 */
export class SelfServiceRecovery {
  private readonly pending = new Set<Promise<void>>();
  /** Told about failures of the background work (the doors hook their logger here). */
  onBackgroundError: (err: unknown) => void = () => undefined;

  constructor(
    private readonly db: Database,
    private readonly settings: SettingsService,
    private readonly recovery: RecoveryService,
    private readonly mail: MailService,
  ) {}

  /** Whether the `/recovery` page is offered at all. */
  async enabled(): Promise<boolean> {
    return (await this.settings.get())['recovery.self_service'];
  }

  /**
   * Takes one "username or email" answer from `clientIp`: `off` when self-service recovery is
   * off, `empty` when there is no answer to look up, else `accepted` once the request is counted
   * and recorded — before anything about the account is known; the rest runs in the background.
   */
  async request(identifier: unknown, clientIp: string | null): Promise<'off' | 'empty' | 'accepted'> {
    const settings = await this.settings.get();
    if (!settings['recovery.self_service']) return 'off';
    if (typeof identifier !== 'string' || identifier.trim() === '') return 'empty';
    const window = settings['recovery.limit_window'];
    const actor: Actor = { userId: null, username: null, clientIp };
    const asked = identifier.slice(0, MAX_IDENTIFIER_LENGTH);
    const suppressed = await this.db.transaction(async (trx) => {
      const count = await countAttempt(trx, 'recovery_addr', addressKey(clientIp), window);
      await recordEvent(trx, actor, 'recovery_requested', null, { identifier: asked });
      const reason: SuppressReason | null = count > settings['recovery.limit_per_address'] ? 'address_limit'
        : this.pending.size >= MAX_PENDING ? 'busy' : null;
      if (reason) await suppress(trx, actor, null, reason, { identifier: asked, requests_in_window: count });
      return reason !== null;
    });
    if (suppressed) return 'accepted';
    // After this request's answer is on its way (the lookup must not delay it), and at a random
    // moment within BACKGROUND_JITTER_MS, so the work an account causes does not land reliably on
    // the request a prober sends right after.
    const task = new Promise<void>((resolve) => setTimeout(resolve, randomInt(BACKGROUND_JITTER_MS)))
      .then(() => this.resolveAndSend(identifier, actor, window, settings['recovery.limit_per_account']))
      .catch((err: unknown) => this.onBackgroundError(err))
      .finally(() => this.pending.delete(task));
    this.pending.add(task);
    return 'accepted';
  }

  /** Waits for the background work already started (at shutdown, and in tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async resolveAndSend(identifier: string, actor: Actor, window: number, perAccount: number): Promise<void> {
    const users = identifier.length > MAX_IDENTIFIER_LENGTH
      ? [] : await findUsersByUsernameOrEmail(this.db.knex, identifier.trim(), MAX_ACCOUNTS_PER_ADDRESS);
    if (users.length === 0) {
      await suppress(this.db.knex, actor, null, 'no_match', { identifier: identifier.slice(0, MAX_IDENTIFIER_LENGTH) });
      return;
    }
    for (const user of users) await this.sendTo(user, actor, window, perAccount);
  }

  private async sendTo(user: User, actor: Actor, window: number, perAccount: number): Promise<void> {
    const refusal: SuppressReason | null = !user.isActive ? 'deactivated'
      : user.type === 'service_account' || user.type === 'internal_service_account' ? 'service_account'
        : !user.email ? 'no_email'
          : !this.mail.enabled ? 'email_not_configured' : null;
    if (refusal) {
      await suppress(this.db.knex, actor, user, refusal);
      return;
    }
    const count = await countAttempt(this.db.knex, 'recovery_user', user.id, window);
    if (count > perAccount) {
      await suppress(this.db.knex, actor, user, 'account_limit', { requests_in_window: count });
      return;
    }
    const link = await this.recovery.createLink(user.id, actor, 'self_service');
    // A refused message is recorded as recovery_email_failed by deliver(); nothing more to tell anyone.
    await this.recovery.deliver(user, link, actor, 'self_service').catch(() => undefined);
  }
}

/** Records why a request sent no email (one `recovery_suppressed` per request and account). */
async function suppress(q: Queryable, actor: Actor, user: User | null, reason: SuppressReason, context: Record<string, unknown> = {}): Promise<void> {
  await recordEvent(q, actor, 'recovery_suppressed', user ? { type: 'user', id: user.id } : null, {
    reason, ...(user ? { username: user.username } : {}), ...context,
  });
}

/**
 * What the per-address limit counts: an IPv4 address (IPv4-mapped IPv6 included) as itself, an
 * IPv6 address by its /64 — one host usually holds a whole /64, so counting single IPv6
 * addresses would be no limit at all.
 */
export function addressKey(ip: string | null): string {
  if (!ip) return 'unknown';
  const bare = ip.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(bare)) return bare;
  const [head = '', tail] = bare.split('::') as [string, string | undefined];
  const hextets = (part: string) => part === '' ? [] : part.split(':').flatMap((h) => {
    if (!h.includes('.')) return [parseInt(h, 16)];
    const [a, b, c, d] = h.split('.').map(Number) as [number, number, number, number];
    return [(a << 8) | b, (c << 8) | d];
  });
  const front = hextets(head);
  const back = tail === undefined ? [] : hextets(tail);
  const all = [...front, ...new Array<number>(8 - front.length - back.length).fill(0), ...back];
  return `${all.slice(0, 4).map((h) => h.toString(16)).join(':')}::/64`;
}
