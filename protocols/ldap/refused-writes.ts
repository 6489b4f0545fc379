/**
 * Add, Modify, Delete and ModifyDN (RFC 4511 §4.6–4.9) while they are not implemented: each is
 * answered unwillingToPerform, naming the doors that write. An implemented write replaces its
 * line in operations.ts.
 */
import { OP } from './messages.js';
import { defineOperation, resultReply, type Operation } from './operation.js';
import { RESULT } from './result-codes.js';

function refused(name: string, said: string, requestTag: number, responseTag: number): Operation {
  return defineOperation({
    name, requestTag, responseTag,
    decode: () => null,
    perform: async (_s, msg) => resultReply(msg.id, responseTag, RESULT.unwillingToPerform,
      `the directory is read-only over LDAP (${said} refused); change users and groups through SCIM (/scim/v2) or the admin API (/api/v1)`),
  });
}

export const refusedAdd = refused('add', 'add', OP.ADD_REQUEST, OP.ADD_RESPONSE);
export const refusedModify = refused('modify', 'modify', OP.MODIFY_REQUEST, OP.MODIFY_RESPONSE);
export const refusedDelete = refused('delete', 'delete', OP.DELETE_REQUEST, OP.DELETE_RESPONSE);
export const refusedModifyDn = refused('modifyDN', 'modify DN', OP.MODDN_REQUEST, OP.MODDN_RESPONSE);
