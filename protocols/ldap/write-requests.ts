/**
 * Decodes the four update operations of RFC 4511 (§4.6 Modify, §4.7 Add, §4.8 Delete,
 * §4.9 ModifyDN) from the contents of their protocolOp element. Values stay Buffers: a
 * userPassword or a custom attribute may be any octets; the mapping decides what is text.
 */
import { BerError, BerReader, TAG } from './ber.js';

/** One attribute of an Add, or the modification of a Modify change (RFC 4511 §4.1.7). */
export interface WriteAttribute {
  /** As the client wrote it (attribute descriptions compare ignoring case). */
  readonly type: string;
  readonly values: readonly Buffer[];
}

export type ModifyOperation = 'add' | 'delete' | 'replace' | 'increment';

export interface ModifyChange {
  readonly operation: ModifyOperation;
  readonly modification: WriteAttribute;
}

export interface AddRequest { readonly op: 'add'; readonly dn: string; readonly attributes: readonly WriteAttribute[] }
export interface ModifyRequest { readonly op: 'modify'; readonly dn: string; readonly changes: readonly ModifyChange[] }
export interface DeleteRequest { readonly op: 'delete'; readonly dn: string }
export interface ModifyDnRequest {
  readonly op: 'modifyDn';
  readonly dn: string;
  readonly newRdn: string;
  readonly deleteOldRdn: boolean;
  readonly newSuperior: string | null;
}

export type WriteRequest = AddRequest | ModifyRequest | DeleteRequest | ModifyDnRequest;

const OPERATIONS: readonly ModifyOperation[] = ['add', 'delete', 'replace', 'increment'];

function readAttribute(r: BerReader): WriteAttribute {
  const a = r.readSequence();
  const type = a.readString();
  const set = a.readSequence(TAG.SET);
  const values: Buffer[] = [];
  while (set.hasMore()) values.push(set.readBuffer());
  return { type, values };
}

/** AddRequest ::= [APPLICATION 8] SEQUENCE { entry LDAPDN, attributes AttributeList }. @throws BerError */
export function decodeAdd(r: BerReader): AddRequest {
  const dn = r.readString();
  const list = r.readSequence();
  const attributes: WriteAttribute[] = [];
  while (list.hasMore()) attributes.push(readAttribute(list));
  return { op: 'add', dn, attributes };
}

/** ModifyRequest ::= [APPLICATION 6] SEQUENCE { object LDAPDN, changes SEQUENCE OF change }. @throws BerError */
export function decodeModify(r: BerReader): ModifyRequest {
  const dn = r.readString();
  const list = r.readSequence();
  const changes: ModifyChange[] = [];
  while (list.hasMore()) {
    const c = list.readSequence();
    const code = c.readEnum();
    const operation = OPERATIONS[code];
    if (operation === undefined) throw new BerError(`unknown modify operation ${code}`);
    changes.push({ operation, modification: readAttribute(c) });
  }
  return { op: 'modify', dn, changes };
}

/** DelRequest ::= [APPLICATION 10] LDAPDN — a primitive element whose contents are the DN. */
export function decodeDelete(r: BerReader): DeleteRequest {
  return { op: 'delete', dn: r.buf.toString('utf8', r.pos, r.end) };
}

/** ModifyDNRequest ::= [APPLICATION 12] SEQUENCE { entry, newrdn, deleteoldrdn, newSuperior [0] OPTIONAL }. @throws BerError */
export function decodeModifyDn(r: BerReader): ModifyDnRequest {
  const dn = r.readString();
  const newRdn = r.readString();
  const deleteOldRdn = r.readBool();
  const newSuperior = r.peekTag() === 0x80 ? r.readString(0x80) : null;
  return { op: 'modifyDn', dn, newRdn, deleteOldRdn, newSuperior };
}
