/**
 * What every LDAP write shares: the read-only switch, the bound writer as an actor (the LDAP
 * door recorded as the origin of its events), where the target DN points, and the translation
 * of service errors into the result codes RFC 4511 gives updates, naming the LDAP attribute.
 */
import { AlreadyExists, InvalidValue, PreconditionFailed } from '../../src/domain/errors.js';
import type { Actor } from '../../src/domain/types.js';
import type { BerReader } from './ber.js';
import { LdapError, toLdapResult, type Translated } from './errors.js';
import { defineOperation, resultReply, type Operation } from './operation.js';
import { checkReadable, readEntryControl, readRequest } from './read-controls.js';
import type { ResponseControl } from './responses.js';
import { CONTROL } from './root-dse.js';
import { RESULT, type ResultCode } from './result-codes.js';
import type { Session } from './session.js';

export type WriteTarget = { readonly kind: 'user' | 'group'; readonly name: string };

/** The bound caller as the actor of a write. @throws LdapError 53 when read-only, 50 when anonymous */
export async function writer(s: Session, operation: string): Promise<Actor> {
  if (s.ctx.config.ldap.readOnly) {
    throw new LdapError(RESULT.unwillingToPerform,
      `the directory is read-only over LDAP (${operation} refused); change users and groups through SCIM (/scim/v2) or the admin API (/api/v1)`);
  }
  const me = await s.identity();
  if (!me) throw new LdapError(RESULT.insufficientAccessRights, `bind first: anonymous clients cannot ${operation}`);
  return { userId: me.user.id, username: me.user.username, clientIp: s.clientIp, door: 'ldap' };
}

/**
 * The user or group a write names.
 * @throws LdapError 34 (bad DN), 32 (outside the tree, with matchedDN), 53 (root DSE, subschema),
 *   `fixed` for the base and the two containers (68 for an Add, 66 for a Delete, 53 otherwise)
 */
export function writeTarget(s: Session, dn: string, fixed: ResultCode = RESULT.unwillingToPerform): WriteTarget {
  const t = s.ctx.dit.classify(dn);
  switch (t.kind) {
    case 'user': case 'group': return t;
    case 'invalid': throw new LdapError(RESULT.invalidDNSyntax, `not a valid DN: ${dn}`);
    case 'none': throw new LdapError(RESULT.noSuchObject,
      `${dn} is outside the tree: users are cn=<username>,${s.ctx.dit.usersDn} and groups cn=<name>,${s.ctx.dit.groupsDn}`, t.matched);
    case 'rootDse': case 'subschema': throw new LdapError(RESULT.unwillingToPerform, `${dn || 'the root DSE'} cannot be changed`);
    case 'base': case 'users': case 'groups': throw new LdapError(fixed, `${dn} is a fixed entry of the tree`);
  }
}

/** Service field names (InvalidValue.fields) as the LDAP attributes that carry them. */
const LDAP_NAMES: Readonly<Record<string, string>> = {
  username: 'cn', name: 'displayName', email: 'mail', is_active: 'dirgateActive', password: 'userPassword', parents: 'memberOf',
};

/** A write's failure as a result; invalid values are 21 (a password against the policy 19), each naming its attribute. */
export function toWriteResult(e: unknown): Translated {
  const r = (code: Translated['code'], message: string): Translated => ({ code, message, matchedDn: '', unexpected: false });
  if (e instanceof InvalidValue) {
    const entries = Object.entries(e.fields);
    if (entries.length === 0) return r(RESULT.invalidAttributeSyntax, e.message);
    const message = entries.map(([k, v]) => `${Object.hasOwn(LDAP_NAMES, k) ? LDAP_NAMES[k] : k}: ${v}`).join('; ');
    return r(entries.some(([k]) => k === 'password') ? RESULT.constraintViolation : RESULT.invalidAttributeSyntax, message);
  }
  if (e instanceof AlreadyExists && e.field === 'email') return r(RESULT.constraintViolation, `mail: ${e.message}`);
  if (e instanceof PreconditionFailed) return r(RESULT.busy, `${e.message}; retry`);
  return toLdapResult(e);
}

/** Values of a multi-valued text attribute as a set key: DN-ish and name attributes ignore case. */
export function valueKey(value: string, caseIgnore: boolean): string {
  return caseIgnore ? value.toLowerCase() : value;
}

/**
 * An update operation for operations.ts: success is an LDAPResult (with the Pre-Read and
 * Post-Read entries when asked for and `before`/`after` name the entry); a failure is translated
 * here (toWriteResult), the unexpected ones left to the dispatcher to log as 80.
 */
export function writeOperation<R>(spec: {
  name: string; requestTag: number; responseTag: number;
  decode(body: BerReader): R;
  perform(s: Session, request: R): Promise<void>;
  /** The entry as it is before the write (Pre-Read applies). */
  before?(s: Session, request: R): WriteTarget;
  /** The entry as it is after the write (Post-Read applies). */
  after?(s: Session, request: R): WriteTarget;
}): Operation {
  return defineOperation({
    name: spec.name, requestTag: spec.requestTag, responseTag: spec.responseTag,
    controls: [...(spec.before ? [CONTROL.PRE_READ] : []), ...(spec.after ? [CONTROL.POST_READ] : [])],
    decode: (body) => spec.decode(body),
    perform: async (s, msg, request) => {
      const controls: ResponseControl[] = [];
      try {
        const pre = spec.before ? readRequest(msg.controls, CONTROL.PRE_READ) : null;
        const post = spec.after ? readRequest(msg.controls, CONTROL.POST_READ) : null;
        if (pre) await checkReadable(s, pre, spec.before!(s, request));
        if (post) await checkReadable(s, post, spec.after!(s, request));
        if (pre && !s.ctx.config.ldap.readOnly) {
          const c = await readEntryControl(s, pre, spec.before!(s, request));
          if (c) controls.push(c);
        }
        await spec.perform(s, request);
        if (post) {
          const c = await readEntryControl(s, post, spec.after!(s, request));
          if (c) controls.push(c);
        }
      } catch (e) {
        const t = toWriteResult(e);
        if (t.unexpected) throw e;
        throw new LdapError(t.code, t.message, t.matchedDn);
      }
      return resultReply(msg.id, spec.responseTag, RESULT.success, '', { controls });
    },
  });
}
