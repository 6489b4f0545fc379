/**
 * The extended operation (RFC 4511 §4.12) and its own table by request name: Who am I?
 * (RFC 4532), Password Modify (RFC 3062) and StartTLS (§4.14). An extension is one entry here
 * and one line in root-dse.ts's supportedExtension.
 */
import { LdapError } from './errors.js';
import { decodeExtended, OP, type Message } from './messages.js';
import { defineOperation, type Reply } from './operation.js';
import { handlePasswordModify } from './password-modify.js';
import { RESULT } from './result-codes.js';
import { encodeExtended } from './responses.js';
import { EXTENSION } from './root-dse.js';
import type { Session } from './session.js';

type Extension = (s: Session, msg: Message, value: Buffer | null) => Promise<Reply>;

function success(id: number, name: string | null, value: Buffer | null): Reply {
  return { code: RESULT.success, message: encodeExtended(id, RESULT.success, '', name, value) };
}

const EXTENSIONS: Readonly<Record<string, Extension>> = {
  [EXTENSION.WHO_AM_I]: async (s, msg) => {
    const me = await s.identity();
    return success(msg.id, null, Buffer.from(me ? `dn:${me.dn}` : ''));
  },
  [EXTENSION.PASSWORD_MODIFY]: async (s, msg, value) => success(msg.id, null, await handlePasswordModify(s, value)),
  [EXTENSION.START_TLS]: async (s, msg) => {
    s.startTlsAfterReply(); // throws when TLS cannot start now
    return success(msg.id, EXTENSION.START_TLS, null);
  },
};

export const extendedOperation = defineOperation({
  name: 'extended',
  requestTag: OP.EXTENDED_REQUEST,
  responseTag: OP.EXTENDED_RESPONSE,
  decode: decodeExtended,
  perform(s, msg, request) {
    const ext = Object.hasOwn(EXTENSIONS, request.oid) ? EXTENSIONS[request.oid] : undefined;
    if (!ext) throw new LdapError(RESULT.protocolError, `unsupported extended operation ${request.oid}`);
    return ext(s, msg, request.value);
  },
  failure: (id, t) => encodeExtended(id, t.code, t.message),
});
