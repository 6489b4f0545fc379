/**
 * The LDAP codec and framing on their own (no socket, no database): bytes in, message out;
 * malformed input out as BerError; messages cut at any byte or pipelined in one chunk.
 */
import { expect } from 'chai';
import { BerError, BerReader, BerWriter } from '../../protocols/ldap/ber.js';
import { prepare } from '../../protocols/ldap/dispatch.js';
import { decodeFilter } from '../../protocols/ldap/filters.js';
import { MessageFramer, OversizedMessage } from '../../protocols/ldap/framing.js';
import { decodeEnvelope, OP, UnknownOperation, type SearchRequest } from '../../protocols/ldap/messages.js';
import { encodeEntry, encodeExtended, encodeResult } from '../../protocols/ldap/responses.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';

/** An LDAPMessage: id, a protocolOp written by `op`, optional controls. */
function message(id: number, op: (w: BerWriter) => void, controls?: (w: BerWriter) => void): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  op(w);
  if (controls) {
    w.startSequence(0xa0);
    controls(w);
    w.endSequence();
  }
  w.endSequence();
  return Buffer.from(w.toBuffer());
}

const bind = (id: number, dn: string, password: string) => message(id, (w) => {
  w.startSequence(OP.BIND_REQUEST);
  w.writeInt(3);
  w.writeString(dn);
  w.writeString(password, 0x80);
  w.endSequence();
});

const search = (id: number, base: string, attributes: string[] = []) => message(id, (w) => {
  w.startSequence(OP.SEARCH_REQUEST);
  w.writeString(base);
  w.writeEnum(2);
  w.writeEnum(0);
  w.writeInt(10);
  w.writeInt(5);
  w.writeBool(false);
  w.startSequence(0xa3); // (uid=bob)
  w.writeString('uid');
  w.writeString('bob');
  w.endSequence();
  w.startSequence();
  for (const a of attributes) w.writeString(a);
  w.endSequence();
  w.endSequence();
});

/** Decodes one message as the connection does: envelope, then the operation's own decoder. */
function decode(bytes: Buffer): { id: number; op: string; request: unknown; controls: unknown } {
  const q = prepare(decodeEnvelope(bytes));
  let request = q.prepared.request;
  if (q.op.name === 'search') {
    // The filter stays BER until the search decodes it under the query budget.
    const { filter, raw, ...rest } = request as SearchRequest;
    // `raw` is the request's own bytes (the SearchRequest's content), what kept answers are keyed on.
    expect(bytes.includes(raw), 'raw is the request as sent').to.equal(true);
    expect(raw[0], 'raw starts at the base DN').to.equal(0x04);
    request = { ...rest, filter: decodeFilter(filter, DEFAULT_QUERY_LIMITS) };
  }
  return { id: q.msg.id, op: q.op.name, request, controls: q.msg.controls };
}

function berErrorOf(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
}

describe('LDAP codec: bytes in, message out', () => {
  const cases: Array<{ name: string; bytes: Buffer; out: ReturnType<typeof decode> }> = [
    {
      name: 'a simple bind',
      bytes: bind(1, 'cn=bob,ou=users,dc=example,dc=com', 'pw'),
      out: { id: 1, op: 'bind', request: { version: 3, name: 'cn=bob,ou=users,dc=example,dc=com', simple: Buffer.from('pw'), sasl: null }, controls: [] },
    },
    {
      name: 'a search with attributes',
      bytes: search(2, 'dc=example,dc=com', ['cn', 'mail']),
      out: {
        id: 2, op: 'search',
        request: { base: 'dc=example,dc=com', scope: 2, sizeLimit: 10, timeLimit: 5, typesOnly: false, attributes: ['cn', 'mail'],
          filter: { type: 'equal', attribute: 'uid', value: 'bob' } },
        controls: [],
      },
    },
    {
      name: 'a search with a critical paged results control',
      bytes: message(3, (w) => {
        w.startSequence(OP.SEARCH_REQUEST);
        w.writeString('');
        w.writeEnum(0);
        w.writeEnum(0);
        w.writeInt(0);
        w.writeInt(0);
        w.writeBool(true);
        w.writeString('objectClass', 0x87);
        w.startSequence();
        w.endSequence();
        w.endSequence();
      }, (w) => {
        w.startSequence();
        w.writeString('1.2.840.113556.1.4.319');
        w.writeBool(true);
        w.writeBuffer(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x0a, 0x04, 0x00]));
        w.endSequence();
      }),
      out: {
        id: 3, op: 'search',
        request: { base: '', scope: 0, sizeLimit: 0, timeLimit: 0, typesOnly: true, attributes: [], filter: { type: 'present', attribute: 'objectClass' } },
        controls: [{ oid: '1.2.840.113556.1.4.319', critical: true, value: Buffer.from([0x30, 0x05, 0x02, 0x01, 0x0a, 0x04, 0x00]) }],
      },
    },
    {
      name: 'a compare',
      bytes: message(4, (w) => {
        w.startSequence(OP.COMPARE_REQUEST);
        w.writeString('cn=bob,ou=users,dc=example,dc=com');
        w.startSequence();
        w.writeString('mail');
        w.writeString('bob@example.com');
        w.endSequence();
        w.endSequence();
      }),
      out: { id: 4, op: 'compare', request: { dn: 'cn=bob,ou=users,dc=example,dc=com', attribute: 'mail', value: Buffer.from('bob@example.com') }, controls: [] },
    },
    {
      name: 'a Who am I? extended request',
      bytes: message(5, (w) => {
        w.startSequence(OP.EXTENDED_REQUEST);
        w.writeString('1.3.6.1.4.1.4203.1.11.3', 0x80);
        w.endSequence();
      }),
      out: { id: 5, op: 'extended', request: { oid: '1.3.6.1.4.1.4203.1.11.3', value: null }, controls: [] },
    },
    {
      name: 'a message id needing four bytes',
      bytes: bind(0x7fffffff, '', ''),
      out: { id: 0x7fffffff, op: 'bind', request: { version: 3, name: '', simple: Buffer.alloc(0), sasl: null }, controls: [] },
    },
  ];
  for (const c of cases) {
    it(`decodes ${c.name}`, () => {
      expect(decode(c.bytes)).to.deep.equal(c.out);
    });
  }

  it('reads the envelope of abandon and unbind without an operation', () => {
    const abandon = decodeEnvelope(Buffer.from([0x30, 0x06, 0x02, 0x01, 0x07, 0x50, 0x01, 0x05]));
    expect({ id: abandon.id, tag: abandon.tag }).to.deep.equal({ id: 7, tag: OP.ABANDON_REQUEST });
    const unbind = decodeEnvelope(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x08, 0x42, 0x00]));
    expect({ id: unbind.id, tag: unbind.tag }).to.deep.equal({ id: 8, tag: OP.UNBIND_REQUEST });
  });

  it('refuses an operation no table entry serves, naming it', () => {
    const e = berErrorOf(() => prepare(decodeEnvelope(Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x79, 0x00]))));
    expect(e).to.be.instanceOf(UnknownOperation);
    expect((e as UnknownOperation).tag).to.equal(0x79);
  });
});

describe('LDAP codec: malformed input is a BerError', () => {
  const good = search(9, 'dc=example,dc=com', ['cn']);

  it('refuses every truncation of a message', () => {
    for (let n = 0; n < good.length; n++) {
      const e = berErrorOf(() => prepare(decodeEnvelope(good.subarray(0, n))));
      expect(e, `cut at ${n} of ${good.length}`).to.be.instanceOf(BerError);
    }
  });

  const bad: Array<{ name: string; bytes: number[] }> = [
    { name: 'a message that is no SEQUENCE', bytes: [0x31, 0x03, 0x02, 0x01, 0x01] },
    { name: 'an element longer than its container', bytes: [0x30, 0x05, 0x02, 0x01, 0x01, 0x60, 0x7f] },
    { name: 'an indefinite length', bytes: [0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00] },
    { name: 'a length of five bytes', bytes: [0x30, 0x85, 0, 0, 0, 0, 3, 0x02, 0x01, 0x01] },
    { name: 'a truncated length', bytes: [0x30, 0x06, 0x02, 0x01, 0x01, 0x60, 0x82, 0x01] },
    { name: 'a multi-byte tag', bytes: [0x30, 0x05, 0x02, 0x01, 0x01, 0x7f, 0x00] },
    { name: 'an empty message id', bytes: [0x30, 0x04, 0x02, 0x00, 0x42, 0x00] },
    { name: 'a message id of six bytes', bytes: [0x30, 0x0a, 0x02, 0x06, 1, 2, 3, 4, 5, 6, 0x42, 0x00] },
    { name: 'a negative message id', bytes: [0x30, 0x05, 0x02, 0x01, 0xff, 0x42, 0x00] },
    { name: 'a boolean of two bytes', bytes: [0x30, 0x17, 0x02, 0x01, 0x01, 0x63, 0x12, 0x04, 0x00, 0x0a, 0x01, 0x00, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 0x02, 0xff, 0xff] },
    { name: 'a bind with an unknown authentication choice', bytes: [0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03, 0x04, 0x00, 0x85, 0x00] },
    { name: 'a search scope of 3', bytes: [0x30, 0x0a, 0x02, 0x01, 0x01, 0x63, 0x05, 0x04, 0x00, 0x0a, 0x01, 0x03] },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      expect(berErrorOf(() => prepare(decodeEnvelope(Buffer.from(c.bytes))))).to.be.instanceOf(BerError);
    });
  }

  it('refuses deeply nested input without exhausting the stack', () => {
    // 2,000 nested SEQUENCEs where a bind's version belongs.
    const depth = 2000;
    let inner = Buffer.alloc(0);
    for (let i = 0; i < depth; i++) inner = Buffer.concat([Buffer.from([0x30, 0x84]), u32(inner.length), inner]);
    const op = Buffer.concat([Buffer.from([OP.BIND_REQUEST, 0x84]), u32(inner.length), inner]);
    const body = Buffer.concat([Buffer.from([0x02, 0x01, 0x01]), op]);
    const bytes = Buffer.concat([Buffer.from([0x30, 0x84]), u32(body.length), body]);
    expect(berErrorOf(() => prepare(decodeEnvelope(bytes)))).to.be.instanceOf(BerError);
  });

  it('refuses a deeply nested filter by the query budget before building it', () => {
    const w = new BerWriter();
    for (let i = 0; i < 1000; i++) w.startSequence(0xa2); // (!(!(!…
    w.writeString('objectClass', 0x87);
    for (let i = 0; i < 1000; i++) w.endSequence();
    const e = berErrorOf(() => decodeFilter(new BerReader(Buffer.from(w.toBuffer())), DEFAULT_QUERY_LIMITS));
    expect((e as { code?: string }).code).to.equal('limit_exceeded');
  });
});

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

describe('LDAP framing', () => {
  const messages = [bind(1, 'cn=admin,ou=users,dc=example,dc=com', 'secret'), search(2, 'dc=example,dc=com', ['*', '+']),
    search(3, 'x'.repeat(300))]; // the third needs a two-byte length
  const stream = Buffer.concat(messages);

  function drain(f: MessageFramer): Buffer[] {
    const out: Buffer[] = [];
    for (let m = f.next(); m; m = f.next()) out.push(Buffer.from(m));
    return out;
  }

  it('cuts pipelined messages from one chunk, in order', () => {
    const f = new MessageFramer(1 << 20);
    f.push(stream);
    expect(drain(f)).to.deep.equal(messages);
    expect(f.buffered).to.equal(0);
  });

  it('assembles messages arriving a byte at a time', () => {
    const f = new MessageFramer(1 << 20);
    const out: Buffer[] = [];
    for (const byte of stream) {
      f.push(Buffer.from([byte]));
      out.push(...drain(f));
    }
    expect(out).to.deep.equal(messages);
  });

  it('hands out one message at a time, keeping the rest buffered', () => {
    const f = new MessageFramer(1 << 20);
    f.push(stream);
    expect(Buffer.from(f.next()!)).to.deep.equal(messages[0]);
    expect(f.buffered).to.equal(stream.length - messages[0]!.length);
    f.push(messages[0]!); // more arrives while the rest waits
    expect(drain(f)).to.deep.equal([...messages.slice(1), messages[0]]);
  });

  it('refuses an oversized message from its header alone', () => {
    const f = new MessageFramer(1000);
    f.push(Buffer.from([0x30, 0x84, 0x10, 0x00, 0x00, 0x00]));
    const e = berErrorOf(() => f.next());
    expect(e).to.be.instanceOf(OversizedMessage);
    expect(e).to.be.instanceOf(BerError);
    expect((e as OversizedMessage).size).to.equal(0x10000006);
  });

  it('refuses a stream that does not start with a SEQUENCE', () => {
    const f = new MessageFramer(1000);
    f.push(Buffer.from('GET / HTTP/1.1\r\n'));
    expect(berErrorOf(() => f.next())).to.be.instanceOf(BerError);
  });

  it('waits for the rest of a length split across chunks', () => {
    const f = new MessageFramer(1 << 20);
    const third = messages[2]!;
    f.push(third.subarray(0, 2)); // tag and 0x82: the length's own bytes are missing
    expect(f.next()).to.equal(null);
    f.push(third.subarray(2, 3));
    expect(f.next()).to.equal(null);
    f.push(third.subarray(3));
    expect(Buffer.from(f.next()!)).to.deep.equal(third);
  });
});

describe('LDAP responses', () => {
  it('encodes results, entries and extended responses that decode back', () => {
    const result = new BerReader(encodeResult(7, OP.SEARCH_DONE, 32, 'no such entry', { matchedDn: 'dc=example,dc=com' })).readSequence();
    expect(result.readInt()).to.equal(7);
    const done = result.readSequence(OP.SEARCH_DONE);
    expect([done.readEnum(), done.readString(), done.readString()]).to.deep.equal([32, 'dc=example,dc=com', 'no such entry']);

    const long = 'é'.repeat(40000); // lengths of three bytes, multi-byte text
    const entry = new BerReader(encodeEntry(8, 'cn=x', [['description', [long, 'b']]], false)).readSequence();
    expect(entry.readInt()).to.equal(8);
    const e = entry.readSequence(OP.SEARCH_ENTRY);
    expect(e.readString()).to.equal('cn=x');
    const attr = e.readSequence().readSequence();
    expect(attr.readString()).to.equal('description');
    const values = attr.readSequence(0x31);
    expect([values.readString(), values.readString()]).to.deep.equal([long, 'b']);

    const ext = new BerReader(encodeExtended(9, 0, '', '1.3.6.1.4.1.1466.20037', Buffer.from('v'))).readSequence();
    ext.readInt();
    const x = ext.readSequence(OP.EXTENDED_RESPONSE);
    x.readEnum(); x.readString(); x.readString();
    expect([x.readString(0x8a), x.readString(0x8b)]).to.deep.equal(['1.3.6.1.4.1.1466.20037', 'v']);
  });

  it('writes integers in two\'s complement, minimal length', () => {
    const bytes = (n: number) => { const w = new BerWriter(); w.writeInt(n); return [...w.toBuffer()]; };
    expect(bytes(0)).to.deep.equal([0x02, 0x01, 0x00]);
    expect(bytes(127)).to.deep.equal([0x02, 0x01, 0x7f]);
    expect(bytes(128)).to.deep.equal([0x02, 0x02, 0x00, 0x80]);
    expect(bytes(-1)).to.deep.equal([0x02, 0x01, 0xff]);
    expect(bytes(-129)).to.deep.equal([0x02, 0x02, 0xff, 0x7f]);
    for (const n of [0, 1, -1, 255, 256, -256, 0x7fffffff, -0x80000000]) {
      const w = new BerWriter();
      w.writeInt(n);
      expect(new BerReader(Buffer.from(w.toBuffer())).readInt()).to.equal(n);
    }
  });
});
