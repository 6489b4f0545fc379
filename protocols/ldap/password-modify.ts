/**
 * Password Modify extended operation (RFC 3062, 1.3.6.1.4.1.4203.1.11.1), as `ldappasswd`
 * sends it: a user changes its own password by giving the old one; a holder of
 * `user.set_password` (or a superuser) sets anyone's. The new password obeys the password
 * policy; `UserService.setPassword` revokes the user's sessions. Without a new password the
 * server generates one and returns it (RFC 3062 §3.3).
 */
import { randomBytes } from 'node:crypto';
import type { User } from '../../src/domain/types.js';
import { BerReader, BerWriter } from './ber.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';
import type { Session } from './session.js';

interface PasswdModify {
  readonly userIdentity: string | null;
  readonly oldPassword: string | null;
  readonly newPassword: string | null;
}

/** @throws BerError when the request value is malformed. */
export function decodePasswdModify(value: Buffer | null): PasswdModify {
  let userIdentity: string | null = null, oldPassword: string | null = null, newPassword: string | null = null;
  if (value && value.length > 0) {
    const r = new BerReader(value).readSequence();
    while (r.hasMore()) {
      const tag = r.peekTag();
      if (tag === 0x80) userIdentity = r.readString(0x80);
      else if (tag === 0x81) oldPassword = r.readString(0x81);
      else if (tag === 0x82) newPassword = r.readString(0x82);
      else r.skip();
    }
  }
  return { userIdentity, oldPassword, newPassword };
}

/** Performs the change; returns the response value (genPasswd) or null. @throws LdapError or a dirgate error */
export async function handlePasswordModify(s: Session, value: Buffer | null): Promise<Buffer | null> {
  const { ctx } = s;
  const req = decodePasswdModify(value);
  const me = await s.identity();
  if (!me) throw new LdapError(RESULT.insufficientAccessRights, 'bind first to change a password');
  if (ctx.config.ldap.requireTls && !s.secure) throw new LdapError(RESULT.confidentialityRequired, 'password changes require TLS');
  const target = await resolveUser(s, req.userIdentity, me.user);
  const self = target.id === me.user.id;
  // user.set_password globally or on this one user; the service refuses a superuser target
  // for a non-superuser (no path to a superuser), which errors.ts answers with 50.
  const admin = await ctx.services.access.holdsOn(me.user.id, 'user.set_password', { type: 'user', id: target.id });
  if (!self && !admin) throw new LdapError(RESULT.insufficientAccessRights, 'changing another user\'s password requires the permission user.set_password');
  if (self && !admin && req.oldPassword === null) throw new LdapError(RESULT.unwillingToPerform, 'give the current password (oldPasswd) to change your own');
  if (req.oldPassword !== null && self) {
    const check = await ctx.verifier.verify(target.username, req.oldPassword, { clientIp: s.clientIp }, 'ldap_passwd');
    if (!check.ok) throw new LdapError(RESULT.invalidCredentials, 'the current password is wrong');
  }
  const generated = req.newPassword === null ? randomBytes(18).toString('base64url') : null;
  const actor = { userId: me.user.id, username: me.user.username, clientIp: s.clientIp };
  await ctx.services.users.setPassword(target.id, req.newPassword ?? generated, actor);
  ctx.verifier.cache.forget(target.id);
  if (generated === null) return null;
  const w = new BerWriter(64);
  w.startSequence();
  w.writeString(generated, 0x80);
  w.endSequence();
  return Buffer.from(w.toBuffer());
}

/** userIdentity as a DN (`cn=…,ou=users,…`), an authzId (`dn:…`, `u:name`), or the bound user. */
async function resolveUser(s: Session, identity: string | null, me: User): Promise<User> {
  if (identity === null || identity === '') return me;
  let name: string | null = null;
  if (identity.startsWith('u:')) name = identity.slice(2);
  else {
    const t = s.ctx.dit.classify(identity.startsWith('dn:') ? identity.slice(3) : identity);
    if (t.kind === 'user') name = t.name;
  }
  const user = name === null ? null : await s.ctx.services.users.findByUsername(name);
  if (!user) throw new LdapError(RESULT.noSuchObject, `no such user: ${identity}`);
  return user;
}
