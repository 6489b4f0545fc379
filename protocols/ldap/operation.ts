/**
 * What one LDAP operation is to the connection: the tag it answers, how its request decodes,
 * and what it does. Each operation is one file exporting one `Operation` made by
 * `defineOperation`, plus one line in operations.ts's table.
 */
import type { BerReader } from './ber.js';
import type { Translated } from './errors.js';
import type { Message } from './messages.js';
import { encodeResult, type ResponseControl } from './responses.js';
import type { Session } from './session.js';

/** The final response of an operation, with the result code it carries (counted in /metrics). */
export interface Reply {
  readonly code: number;
  readonly message: Buffer;
}

/** How an operation is written: its request type `R` stays inside its own file. */
export interface OperationSpec<R> {
  /** As counted in `dirgate_ldap_operations_total{op}` and logged. */
  readonly name: string;
  readonly requestTag: number;
  /** The tag of the response a failure is answered with. */
  readonly responseTag: number;
  /** Control OIDs the operation honours; any other control marked critical is refused (RFC 4511 §4.1.11). */
  readonly controls?: readonly string[];
  /** @throws BerError on a malformed request (the connection answers protocolError and closes) */
  decode(body: BerReader, msg: Message): R;
  /** Performs it; null when abandoned or the connection closed meanwhile. @throws anything errors.ts translates */
  perform(s: Session, msg: Message, request: R): Promise<Reply | null>;
  /** The response to a failure; an LDAPResult under `responseTag` unless given. */
  failure?(id: number, t: Translated): Buffer;
}

/** A decoded request bound to its operation, ready to run. */
export interface Prepared {
  /** The decoded request (for tests and logs; its type is the operation's own). */
  readonly request: unknown;
  perform(s: Session): Promise<Reply | null>;
}

/** An operation as the table holds it (its request type hidden in the closure `decode` returns). */
export interface Operation {
  readonly name: string;
  readonly requestTag: number;
  readonly responseTag: number;
  readonly controls: ReadonlySet<string>;
  /** @throws BerError */
  decode(body: BerReader, msg: Message): Prepared;
  failure(id: number, t: Translated): Buffer;
}

export function defineOperation<R>(spec: OperationSpec<R>): Operation {
  const { name, requestTag, responseTag } = spec;
  return {
    name, requestTag, responseTag,
    controls: new Set(spec.controls ?? []),
    decode(body, msg) {
      const request = spec.decode(body, msg);
      return { request, perform: (s) => spec.perform(s, msg, request) };
    },
    failure: spec.failure ?? ((id, t) => encodeResult(id, responseTag, t.code, t.message, { matchedDn: t.matchedDn })),
  };
}

/** An LDAPResult reply (bind, search done, compare, add, …). */
export function resultReply(
  id: number, tag: number, code: number, message = '', options: { matchedDn?: string; controls?: readonly ResponseControl[] } = {},
): Reply {
  return { code, message: encodeResult(id, tag, code, message, options) };
}
