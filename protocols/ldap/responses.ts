/** Encodes LDAP responses (RFC 4511 §4.1.9 LDAPResult and friends) as complete messages. */
import { BerWriter, TAG } from './ber.js';
import { OP } from './messages.js';

export interface ResponseControl {
  readonly oid: string;
  readonly value: Buffer | null;
}

/** One attribute of an entry: its name as we present it and its values. */
export type EntryAttribute = readonly [name: string, values: readonly string[]];

export const NOTICE_OF_DISCONNECTION = '1.3.6.1.4.1.1466.20036';

function writeControls(w: BerWriter, controls: readonly ResponseControl[] | undefined): void {
  if (!controls || controls.length === 0) return;
  w.startSequence(0xa0);
  for (const c of controls) {
    w.startSequence();
    w.writeString(c.oid);
    if (c.value) w.writeBuffer(c.value);
    w.endSequence();
  }
  w.endSequence();
}

function writeResult(w: BerWriter, code: number, matchedDn: string, message: string): void {
  w.writeEnum(code);
  w.writeString(matchedDn);
  w.writeString(message);
}

/** A response that is just an LDAPResult (bind, search done, compare, add, …). */
export function encodeResult(
  id: number, tag: number, code: number, message = '', options: { matchedDn?: string; controls?: readonly ResponseControl[] } = {},
): Buffer {
  const w = new BerWriter(64 + message.length * 3);
  w.startSequence();
  w.writeInt(id);
  w.startSequence(tag);
  writeResult(w, code, options.matchedDn ?? '', message);
  w.endSequence();
  writeControls(w, options.controls);
  w.endSequence();
  return w.toBuffer();
}

/** An ExtendedResponse with optional responseName [10] and responseValue [11]. */
export function encodeExtended(
  id: number, code: number, message: string, name?: string | null, value?: Buffer | null,
): Buffer {
  const w = new BerWriter(128);
  w.startSequence();
  w.writeInt(id);
  w.startSequence(OP.EXTENDED_RESPONSE);
  writeResult(w, code, '', message);
  if (name) w.writeString(name, 0x8a);
  if (value) w.writeBuffer(value, 0x8b);
  w.endSequence();
  w.endSequence();
  return w.toBuffer();
}

/** The unsolicited Notice of Disconnection (RFC 4511 §4.4.1) sent before we close a connection. */
export function encodeNoticeOfDisconnection(code: number, message: string): Buffer {
  return encodeExtended(0, code, message, NOTICE_OF_DISCONNECTION);
}

/** A SearchResultEntry; with `typesOnly` the value sets are empty. */
export function encodeEntry(id: number, dn: string, attributes: readonly EntryAttribute[], typesOnly: boolean): Buffer {
  const w = new BerWriter(1024); // a user entry with memberOf and a few custom attributes is ~700 bytes
  w.startSequence();
  w.writeInt(id);
  w.startSequence(OP.SEARCH_ENTRY);
  w.writeString(dn);
  w.startSequence();
  for (const [name, values] of attributes) {
    w.startSequence();
    w.writeString(name);
    w.startSequence(TAG.SET);
    if (!typesOnly) for (const v of values) w.writeString(v);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return w.toBuffer();
}
