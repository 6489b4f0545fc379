/** The bind operation's registration (the bind itself is bind.ts). */
import { handleBind } from './bind.js';
import { decodeBind, OP } from './messages.js';
import { defineOperation, resultReply } from './operation.js';
import { RESULT } from './result-codes.js';

export const bindOperation = defineOperation({
  name: 'bind',
  requestTag: OP.BIND_REQUEST,
  responseTag: OP.BIND_RESPONSE,
  decode: decodeBind,
  async perform(s, msg, request) {
    s.setIdentity(null); // RFC 4511 §4.2.1: a bind, even a failed one, starts anonymous
    s.setIdentity(await handleBind(s, request));
    return resultReply(msg.id, OP.BIND_RESPONSE, RESULT.success);
  },
});
