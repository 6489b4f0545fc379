/**
 * Fuzzing the LDAP door (issue 14): random requests with hostile DNs, filters and values,
 * then the same PDUs mutated byte by byte (flips, insertions, truncations, length bytes),
 * sent on a bound connection against a booted server on each dialect. No answer may carry
 * resultCode 80 (other), the connection must either answer a following sentinel search or
 * close (never hang), and nothing may change in the directory when the request was refused.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { once } from 'node:events';
import { connect } from 'node:net';
import { BerReader, BerWriter, messageSize } from '../../protocols/ldap/ber.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { fingerprint, hostileString as anyHostile, params, RUNS } from './fuzz-support.js';

const BASE = 'dc=example,dc=com';
const FUZZED_ID = 2;
const SENTINEL_ID = 99;

/** LDAP carries bytes, so a lone surrogate arrives as U+FFFD: NUL is the character to press on. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: anyHostile },
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.nat()).map(([t, at]) => { const i = at % (t.length + 1); return `${t.slice(0, i)}\u0000${t.slice(i)}`; }) },
);

type Filter =
  | { t: 'and' | 'or'; fs: Filter[] } | { t: 'not'; f: Filter } | { t: 'eq' | 'ge' | 'le' | 'approx'; a: string; v: string }
  | { t: 'sub'; a: string; parts: Array<[number, string]> } | { t: 'present'; a: string } | { t: 'ext'; rule?: string; a?: string; v: string; dn: boolean };

const attribute = fc.oneof(fc.constantFrom('uid', 'cn', 'mail', 'memberOf', 'objectClass', 'entryUUID', 'uidNumber', 'dirgateActive', 'member', 'sn', 'department', '1.2.840.113556.1.4.1941'), hostileString);
const value = fc.oneof(fc.constantFrom('admin', '*', 'person', `cn=admins,ou=groups,${BASE}`, '10001', 'TRUE', '20240101000000Z'), hostileString);

const filterArb: fc.Arbitrary<Filter> = fc.letrec<{ f: Filter }>((tie) => ({
  f: fc.oneof(
    { depthSize: 'small' },
    fc.record({ t: fc.constantFrom('eq' as const, 'ge' as const, 'le' as const, 'approx' as const), a: attribute, v: value }),
    fc.record({ t: fc.constant('present' as const), a: attribute }),
    fc.record({ t: fc.constant('sub' as const), a: attribute, parts: fc.array(fc.tuple(fc.constantFrom(0x80, 0x81, 0x82), value), { maxLength: 3 }) }),
    fc.record({ t: fc.constant('ext' as const), rule: fc.option(fc.constantFrom('1.2.840.113556.1.4.1941', 'caseIgnoreMatch', '2.5.13.2'), { nil: undefined }), a: fc.option(attribute, { nil: undefined }), v: value, dn: fc.boolean() }),
    fc.record({ t: fc.constantFrom('and' as const, 'or' as const), fs: fc.array(tie('f'), { maxLength: 3 }) }),
    fc.record({ t: fc.constant('not' as const), f: tie('f') }),
  ),
})).f;

function writeFilter(w: BerWriter, f: Filter): void {
  switch (f.t) {
    case 'and': case 'or':
      w.startSequence(f.t === 'and' ? 0xa0 : 0xa1); for (const x of f.fs) writeFilter(w, x); w.endSequence(); return;
    case 'not': w.startSequence(0xa2); writeFilter(w, f.f); w.endSequence(); return;
    case 'present': w.writeString(f.a, 0x87); return;
    case 'sub':
      w.startSequence(0xa4); w.writeString(f.a); w.startSequence(); for (const [tag, v] of f.parts) w.writeString(v, tag); w.endSequence(); w.endSequence(); return;
    case 'ext':
      w.startSequence(0xa9);
      if (f.rule !== undefined) w.writeString(f.rule, 0x81);
      if (f.a !== undefined) w.writeString(f.a, 0x82);
      w.writeString(f.v, 0x83);
      if (f.dn) w.writeBool(true, 0x84);
      w.endSequence(); return;
    default:
      w.startSequence({ eq: 0xa3, ge: 0xa5, le: 0xa6, approx: 0xa8 }[f.t]); w.writeString(f.a); w.writeString(f.v); w.endSequence();
  }
}

function envelope(id: number, body: (w: BerWriter) => void): Buffer {
  const w = new BerWriter();
  w.startSequence(); w.writeInt(id); body(w); w.endSequence();
  return Buffer.from(w.toBuffer());
}

function bind(id: number, dn: string, password: string): Buffer {
  return envelope(id, (w) => { w.startSequence(0x60); w.writeInt(3); w.writeString(dn); w.writeString(password, 0x80); w.endSequence(); });
}

function search(id: number, base: string, scope: number, filter: Filter, attrs: readonly string[], sizeLimit = 0): Buffer {
  return envelope(id, (w) => {
    w.startSequence(0x63); w.writeString(base); w.writeEnum(scope); w.writeEnum(0); w.writeInt(sizeLimit); w.writeInt(0); w.writeBool(false);
    writeFilter(w, filter);
    w.startSequence(); for (const a of attrs) w.writeString(a); w.endSequence();
    w.endSequence();
  });
}

const dn = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom('', BASE, `ou=users,${BASE}`, `cn=admin,ou=users,${BASE}`, `uid=admin,ou=users,${BASE}`, `cn=admins,ou=groups,${BASE}`, 'cn=subschema') },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom('cn', 'uid'), hostileString).map(([t, v]) => `${t}=${v},ou=users,${BASE}`) },
  { weight: 1, arbitrary: hostileString.map((v) => `cn=${v},ou=groups,${BASE}`) },
  { weight: 1, arbitrary: hostileString },
);
const password = fc.oneof(fc.constant('a-password'), hostileString);

const request: fc.Arbitrary<Buffer> = fc.oneof(
  fc.tuple(dn, fc.integer({ min: 0, max: 2 }), filterArb, fc.array(fc.oneof(attribute, fc.constantFrom('*', '+', '1.1')), { maxLength: 3 }), fc.nat(5))
    .map(([b, scope, f, attrs, size]) => search(FUZZED_ID, b, scope, f, attrs, size)),
  fc.tuple(dn, password).map(([d, p]) => bind(FUZZED_ID, d, p)),
  fc.tuple(dn, attribute, value).map(([d, a, v]) => envelope(FUZZED_ID, (w) => { w.startSequence(0x6e); w.writeString(d); w.startSequence(); w.writeString(a); w.writeString(v); w.endSequence(); w.endSequence(); })),
  fc.tuple(fc.constantFrom('1.3.6.1.4.1.4203.1.11.3', '1.3.6.1.4.1.4203.1.11.1', '1.3.6.1.4.1.1466.20037', '1.2.3'), fc.option(fc.uint8Array({ maxLength: 40 }), { nil: undefined }))
    .map(([oid, v]) => envelope(FUZZED_ID, (w) => { w.startSequence(0x77); w.writeString(oid, 0x80); if (v) w.writeBuffer(v, 0x81); w.endSequence(); })),
  fc.tuple(fc.constantFrom(0x66, 0x68, 0x4a, 0x6c), dn).map(([tag, d]) => envelope(FUZZED_ID, (w) => { if (tag === 0x4a) w.writeString(d, tag); else { w.startSequence(tag); w.writeString(d); w.startSequence(); w.endSequence(); w.endSequence(); } })),
);

/** A request, or the same bytes mutated. */
const edit = fc.tuple(fc.constantFrom('flip', 'insert', 'delete', 'truncate', 'length'), fc.nat(), fc.integer({ min: 0, max: 255 }));
const pdu: fc.Arbitrary<Buffer> = fc.tuple(request, fc.oneof(fc.constant([]), fc.array(edit, { minLength: 1, maxLength: 3 })))
  .map(([buf, edits]) => {
    let b = Buffer.from(buf);
    for (const [how, at, byte] of edits) {
      const i = b.length === 0 ? 0 : at % b.length;
      if (how === 'flip') b[i] = byte;
      else if (how === 'insert') b = Buffer.concat([b.subarray(0, i), Buffer.from([byte]), b.subarray(i)]);
      else if (how === 'delete') b = Buffer.concat([b.subarray(0, i), b.subarray(i + 1)]);
      else if (how === 'truncate') b = b.subarray(0, i);
      else if (b.length > 1) b[1] = byte; // the outer length
    }
    return b;
  });

interface Answer { id: number; tag: number; code?: number; diagnostic?: string }

/** The LDAPMessages in `data`, with the result code of each result-bearing response. */
function parseAnswers(data: Buffer): Answer[] {
  const out: Answer[] = [];
  let buf = data;
  while (buf.length > 0) {
    const size = messageSize(buf);
    if (size < 0 || buf.length < size) break;
    const r = new BerReader(buf.subarray(0, size)).readSequence();
    buf = buf.subarray(size);
    const id = r.readInt();
    const op = r.readElement();
    if (op.tag === 0x64 || op.tag === 0x73) { out.push({ id, tag: op.tag }); continue; } // entry, reference
    const code = op.content.readEnum();
    op.content.readString(); // matchedDN
    out.push({ id, tag: op.tag, code, diagnostic: op.content.readString() });
  }
  return out;
}

/**
 * How `bytes` frame into messages: `complete` when the last one is whole (the server then owes
 * an answer to each, or a close), false when it is cut short (the server rightly waits for the
 * rest); `last` is the final whole frame.
 */
function frames(bytes: Buffer): { complete: boolean; last: Buffer | null } {
  let buf = bytes;
  let last: Buffer | null = null;
  while (buf.length > 0) {
    let size: number;
    try { size = messageSize(buf); } catch { return { complete: true, last: null }; } // malformed: the server must close
    if (size < 0 || buf.length < size) return { complete: false, last };
    last = buf.subarray(0, size);
    buf = buf.subarray(size);
  }
  return { complete: true, last };
}

/** Sends bytes; resolves when the sentinel's answer arrived or the server closed (or after `ms`). */
async function exchange(port: number, bytes: Buffer, ms = 4000): Promise<{ answers: Answer[]; ended: 'sentinel' | 'closed' | 'timeout' }> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => undefined);
  await once(s, 'connect');
  let data = Buffer.alloc(0);
  const result = await new Promise<'sentinel' | 'closed' | 'timeout'>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms);
    s.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      try {
        if (parseAnswers(data).some((a) => a.id === SENTINEL_ID && a.tag === 0x65)) { clearTimeout(timer); resolve('sentinel'); }
      } catch { /* incomplete */ }
    });
    s.on('close', () => { clearTimeout(timer); resolve('closed'); });
    s.write(bytes);
  });
  s.destroy();
  return { answers: parseAnswers(data), ended: result };
}

for (const dialect of dialects()) {
  describe(`fuzzing the LDAP door on ${dialect}`, function () {
    this.timeout(300000);
    let server: BootedServer;

    before(async () => { server = await bootServer(dialect, { 'ldap.bind_cache_ttl': 60 }); });
    after(async () => { await server?.stop(); });

    const sentinel = search(SENTINEL_ID, BASE, 2, { t: 'eq', a: 'uid', v: 'admin' }, ['1.1']);

    for (const [title, login] of [['anonymous', bind(1, '', '')], ['bound as admin', bind(1, `cn=admin,ou=users,${BASE}`, ADMIN_PASSWORD)]] as const) {
      it(`random and mutated PDUs, ${title}: never 80, never a hang, nothing changed when refused`, async () => {
        await fc.assert(fc.asyncProperty(pdu, async (bytes) => {
          const before = await fingerprint(server.database.db);
          let all = Buffer.concat([login, bytes, sentinel]);
          const f = frames(all);
          // A fuzzed length can swallow the sentinel whole: then it goes once more, on its own.
          if (f.complete && f.last !== null && !f.last.equals(sentinel)) all = Buffer.concat([all, sentinel]);
          const complete = f.complete;
          const { answers, ended } = await exchange(server.ldapPort, all, complete ? 4000 : 500);
          const what = `${bytes.toString('hex').slice(0, 400)} → ${ended} ${JSON.stringify(answers).slice(0, 400)}`;
          // A message cut short leaves the server waiting for its rest (the idle timeout ends that).
          if (complete) expect(ended, what).to.not.equal('timeout');
          for (const a of answers) expect(a.code, what).to.not.equal(80);
          const fuzzed = answers.find((a) => a.id === FUZZED_ID && a.code !== undefined);
          if (!fuzzed || fuzzed.code !== 0) expect(await fingerprint(server.database.db), `refused, yet rows changed: ${what}`).to.equal(before);
        }), params(RUNS * 3)); // a PDU costs a few milliseconds: three times the HTTP runs
      });
    }
  });
}
