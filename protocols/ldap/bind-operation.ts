/** The bind operation's registration (the bind itself is bind.ts). */
import { handleBind } from './bind.js';
import { decodeBind, OP } from './messages.js';
import { defineOperation, resultReply } from './operation.js';
import { CONTROL } from './root-dse.js';

export const bindOperation = defineOperation({
  name: 'bind',
  requestTag: OP.BIND_REQUEST,
  responseTag: OP.BIND_RESPONSE,
  controls: [CONTROL.PASSWORD_POLICY],
  decode: decodeBind,
  async perform(s, msg, request) {
    s.setIdentity(null); // RFC 4511 §4.2.1: a bind, even a failed one, starts anonymous
    const r = await handleBind(s, request, msg.controls);
    s.setIdentity(r.identity);
    return resultReply(msg.id, OP.BIND_RESPONSE, r.code, r.message, { controls: r.controls });
  },
});
