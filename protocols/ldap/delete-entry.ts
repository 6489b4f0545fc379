/**
 * LDAP Delete (RFC 4511 §4.8) of a user or a group through DirectoryWriteService. A group with
 * members may be deleted, as in the admin API; the base and the containers are not leaves (66).
 */
import { RESULT } from './result-codes.js';
import type { Session } from './session.js';
import { OP } from './messages.js';
import { decodeDelete, type DeleteRequest } from './write-requests.js';
import { writer, writeTarget, writeOperation } from './write-support.js';

/** Performs a Delete. @throws LdapError or a service error */
async function performDelete(s: Session, req: DeleteRequest): Promise<void> {
  const actor = await writer(s, 'delete');
  const target = writeTarget(s, req.dn, RESULT.notAllowedOnNonLeaf);
  if (target.kind === 'user') await s.ctx.services.directoryWrites.deleteUser(actor, target.name);
  else await s.ctx.services.directoryWrites.deleteGroup(actor, target.name);
}

export const deleteOperation = writeOperation({
  name: 'delete', requestTag: OP.DELETE_REQUEST, responseTag: OP.DELETE_RESPONSE, decode: decodeDelete, perform: performDelete,
  before: (s, req) => writeTarget(s, req.dn, RESULT.notAllowedOnNonLeaf),
});
