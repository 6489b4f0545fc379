/**
 * A small BER reader and writer for LDAP (RFC 4511 §5.1: definite lengths only, low tag
 * numbers). Hand-written instead of ldapjs's per-message objects because the message path is
 * the throughput limit (DESIGN.md, "ldapjs's ceiling"): reading slices one Buffer, writing
 * fills one growing Buffer and patches sequence lengths in place.
 */

/** Malformed BER: the connection is answered with protocolError and closed. */
export class BerError extends Error {}

export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  ENUMERATED: 0x0a,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

export class BerReader {
  pos: number;
  constructor(readonly buf: Buffer, start = 0, readonly end = buf.length) {
    this.pos = start;
  }

  hasMore(): boolean {
    return this.pos < this.end;
  }

  /** The next tag without consuming it; -1 at the end. */
  peekTag(): number {
    return this.pos < this.end ? this.buf[this.pos]! : -1;
  }

  /** Reads a tag and a length; returns the content bounds. */
  private header(expected?: number): { tag: number; start: number; length: number } {
    if (this.pos >= this.end) throw new BerError('unexpected end of message');
    const tag = this.buf[this.pos++]!;
    if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not used by LDAP');
    if (expected !== undefined && tag !== expected) {
      throw new BerError(`expected tag 0x${expected.toString(16)}, found 0x${tag.toString(16)}`);
    }
    const length = this.length();
    const start = this.pos;
    if (start + length > this.end) throw new BerError('element longer than its container');
    this.pos = start + length;
    return { tag, start, length };
  }

  private length(): number {
    if (this.pos >= this.end) throw new BerError('missing length');
    const first = this.buf[this.pos++]!;
    if (first < 0x80) return first;
    const n = first & 0x7f;
    if (n === 0) throw new BerError('indefinite lengths are not allowed in LDAP');
    if (n > 4) throw new BerError('length too large');
    if (this.pos + n > this.end) throw new BerError('truncated length');
    let len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + this.buf[this.pos++]!;
    return len;
  }

  /** A reader over the contents of the next constructed element. */
  readSequence(expected?: number): BerReader {
    const h = this.header(expected);
    return new BerReader(this.buf, h.start, h.start + h.length);
  }

  /** The next element's tag and a reader over its contents. */
  readElement(): { tag: number; content: BerReader } {
    const h = this.header();
    return { tag: h.tag, content: new BerReader(this.buf, h.start, h.start + h.length) };
  }

  readInt(expected: number = TAG.INTEGER): number {
    const h = this.header(expected);
    if (h.length === 0 || h.length > 5) throw new BerError('integer of bad size');
    let v = 0;
    for (let i = 0; i < h.length; i++) v = v * 256 + this.buf[h.start + i]!;
    if (this.buf[h.start]! & 0x80) v -= 2 ** (8 * h.length); // two's complement
    return v;
  }

  readEnum(): number {
    return this.readInt(TAG.ENUMERATED);
  }

  readBool(expected: number = TAG.BOOLEAN): boolean {
    const h = this.header(expected);
    if (h.length !== 1) throw new BerError('boolean of bad size');
    return this.buf[h.start] !== 0;
  }

  readBuffer(expected: number = TAG.OCTET_STRING): Buffer {
    const h = this.header(expected);
    return this.buf.subarray(h.start, h.start + h.length);
  }

  readString(expected: number = TAG.OCTET_STRING): string {
    const h = this.header(expected);
    return this.buf.toString('utf8', h.start, h.start + h.length);
  }

  /** Skips the next element whatever it is. */
  skip(): void {
    this.header();
  }
}

/**
 * Reads the outer `tag length` of a message at the front of `buf`: the total size of the
 * message, or -1 when more bytes are needed. Lets the connection refuse oversized messages
 * before buffering them.
 * @throws BerError when the header is not an LDAPMessage SEQUENCE
 */
export function messageSize(buf: Buffer): number {
  if (buf.length < 2) return -1;
  if (buf[0] !== TAG.SEQUENCE) throw new BerError('an LDAP message must be a SEQUENCE');
  const first = buf[1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new BerError('bad message length');
  if (buf.length < 2 + n) return -1;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i]!;
  return 2 + n + len;
}

export class BerWriter {
  private buf: Buffer;
  private pos = 0;
  private readonly stack: number[] = [];

  constructor(size = 512) {
    this.buf = Buffer.allocUnsafe(size);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  private writeLength(len: number): void {
    this.ensure(5);
    if (len < 0x80) this.buf[this.pos++] = len;
    else if (len < 0x100) { this.buf[this.pos++] = 0x81; this.buf[this.pos++] = len; }
    else if (len < 0x10000) { this.buf[this.pos++] = 0x82; this.buf.writeUInt16BE(len, this.pos); this.pos += 2; }
    else if (len < 0x1000000) { this.buf[this.pos++] = 0x83; this.buf.writeUIntBE(len, this.pos, 3); this.pos += 3; }
    else { this.buf[this.pos++] = 0x84; this.buf.writeUInt32BE(len, this.pos); this.pos += 4; }
  }

  /** Opens a constructed element; its length is patched in by `endSequence`. */
  startSequence(tag: number = TAG.SEQUENCE): void {
    this.ensure(6);
    this.buf[this.pos++] = tag;
    this.stack.push(this.pos);
    this.pos += 4; // room for the longest length form we emit below 16 MiB
  }

  endSequence(): void {
    const at = this.stack.pop();
    if (at === undefined) throw new Error('endSequence without startSequence');
    const len = this.pos - at - 4;
    const lenBytes = len < 0x80 ? 1 : len < 0x100 ? 2 : len < 0x10000 ? 3 : len < 0x1000000 ? 4 : 5;
    if (lenBytes === 5) {
      // Needs one byte more than reserved.
      this.ensure(1);
      this.buf.copyWithin(at + 5, at + 4, this.pos);
      this.pos += 1;
    } else if (lenBytes < 4) {
      this.buf.copyWithin(at + lenBytes, at + 4, this.pos);
      this.pos -= 4 - lenBytes;
    }
    const save = this.pos;
    this.pos = at;
    this.writeLength(len);
    this.pos = save;
  }

  writeInt(value: number, tag: number = TAG.INTEGER): void {
    const bytes: number[] = [];
    let v = Math.trunc(value);
    if (v >= 0) {
      do { bytes.unshift(v & 0xff); v = Math.floor(v / 256); } while (v > 0);
      if (bytes[0]! & 0x80) bytes.unshift(0);
    } else {
      do { bytes.unshift(((v % 256) + 256) % 256); v = Math.floor(v / 256); } while (v < -1);
      if (!(bytes[0]! & 0x80)) bytes.unshift(0xff);
    }
    this.ensure(2 + bytes.length);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = bytes.length;
    for (const b of bytes) this.buf[this.pos++] = b;
  }

  writeEnum(value: number): void {
    this.writeInt(value, TAG.ENUMERATED);
  }

  writeBool(value: boolean, tag: number = TAG.BOOLEAN): void {
    this.ensure(3);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 1;
    this.buf[this.pos++] = value ? 0xff : 0;
  }

  writeString(value: string, tag: number = TAG.OCTET_STRING): void {
    const n = value.length;
    if (n < 0x80) {
      // Short ASCII (most names and values): bytes written here, without two native calls.
      this.ensure(2 + n);
      const buf = this.buf;
      let p = this.pos + 2;
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) break;
        buf[p++] = c;
      }
      if (i === n) {
        buf[this.pos] = tag;
        buf[this.pos + 1] = n;
        this.pos = p;
        return;
      }
    }
    const len = Buffer.byteLength(value);
    this.ensure(6 + len);
    this.buf[this.pos++] = tag;
    this.writeLength(len);
    this.pos += this.buf.write(value, this.pos, 'utf8');
  }

  writeBuffer(value: Uint8Array, tag: number = TAG.OCTET_STRING): void {
    this.ensure(6 + value.length);
    this.buf[this.pos++] = tag;
    this.writeLength(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A primitive element with no content (e.g. NULL). */
  writeEmpty(tag: number): void {
    this.ensure(2);
    this.buf[this.pos++] = tag;
    this.buf[this.pos++] = 0;
  }

  /** The bytes written so far (a view; do not reuse the writer afterwards). */
  toBuffer(): Buffer {
    if (this.stack.length) throw new Error('unterminated sequence');
    return this.buf.subarray(0, this.pos);
  }
}
