/**
 * Simple bind (RFC 4511 §4.2, RFC 4513 §5.1): `cn=<username>,ou=users,<base>` or `uid=…`.
 * Every refusal is invalidCredentials (49) with one message, so usernames cannot be probed;
 * the reason goes to the event log.
 */
import type { LdapPrincipal } from '../../src/services/directory.js';
import type { Identity, Session } from './session.js';
import type { BindRequest } from './messages.js';
import { textProblem } from '../../src/domain/text.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';

const REFUSED = 'invalid credentials';

/** Performs a bind; returns the new identity (null: anonymous). @throws LdapError */
export async function handleBind(s: Session, req: BindRequest): Promise<Identity | null> {
  const { ctx } = s;
  if (req.version !== 3) throw new LdapError(RESULT.protocolError, 'only LDAP version 3 is supported');
  if (req.simple === null) throw new LdapError(RESULT.authMethodNotSupported, `SASL (${req.sasl ?? ''}) is not supported; use a simple bind`);
  const password = req.simple;
  if (req.name === '') {
    if (password.length > 0) throw new LdapError(RESULT.invalidCredentials, REFUSED);
    return null; // anonymous
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
    throw new LdapError(RESULT.invalidCredentials, REFUSED);
  }
  const result = await ctx.verifier.verify(target.name, password.toString('utf8'), client, 'ldap_bind');
  if (!result.ok) throw new LdapError(RESULT.invalidCredentials, REFUSED);
  const user = result.user;
  const slug = ctx.config.ldap.application;
  if (slug && !(await ctx.services.access.admits(slug, user.id))) {
    await ctx.verifier.recordRefusal(user, client, 'ldap_bind_failed', { reason: 'not_admitted', application: slug });
    throw new LdapError(RESULT.invalidCredentials, REFUSED);
  }
  const principal = result.principal ?? (await ctx.verifier.principal({ id: user.id }));
  if (!principal || !principal.user.isActive) throw new LdapError(RESULT.invalidCredentials, REFUSED);
  // The audit record is batched (see BindVerifier.recordSuccess): it must not slow a repeat bind down.
  ctx.verifier.recordSuccess(user, client, 'ldap_bind', { cached: result.cached === true });
  return identityOf(s, principal);
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
