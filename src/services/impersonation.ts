import type { Config } from '../config.js';
import { Conflict, InvalidValue, NotFound, PermissionDenied } from '../domain/errors.js';
import type { Session, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { deleteSessions, insertSession } from '../store/sessions-store.js';
import { findUserById } from '../store/users-store.js';
import type { AccessService } from './access.js';
import type { DelegationRules } from './delegation-rules.js';
import type { AuthContext, ClientInfo } from './auth.js';
import { SESSION_PREFIX } from './auth.js';
import { hashToken, newSecret } from './credentials.js';
import { recordEvent } from './events.js';
import type { SettingsService } from './settings.js';

const MAX_REASON_LENGTH = 1000;

/**
 * Impersonation (authentik's "impersonate with reason"): an admin gets a session that acts as
 * another user. The session carries the impersonator, so every event recorded through it
 * names both people, and the impersonator's deactivation ends it at once.
 */
export class ImpersonationService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly settings: SettingsService,
    private readonly access: AccessService,
    private readonly rules: DelegationRules,
  ) {}

  /**
   * Starts impersonating `targetId`. Refused when the setting is off, without `user.impersonate`,
   * for oneself, for a superuser unless the caller is one, from inside an impersonation, and
   * without a reason when one is required. Records `impersonation_started` with the reason.
   * @throws PermissionDenied, InvalidValue, NotFound, Conflict
   */
  async start(ctx: AuthContext, targetId: string, reason: unknown, client: ClientInfo): Promise<{ token: string; expires: Date; session: Session; user: User }> {
    const settings = await this.settings.get();
    if (!settings['impersonation.enabled']) throw new PermissionDenied('impersonation is turned off (setting "impersonation.enabled")');
    await this.rules.refuseInImpersonation(ctx.actor, 'impersonate (end the current impersonation first)', { type: 'user', id: targetId });
    const target = await findUserById(this.db.knex, targetId);
    await this.access.requireOn(ctx.actor, 'user.impersonate', target ? { type: 'user', id: target.id } : null);
    if (!target) throw new NotFound(`no user with id ${targetId}`);
    if (target.id === ctx.user.id) throw new PermissionDenied('you cannot impersonate yourself');
    await this.rules.protectUsers(ctx.actor, [target.id], 'impersonate');
    if (reason !== undefined && reason !== null && typeof reason !== 'string') throw InvalidValue.field('reason', 'must be a string');
    const why = typeof reason === 'string' ? reason.trim() : '';
    if (why.length > MAX_REASON_LENGTH) throw InvalidValue.field('reason', `must be at most ${MAX_REASON_LENGTH} characters`);
    if (settings['impersonation.require_reason'] && why === '') {
      throw InvalidValue.field('reason', 'a reason is required to impersonate (setting "impersonation.require_reason")');
    }
    if (!target.isActive) throw new Conflict(`the user ${target.username} is deactivated and cannot be impersonated`);
    const token = newSecret(SESSION_PREFIX);
    const expires = new Date(Date.now() + this.config.auth.sessionTtl * 1000);
    const session = await this.db.transaction(async (trx) => {
      const s = await insertSession(trx, {
        userId: target.id, tokenHash: hashToken(token), expiresAt: expires, clientIp: client.clientIp ?? null,
        userAgent: client.userAgent ?? null, impersonatorId: ctx.user.id, impersonationReason: why || null,
      });
      await recordEvent(trx, ctx.actor, 'impersonation_started', { type: 'user', id: target.id }, {
        username: target.username, impersonator: ctx.user.username, reason: why || null, session_id: s.id,
      });
      return s;
    });
    return { token, expires, session, user: target };
  }

  /**
   * Ends the impersonation the request came through: the session is deleted and
   * `impersonation_ended` recorded (actor: the user, impersonator: the admin) with the reason.
   * Returns the admin.
   * @throws InvalidValue when the request is not made through an impersonation session.
   */
  async end(ctx: AuthContext): Promise<User> {
    if (!ctx.session || !ctx.impersonator) throw new InvalidValue('this request is not made through an impersonation session');
    const session = ctx.session;
    const impersonator = ctx.impersonator;
    await this.db.transaction(async (trx) => {
      await deleteSessions(trx, { ids: [session.id] });
      await recordEvent(trx, ctx.actor, 'impersonation_ended', { type: 'user', id: session.userId }, {
        username: ctx.user.username, impersonator: impersonator.username, reason: session.impersonationReason, session_id: session.id,
      });
    });
    return impersonator;
  }

  /**
   * `GET /me`: the user a request acts as, the impersonating admin (or null), and the caller's
   * effective global permissions (an impersonation session acts with the user's).
   */
  async whoAmI(ctx: AuthContext): Promise<{ user: User; original: User | null; permissions: string[] }> {
    const permissions = [...(await this.access.permissionsOf(ctx.user.id))].sort();
    return { user: ctx.user, original: ctx.impersonator, permissions };
  }
}

