/**
 * The LDAPMessage envelope (RFC 4511 §4.1.1) and the request decoders of the operations we
 * serve (§4.2–4.12), into plain objects. The search filter stays as BER (a reader) so the
 * search handler decodes it under the query budget (filters.ts). Which tag goes to which
 * operation is operations.ts's table.
 */
import { BerError, BerReader, TAG } from './ber.js';

export interface Control {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer | null;
}

export const Scope = { Base: 0, One: 1, Sub: 2 } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export interface BindRequest { readonly version: number; readonly name: string; readonly simple: Buffer | null; readonly sasl: string | null }
export interface SearchRequest {
  readonly base: string;
  readonly scope: Scope;
  readonly sizeLimit: number;
  readonly timeLimit: number;
  readonly typesOnly: boolean;
  readonly filter: BerReader;
  readonly attributes: readonly string[];
  /** The whole request as sent (a search's identity for search-answers.ts). */
  readonly raw: Buffer;
}
export interface CompareRequest { readonly dn: string; readonly attribute: string; readonly value: Buffer }
export interface ExtendedRequest { readonly oid: string; readonly value: Buffer | null }

/** What an operation handler knows of its message besides the request. */
export interface Message {
  readonly id: number;
  readonly controls: readonly Control[];
}

/** An LDAPMessage with its protocolOp still encoded: the operation's own decoder reads `body`. */
export interface Envelope extends Message {
  /** The protocolOp's application tag. */
  readonly tag: number;
  readonly body: BerReader;
}

/** Application tags of requests and responses (RFC 4511 §4.2–4.14). */
export const OP = {
  BIND_REQUEST: 0x60,
  BIND_RESPONSE: 0x61,
  UNBIND_REQUEST: 0x42,
  SEARCH_REQUEST: 0x63,
  SEARCH_ENTRY: 0x64,
  SEARCH_DONE: 0x65,
  MODIFY_REQUEST: 0x66,
  MODIFY_RESPONSE: 0x67,
  ADD_REQUEST: 0x68,
  ADD_RESPONSE: 0x69,
  DELETE_REQUEST: 0x4a,
  DELETE_RESPONSE: 0x6b,
  MODDN_REQUEST: 0x6c,
  MODDN_RESPONSE: 0x6d,
  COMPARE_REQUEST: 0x6e,
  COMPARE_RESPONSE: 0x6f,
  ABANDON_REQUEST: 0x50,
  EXTENDED_REQUEST: 0x77,
  EXTENDED_RESPONSE: 0x78,
} as const;

/** A well-formed message whose operation we do not know: answered by a disconnect notice. */
export class UnknownOperation extends BerError {
  constructor(readonly id: number, readonly tag: number) {
    super(`unknown operation 0x${tag.toString(16)}`);
  }
}

/**
 * Decodes the envelope of one complete LDAPMessage (RFC 4511 §4.1.1): id, operation tag, controls.
 * @throws BerError on malformed input
 */
export function decodeEnvelope(buf: Buffer): Envelope {
  const outer = new BerReader(buf).readSequence(TAG.SEQUENCE);
  const id = outer.readInt();
  if (id < 0 || id > 0x7fffffff) throw new BerError('message id out of range');
  const op = outer.readElement();
  let controls: Control[] = [];
  if (outer.peekTag() === 0xa0) controls = decodeControls(outer.readSequence(0xa0));
  return { id, tag: op.tag, body: op.content, controls };
}

/** @throws BerError */
export function decodeBind(r: BerReader): BindRequest {
  const version = r.readInt();
  const name = r.readString();
  const auth = r.readElement();
  if (auth.tag === 0x80) return { version, name, simple: auth.content.buf.subarray(auth.content.pos, auth.content.end), sasl: null };
  if (auth.tag === 0xa3) return { version, name, simple: null, sasl: auth.content.readString() };
  throw new BerError('unknown bind authentication choice');
}

/** @throws BerError */
export function decodeSearch(r: BerReader): SearchRequest {
  const raw = r.buf.subarray(r.pos, r.end);
  const base = r.readString();
  const scope = r.readEnum();
  if (scope < 0 || scope > 2) throw new BerError('bad search scope');
  r.readEnum(); // derefAliases: there are no aliases in this tree
  const sizeLimit = r.readInt();
  const timeLimit = r.readInt();
  const typesOnly = r.readBool();
  const start = r.pos;
  r.skip();
  const filter = new BerReader(r.buf, start, r.pos);
  const attrs = r.readSequence(TAG.SEQUENCE);
  const attributes: string[] = [];
  while (attrs.hasMore()) attributes.push(attrs.readString());
  return { base, scope: scope as Scope, sizeLimit: Math.max(0, sizeLimit), timeLimit: Math.max(0, timeLimit), typesOnly, filter, attributes, raw };
}

/** @throws BerError */
export function decodeCompare(r: BerReader): CompareRequest {
  const dn = r.readString();
  const ava = r.readSequence();
  return { dn, attribute: ava.readString(), value: ava.readBuffer() };
}

/** @throws BerError */
export function decodeExtended(r: BerReader): ExtendedRequest {
  const oid = r.readString(0x80);
  const value = r.hasMore() ? r.readBuffer(0x81) : null;
  return { oid, value };
}

/** The message id an AbandonRequest names (RFC 4511 §4.11: `[APPLICATION 16] MessageID`, primitive). */
export function decodeAbandon(r: BerReader): number {
  if (r.end - r.pos > 4) throw new BerError('abandon: message id too long');
  let target = 0;
  for (let i = r.pos; i < r.end; i++) target = target * 256 + r.buf[i]!;
  return target;
}

function decodeControls(r: BerReader): Control[] {
  const out: Control[] = [];
  while (r.hasMore()) {
    const c = r.readSequence();
    const oid = c.readString();
    let critical = false;
    let value: Buffer | null = null;
    if (c.peekTag() === TAG.BOOLEAN) critical = c.readBool();
    if (c.peekTag() === TAG.OCTET_STRING) value = c.readBuffer();
    out.push({ oid, critical, value });
  }
  return out;
}
