/**
 * Decodes LDAPMessage requests (RFC 4511 §4) into plain objects. The search filter stays as
 * BER (a reader) so the search handler decodes it under the query budget (filters.ts).
 */
import { BerError, BerReader, TAG } from './ber.js';

export interface Control {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer | null;
}

export const Scope = { Base: 0, One: 1, Sub: 2 } as const;
export type Scope = (typeof Scope)[keyof typeof Scope];

export interface BindRequest { readonly op: 'bind'; readonly version: number; readonly name: string; readonly simple: Buffer | null; readonly sasl: string | null }
export interface SearchRequest {
  readonly op: 'search';
  readonly base: string;
  readonly scope: Scope;
  readonly sizeLimit: number;
  readonly timeLimit: number;
  readonly typesOnly: boolean;
  readonly filter: BerReader;
  readonly attributes: readonly string[];
}
export interface CompareRequest { readonly op: 'compare'; readonly dn: string; readonly attribute: string; readonly value: Buffer }
export interface ExtendedRequest { readonly op: 'extended'; readonly oid: string; readonly value: Buffer | null }
export interface AbandonRequest { readonly op: 'abandon'; readonly target: number }
export interface UnbindRequest { readonly op: 'unbind' }
/** Add, modify, delete, modify DN: answered, never performed. `responseTag` is the reply's tag. */
export interface WriteRequest { readonly op: 'write'; readonly name: string; readonly responseTag: number }

export type Request = BindRequest | SearchRequest | CompareRequest | ExtendedRequest | AbandonRequest | UnbindRequest | WriteRequest;

export interface Message {
  readonly id: number;
  readonly request: Request;
  readonly controls: readonly Control[];
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

const WRITES: Readonly<Record<number, { name: string; responseTag: number }>> = {
  [OP.MODIFY_REQUEST]: { name: 'modify', responseTag: OP.MODIFY_RESPONSE },
  [OP.ADD_REQUEST]: { name: 'add', responseTag: OP.ADD_RESPONSE },
  [OP.DELETE_REQUEST]: { name: 'delete', responseTag: OP.DELETE_RESPONSE },
  [OP.MODDN_REQUEST]: { name: 'modify DN', responseTag: OP.MODDN_RESPONSE },
};

/** A well-formed message whose operation we do not know: answered by a disconnect notice. */
export class UnknownOperation extends BerError {
  constructor(readonly id: number, readonly tag: number) {
    super(`unknown operation 0x${tag.toString(16)}`);
  }
}

/**
 * Decodes one complete LDAPMessage.
 * @throws BerError on malformed input, UnknownOperation for an operation outside RFC 4511.
 */
export function decodeMessage(buf: Buffer): Message {
  const outer = new BerReader(buf).readSequence(TAG.SEQUENCE);
  const id = outer.readInt();
  if (id < 0 || id > 0x7fffffff) throw new BerError('message id out of range');
  const op = outer.readElement();
  const request = decodeOp(id, op.tag, op.content);
  let controls: Control[] = [];
  if (outer.peekTag() === 0xa0) controls = decodeControls(outer.readSequence(0xa0));
  return { id, request, controls };
}

function decodeOp(id: number, tag: number, r: BerReader): Request {
  switch (tag) {
    case OP.BIND_REQUEST: {
      const version = r.readInt();
      const name = r.readString();
      const auth = r.readElement();
      if (auth.tag === 0x80) return { op: 'bind', version, name, simple: auth.content.buf.subarray(auth.content.pos, auth.content.end), sasl: null };
      if (auth.tag === 0xa3) return { op: 'bind', version, name, simple: null, sasl: auth.content.readString() };
      throw new BerError('unknown bind authentication choice');
    }
    case OP.UNBIND_REQUEST:
      return { op: 'unbind' };
    case OP.SEARCH_REQUEST: {
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
      return { op: 'search', base, scope: scope as Scope, sizeLimit: Math.max(0, sizeLimit), timeLimit: Math.max(0, timeLimit), typesOnly, filter, attributes };
    }
    case OP.COMPARE_REQUEST: {
      const dn = r.readString();
      const ava = r.readSequence();
      return { op: 'compare', dn, attribute: ava.readString(), value: ava.readBuffer() };
    }
    case OP.EXTENDED_REQUEST: {
      const oid = r.readString(0x80);
      const value = r.hasMore() ? r.readBuffer(0x81) : null;
      return { op: 'extended', oid, value };
    }
    case OP.ABANDON_REQUEST: {
      let target = 0;
      for (let i = r.pos; i < r.end; i++) target = target * 256 + r.buf[i]!;
      return { op: 'abandon', target };
    }
    default: {
      const w = WRITES[tag];
      if (w) return { op: 'write', ...w };
      throw new UnknownOperation(id, tag);
    }
  }
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
