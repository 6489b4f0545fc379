import type { Config } from '../config.js';
import { BadGateway, Gone, InvalidValue, NotFound, PermissionDenied } from '../domain/errors.js';
import type { Actor, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import {
  claimRecoveryToken, closeExpiredRecoveryToken, findRecoveryTokenByHash, insertRecoveryToken,
  invalidateOpenRecoveryTokens, invalidateRecoveryToken, type RecoveryTokenRecord,
} from '../store/recovery-store.js';
import { findUserById } from '../store/users-store.js';
import { hashToken, newSecret } from './credentials.js';
import type { DelegationRules } from './delegation-rules.js';
import { recordEvent } from './events.js';
import { joining } from './transactions.js';
import type { MailService } from './mail.js';
import type { UserService } from './users.js';

export const RECOVERY_PREFIX = 'dgr_';
const MAX_TOKEN_LENGTH = 128;

export interface RecoveryLink {
  /** The id of the stored link (never the token). */
  readonly id: string;
  readonly link: string;
  readonly expires: Date;
}

/** Who asked for a link: an administrator, or the user at the self-service page. */
export type RecoveryOrigin = 'admin' | 'self_service';

export interface OpenRecovery {
  readonly user: User;
  readonly expires: Date;
}

/**
 * Recovery links (authentik's "recovery link"): a random single-use token, stored only as its
 * SHA-256, that lets a user set a new password at `/recovery/{token}` until it expires. A new
 * link closes every older one of the same user.
 */
export class RecoveryService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly users: UserService,
    private readonly mail: MailService,
    private readonly rules: DelegationRules,
  ) {}

  /**
   * A new link for `userId`; older open links stop working. Records `recovery_link_created`.
   * @throws NotFound, InvalidValue (deactivated user)
   */
  async createLink(userId: string, actor: Actor, origin: RecoveryOrigin = 'admin'): Promise<RecoveryLink> {
    // Self-service links are asked for by the user at /recovery (no actor); an admin's fall under the rule.
    if (origin === 'admin') await this.rules.protectUsers(actor, [userId], 'create a recovery link for');
    const token = newSecret(RECOVERY_PREFIX);
    const expires = new Date(Date.now() + this.config.auth.recoveryTtl * 1000);
    const record = await this.db.transaction(async (trx) => {
      const user = await findUserById(trx, userId);
      if (!user) throw new NotFound(`no user with id ${userId}`);
      if (!user.isActive) throw new InvalidValue('the user is deactivated; reactivate it before sending a recovery link');
      const replaced = await invalidateOpenRecoveryTokens(trx, userId);
      const rec = await insertRecoveryToken(trx, { userId, tokenHash: hashToken(token), createdBy: actor.userId, expiresAt: expires });
      await recordEvent(trx, actor, 'recovery_link_created', { type: 'user', id: userId }, {
        username: user.username, link_id: rec.id, expires: expires.toISOString(), replaced, origin,
      });
      return rec;
    });
    return { id: record.id, link: `${this.config.http.publicUrl}/recovery/${encodeURIComponent(token)}`, expires };
  }

  /**
   * Emails a new link to the user's address (plain text and HTML). Records `recovery_email_sent`
   * or `recovery_email_failed`; a link whose email failed is closed again.
   * @throws InvalidValue (email off, no address), NotFound, BadGateway (the SMTP server's answer)
   */
  async sendEmail(userId: string, actor: Actor): Promise<{ to: string; expires: Date }> {
    await this.rules.protectUsers(actor, [userId], 'email a recovery link to');
    if (!this.mail.enabled) throw new InvalidValue('email is not configured on this server (set DIRGATE_SMTP_URL)');
    const user = await this.users.get(userId);
    if (!user.email) throw InvalidValue.field('email', `the user ${user.username} has no email address`);
    const link = await this.createLink(userId, actor);
    await this.deliver(user, link, actor, 'admin');
    return { to: user.email, expires: link.expires };
  }

  /**
   * Emails `link` to `user` and records `recovery_email_sent`; when the SMTP server refuses, the
   * link is closed again, `recovery_email_failed` recorded and the error rethrown.
   * @throws BadGateway
   */
  async deliver(user: User, link: RecoveryLink, actor: Actor, origin: RecoveryOrigin): Promise<void> {
    const target = { type: 'user', id: user.id };
    try {
      const result = await this.mail.send(recoveryEmail(user, link, origin, actor.clientIp ?? null));
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, actor, 'recovery_email_sent', target, {
          username: user.username, to: user.email, link_id: link.id, smtp_response: result.response, origin,
        });
      });
    } catch (e) {
      const reason = e instanceof BadGateway ? e.message : String((e as Error)?.message ?? e);
      await this.db.transaction(async (trx) => {
        await invalidateRecoveryToken(trx, link.id);
        await recordEvent(trx, actor, 'recovery_email_failed', target, {
          username: user.username, to: user.email, link_id: link.id, error: reason, origin,
        });
      });
      throw e;
    }
  }

  /**
   * The user a token may still recover. An expired link is closed here and `recovery_link_expired`
   * recorded (once).
   * @throws NotFound (unknown token), Gone (used, replaced or expired)
   */
  async open(token: string, clientIp: string | null = null): Promise<OpenRecovery> {
    const rec = await this.find(token);
    const user = await this.checkUsable(rec, clientIp);
    return { user, expires: rec.expiresAt };
  }

  /**
   * Sets the new password from the recovery page: both entries must match and pass the policy.
   * The link is claimed, the password set and every session of the user revoked in one
   * transaction; records `recovery_link_used`.
   * @throws NotFound, Gone, InvalidValue (mismatch, policy), PermissionDenied (deactivated)
   */
  async complete(token: string, password: unknown, confirm: unknown, clientIp: string | null = null): Promise<User> {
    const rec = await this.find(token);
    const user = await this.checkUsable(rec, clientIp);
    if (typeof password !== 'string' || password === '') throw InvalidValue.field('password', 'enter a new password');
    if (password !== confirm) throw InvalidValue.field('password_confirm', 'the two passwords are not the same');
    const actor: Actor = { userId: user.id, username: user.username, clientIp };
    await this.users.checkPasswordPolicy(password, user.id, actor);
    return this.db.transaction(async (trx) => {
      if (!(await claimRecoveryToken(trx, rec.id, new Date()))) throw new Gone('this recovery link has already been used or has expired');
      const updated = await this.users.setPassword(user.id, password, actor, joining(trx));
      await recordEvent(trx, actor, 'recovery_link_used', { type: 'user', id: user.id }, { username: user.username, link_id: rec.id });
      return updated;
    });
  }

  private async find(token: string): Promise<RecoveryTokenRecord> {
    if (typeof token !== 'string' || !token.startsWith(RECOVERY_PREFIX) || token.length > MAX_TOKEN_LENGTH) {
      throw new NotFound('this recovery link is not valid');
    }
    const rec = await findRecoveryTokenByHash(this.db.knex, hashToken(token));
    if (!rec) throw new NotFound('this recovery link is not valid');
    return rec;
  }

  private async checkUsable(rec: RecoveryTokenRecord, clientIp: string | null): Promise<User> {
    if (rec.usedAt) throw new Gone('this recovery link has already been used');
    if (rec.invalidatedAt) throw new Gone('this recovery link has been replaced by a newer one or has expired');
    const now = new Date();
    if (rec.expiresAt.getTime() <= now.getTime()) {
      await this.db.transaction(async (trx) => {
        if (await closeExpiredRecoveryToken(trx, rec.id, now)) {
          await recordEvent(trx, { userId: null, username: null, clientIp }, 'recovery_link_expired', { type: 'user', id: rec.userId }, {
            link_id: rec.id, expired: rec.expiresAt.toISOString(),
          });
        }
      });
      throw new Gone('this recovery link has expired');
    }
    const user = await findUserById(this.db.knex, rec.userId);
    if (!user) throw new Gone('the account this link was made for no longer exists');
    if (!user.isActive) throw new PermissionDenied('this account is deactivated');
    return user;
  }
}

/** The recovery email: plain text and HTML alternatives with the same content. */
export function recoveryEmail(
  user: User, link: RecoveryLink, origin: RecoveryOrigin = 'admin', clientIp: string | null = null,
): { to: string; subject: string; text: string; html: string } {
  const minutes = Math.max(1, Math.round((link.expires.getTime() - Date.now()) / 60_000));
  const who = user.name || user.username;
  const why = origin === 'admin'
    ? 'an administrator created a link for you to set a new password'
    : `someone${clientIp ? ` (from the address ${clientIp})` : ''} asked for a link to set a new password`;
  const text = [
    `Hello ${who},`,
    '',
    `${why} for the account "${user.username}".`,
    `Open it within ${minutes} minutes; it works once:`,
    '',
    link.link,
    '',
    'If you did not expect this message, you can ignore it: your password stays as it is.',
  ].join('\n');
  const html = `<!doctype html><html lang="en"><body style="font-family: system-ui, sans-serif; line-height: 1.5">
<p>Hello ${escapeHtml(who)},</p>
<p>${escapeHtml(why)} for the account <strong>${escapeHtml(user.username)}</strong>.
Open it within ${minutes} minutes; it works once:</p>
<p><a href="${escapeHtml(link.link)}">Set a new password</a></p>
<p style="font-size: 0.9em; color: #555">Or copy this address into your browser: ${escapeHtml(link.link)}</p>
<p>If you did not expect this message, you can ignore it: your password stays as it is.</p>
</body></html>`;
  return { to: user.email!, subject: 'Set a new password for your account', text, html };
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
