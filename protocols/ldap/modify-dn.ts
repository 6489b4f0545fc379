/**
 * LDAP ModifyDN (RFC 4511 §4.9) renames a user or a group: the new RDN's value becomes the
 * username or group name. The entry stays in its container (a newSuperior naming another place
 * is refused), and since cn and uid hold exactly one value, the name, `deleteoldrdn` must be
 * TRUE for a real rename: keeping the old value (FALSE) cannot be honoured and is refused.
 */
import { parseDn } from '../../src/query/dn.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';
import type { Session } from './session.js';
import { OP } from './messages.js';
import { decodeModifyDn, type ModifyDnRequest } from './write-requests.js';
import { writer, writeTarget, writeOperation, type WriteTarget } from './write-support.js';

/** @throws LdapError 34 when newrdn is not one RDN */
function newRdn(req: ModifyDnRequest): { type: string; value: string } {
  const rdn = parseDn(req.newRdn);
  if (!rdn || rdn.length !== 1 || rdn[0]!.value === '') throw new LdapError(RESULT.invalidDNSyntax, `newrdn: ${req.newRdn} is not one RDN such as cn=name`);
  return rdn[0]!;
}

/** The entry as it is named after the rename (Post-Read). */
function renamedTarget(s: Session, req: ModifyDnRequest): WriteTarget {
  return { kind: writeTarget(s, req.dn).kind, name: newRdn(req).value };
}

/** Performs a ModifyDN. @throws LdapError or a service error */
async function performModifyDn(s: Session, req: ModifyDnRequest): Promise<void> {
  const actor = await writer(s, 'modify DN');
  const target = writeTarget(s, req.dn);
  const { type, value } = newRdn(req);
  const allowed = target.kind === 'user' ? ['cn', 'uid'] : ['cn'];
  if (!allowed.includes(type)) throw new LdapError(RESULT.namingViolation, `newrdn: ${target.kind}s are named by ${allowed.join(' or ')}`);
  if (req.newSuperior !== null) {
    const sup = s.ctx.dit.classify(req.newSuperior);
    const home = target.kind === 'user' ? 'users' : 'groups';
    if (sup.kind !== home) {
      throw new LdapError(RESULT.unwillingToPerform, `newSuperior: ${target.kind}s stay in ou=${home}; moving an entry elsewhere is not supported`);
    }
  }
  const renamed = value.toLowerCase() !== target.name.toLowerCase();
  if (renamed && !req.deleteOldRdn) {
    throw new LdapError(RESULT.constraintViolation,
      `deleteoldrdn: cn and uid hold only the ${target.kind === 'user' ? 'username' : 'group name'}, so the old value cannot be kept; rename with deleteoldrdn set (ldapmodrdn -r)`);
  }
  if (target.kind === 'user') await s.ctx.services.directoryWrites.renameUser(actor, target.name, value);
  else await s.ctx.services.directoryWrites.renameGroup(actor, target.name, value);
}

export const modifyDnOperation = writeOperation({
  name: 'modifyDN', requestTag: OP.MODDN_REQUEST, responseTag: OP.MODDN_RESPONSE, decode: decodeModifyDn, perform: performModifyDn,
  before: (s, req) => writeTarget(s, req.dn), after: (s, req) => renamedTarget(s, req),
});
