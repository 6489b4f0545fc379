/**
 * Simple bind (RFC 4511 §4.2, RFC 4513 §5.1): `cn=<username>,ou=users,<base>` or `uid=…`.
 * Every refusal is invalidCredentials (49) with one message, so usernames cannot be probed;
 * the reason goes to the event log. With the password policy request control the response
 * also carries the policy state (expired, locked, change after reset, time before expiration,
 * grace logins left: an expired password still binds `password.grace_logins` times).
 * A TOTP code may follow the password as `password;123456` (setting `mfa.ldap_bind`).
 */
import type { LdapPrincipal } from '../../src/services/directory.js';
import type { Identity, Session } from './session.js';
import type { BindRequest, Control } from './messages.js';
import { textProblem } from '../../src/domain/text.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';
import type { ResponseControl } from './responses.js';
import { passwordPolicyControl, PPOLICY_ERROR, wantsPasswordPolicy, type PpolicyResponse } from './password-policy-control.js';

const REFUSED = 'invalid credentials';
/** A password about to expire is announced this long ahead (ppolicy timeBeforeExpiration). */
const EXPIRY_WARNING_SECONDS = 14 * 86_400;

/** A bind refused with 49, and what the password policy control says about it. */
class Refused extends LdapError {
  constructor(readonly policy: PpolicyResponse | null = null) {
    super(RESULT.invalidCredentials, REFUSED);
  }
}

/** What a bind answers: the new identity (null: anonymous or refused) and the BindResponse's result and controls. */
export interface BindOutcome {
  readonly identity: Identity | null;
  readonly code: number;
  readonly message: string;
  readonly controls: readonly ResponseControl[];
}

/**
 * Performs a bind. Bad credentials are answered here (49, with the policy control when asked
 * for); other refusals are thrown.
 * @throws LdapError for refusals other than bad credentials (no control applies to them)
 */
export async function handleBind(s: Session, req: BindRequest, controls: readonly Control[]): Promise<BindOutcome> {
  const wants = wantsPasswordPolicy(controls);
  const out = (policy: PpolicyResponse | null): ResponseControl[] => (wants && policy ? [passwordPolicyControl(policy)] : []);
  try {
    const { identity, policy } = await bind(s, req);
    return { identity, code: RESULT.success, message: '', controls: out(policy) };
  } catch (e) {
    if (e instanceof Refused) return { identity: null, code: e.resultCode, message: e.message, controls: out(e.policy) };
    throw e;
  }
}

async function bind(s: Session, req: BindRequest): Promise<{ identity: Identity | null; policy: PpolicyResponse | null }> {
  const { ctx } = s;
  if (req.version !== 3) throw new LdapError(RESULT.protocolError, 'only LDAP version 3 is supported');
  if (req.simple === null) throw new LdapError(RESULT.authMethodNotSupported, `SASL (${req.sasl ?? ''}) is not supported; use a simple bind`);
  const password = req.simple;
  if (req.name === '') {
    if (password.length > 0) throw new Refused();
    return { identity: null, policy: null }; // anonymous
  }
  // RFC 4513 §5.1.2: a name with an empty password is an unauthenticated bind; refuse it.
  if (password.length === 0) throw new LdapError(RESULT.unwillingToPerform, 'unauthenticated binds (a DN without a password) are not allowed');
  if (ctx.config.ldap.requireTls && !s.secure) {
    throw new LdapError(RESULT.confidentialityRequired, 'simple binds require TLS: use StartTLS or LDAPS');
  }
  // Before anything records the name: a NUL is not storable text (src/domain/text.ts).
  const problem = textProblem(req.name);
  if (problem) throw new LdapError(RESULT.invalidDNSyntax, `the bind DN ${problem}`);
  const target = ctx.dit.classify(req.name);
  const client = { clientIp: s.clientIp };
  if (target.kind !== 'user') {
    await ctx.verifier.recordUnknownName(req.name, client, 'ldap_bind_failed', 'not_a_user_dn');
    throw new Refused();
  }
  const result = await ctx.verifier.verify(target.name, password.toString('utf8'), client, 'ldap_bind');
  if (!result.ok) {
    // Locked answers like a wrong password; only a client asking for the policy state hears why (as slapd does).
    throw new Refused(result.reason === 'locked' ? { error: PPOLICY_ERROR.accountLocked } : null);
  }
  const user = result.user;
  const slug = ctx.config.ldap.application;
  if (slug && !(await ctx.services.access.admits(slug, user.id))) {
    await ctx.verifier.recordRefusal(user, client, 'ldap_bind_failed', { reason: 'not_admitted', application: slug });
    throw new Refused();
  }
  const principal = result.principal ?? (await ctx.verifier.principal({ id: user.id }));
  if (!principal || !principal.user.isActive) throw new Refused();
  // draft-behera-ldap-password-policy-10 §8.1.2.3: an expired password binds only while grace
  // logins remain (password.grace_logins). Spent last, so a bind refused for another reason spends none.
  let graceLeft: number | null = null;
  if (result.password.expired) {
    graceLeft = await ctx.verifier.spendGraceLogin(user.id);
    if (graceLeft === null) {
      await ctx.verifier.recordRefusal(user, client, 'ldap_bind_failed', { reason: 'password_expired' });
      throw new Refused({ error: PPOLICY_ERROR.passwordExpired });
    }
  }
  // The audit record is batched (see BindVerifier.recordSuccess): it must not slow a repeat bind down.
  ctx.verifier.recordSuccess(user, client, 'ldap_bind', {
    cached: result.cached === true,
    ...(result.secondFactor ? { second_factor: result.secondFactor } : {}),
    ...(graceLeft !== null ? { grace_logins_left: graceLeft } : {}),
  });
  const { expiresIn, mustChange } = result.password;
  // The warning is a CHOICE: a grace bind announces the grace logins left, not the (past) expiry.
  const warning = graceLeft !== null ? { graceAuthNsRemaining: graceLeft }
    : expiresIn !== null && expiresIn < EXPIRY_WARNING_SECONDS ? { timeBeforeExpiration: expiresIn } : {};
  const policy: PpolicyResponse = {
    ...warning,
    ...(mustChange ? { error: PPOLICY_ERROR.changeAfterReset } : {}),
  };
  return { identity: identityOf(s, principal), policy: Object.keys(policy).length > 0 ? policy : null };
}

/** What a principal may see over LDAP. */
export function identityOf(s: Session, p: LdapPrincipal): Identity {
  return { user: p.user, dn: s.ctx.dit.userDn(p.user.username), fullAccess: p.fullAccess };
}

/**
 * Re-checks a bound user (one indexed lookup) before every operation that depends on who it is:
 * a deactivation, rename or permission change made through any door or instance applies to the
 * very next operation. Null when the user can no longer act.
 */
export async function refreshIdentity(s: Session, current: Identity): Promise<Identity | null> {
  const now = await s.ctx.verifier.recheck(current.user.id, current.user.username);
  if (!now) return null;
  return now.fullAccess === current.fullAccess ? current : { ...current, fullAccess: now.fullAccess };
}
