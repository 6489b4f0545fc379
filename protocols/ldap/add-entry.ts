/**
 * LDAP Add (RFC 4511 §4.7) of a user (`cn=<username>,ou=users,<base>`, `uid=` too, as Keycloak
 * names them) or a group (`cn=<name>,ou=groups,<base>`), through DirectoryWriteService.
 * The RDN names the entry; `cn` and `uid`, when sent, must say the same.
 */
import type { JsonObject } from '../../src/domain/types.js';
import type { MemberRef, NewDirectoryGroup, NewDirectoryUser } from '../../src/services/directory-writes.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';
import type { Session } from './session.js';
import {
  booleanValue, clearPassword, GROUP_CLASSES, meaningful, PERSON_CLASSES, textValues, USER_CLASSES, writeField, type WriteField,
} from './write-attributes.js';
import { OP } from './messages.js';
import { decodeAdd, type AddRequest } from './write-requests.js';
import { writer, writeTarget, type WriteTarget, writeOperation } from './write-support.js';

/** Performs an Add. @throws LdapError or a service error */
async function performAdd(s: Session, req: AddRequest): Promise<void> {
  const actor = await writer(s, 'add');
  const target = writeTarget(s, req.dn, RESULT.entryAlreadyExists);
  const fields = collect(target.kind, req);
  if (target.kind === 'user') await s.ctx.services.directoryWrites.addUser(actor, newUser(target, fields));
  else await s.ctx.services.directoryWrites.addGroup(actor, newGroup(s, target, fields));
}

interface Collected { readonly field: WriteField; readonly type: string; readonly values: string[] }

/** Attributes by meaning; an attribute sent twice (any spelling) counts once with all its values. */
function collect(kind: 'user' | 'group', req: AddRequest): Map<string, Collected> {
  const out = new Map<string, Collected>();
  for (const a of req.attributes) {
    const field = writeField(kind, a.type);
    const id = field.kind === 'custom' ? `custom:${field.name.toLowerCase()}` : 'name' in field ? field.name : field.kind;
    const values = textValues(a.type, a.values);
    const seen = out.get(id);
    if (seen) seen.values.push(...values);
    else out.set(id, { field, type: a.type, values });
  }
  return out;
}

function single(c: Collected | undefined, label: string): string | null {
  if (!c || c.values.length === 0) return null;
  if (c.values.length > 1) throw new LdapError(RESULT.constraintViolation, `${label}: holds a single value`);
  return c.values[0]!;
}

/** @throws LdapError 65 when objectClass is missing or names a class this kind of entry does not take */
function checkClasses(kind: 'user' | 'group', fields: Map<string, Collected>): string[] {
  const c = fields.get('objectClass');
  if (!c || c.values.length === 0) throw new LdapError(RESULT.objectClassViolation, 'objectClass: required');
  const accepted = kind === 'user' ? USER_CLASSES : GROUP_CLASSES;
  const classes = c.values.map((v) => v.toLowerCase());
  for (const [i, cls] of classes.entries()) {
    if (!accepted.includes(cls)) {
      throw new LdapError(RESULT.objectClassViolation, `objectClass: ${c.values[i]} is not accepted for ${kind}s (accepted: ${accepted.join(', ')})`);
    }
  }
  const structural = kind === 'user' ? [...PERSON_CLASSES, 'posixaccount'] : ['groupofnames', 'groupofuniquenames', 'posixgroup'];
  if (!classes.some((cls) => structural.includes(cls))) {
    throw new LdapError(RESULT.objectClassViolation, `objectClass: a ${kind} needs one of ${structural.join(', ')}`);
  }
  return classes;
}

/** @throws LdapError 21 when cn or uid names someone else than the RDN */
function checkRdn(target: WriteTarget, fields: Map<string, Collected>, names: readonly ('cn' | 'uid')[]): void {
  for (const n of names) {
    for (const v of fields.get(n)?.values ?? []) {
      if (v.toLowerCase() !== target.name.toLowerCase()) {
        throw new LdapError(RESULT.invalidAttributeSyntax, `${n}: must be ${target.name}, the name in the DN (cn and uid hold the ${target.kind === 'user' ? 'username' : 'group name'})`);
      }
    }
  }
}

function customAttributes(fields: Map<string, Collected>, into: JsonObject): JsonObject {
  for (const c of fields.values()) {
    if (c.field.kind !== 'custom') continue;
    if (c.values.length === 0) continue;
    into[c.field.name] = c.values.length === 1 ? c.values[0]! : c.values;
  }
  return into;
}

function newUser(target: WriteTarget, fields: Map<string, Collected>): NewDirectoryUser {
  const classes = checkClasses('user', fields);
  checkRdn(target, fields, ['cn', 'uid']);
  if (classes.some((c) => PERSON_CLASSES.includes(c)) && !fields.has('sn')) {
    throw new LdapError(RESULT.objectClassViolation, 'sn: required by objectClass person');
  }
  const attributes: JsonObject = {};
  const sn = single(fields.get('sn'), 'sn'), givenName = single(fields.get('givenName'), 'givenName');
  if (sn !== null && meaningful(sn)) attributes.sn = sn;
  if (givenName !== null && meaningful(givenName)) attributes.givenName = givenName;
  customAttributes(fields, attributes);
  const displayName = single(fields.get('displayName'), 'displayName');
  const password = single(fields.get('userPassword'), 'userPassword');
  const active = single(fields.get('dirgateActive'), 'dirgateActive');
  return {
    username: target.name,
    // Without displayName the name is what a person entry spells out: givenName and sn.
    name: displayName ?? [attributes.givenName, attributes.sn].filter((v) => typeof v === 'string').join(' '),
    email: single(fields.get('mail'), 'mail'),
    attributes,
    password: password === null ? null : clearPassword(password),
    ...(active !== null ? { isActive: booleanValue('dirgateActive', active) } : {}),
  };
}

function newGroup(s: Session, target: WriteTarget, fields: Map<string, Collected>): NewDirectoryGroup {
  checkClasses('group', fields);
  checkRdn(target, fields, ['cn']);
  const members = new Map<string, MemberRef>();
  for (const key of ['member', 'uniqueMember'] as const) {
    for (const m of memberRefs(s, key, fields.get(key)?.values ?? [])) members.set(`${m.kind}:${m.name.toLowerCase()}`, m);
  }
  for (const name of fields.get('memberUid')?.values ?? []) members.set(`user:${name.toLowerCase()}`, { kind: 'user', name });
  return { name: target.name, attributes: customAttributes(fields, {}), members: [...members.values()] };
}

/**
 * Keycloak keeps this value in groupOfNames groups without members, because their schema makes
 * `member` mandatory (LDAPConstants.EMPTY_MEMBER_ATTRIBUTE_VALUE): it stands for no member.
 */
const EMPTY_MEMBERSHIP_PLACEHOLDER = 'cn=empty-membership-placeholder';

/**
 * member/uniqueMember values as users and groups (Keycloak's placeholder dropped).
 * @throws LdapError 21 for a DN that names neither
 */
export function memberRefs(s: Session, attribute: string, dns: readonly string[]): MemberRef[] {
  const out: MemberRef[] = [];
  for (const dn of dns) {
    // uniqueMember may carry an optional #'…'B uid (RFC 4517 NameAndOptionalUID); we name by DN only.
    const plain = attribute === 'uniqueMember' ? dn.replace(/#'[01]*'B$/, '') : dn;
    if (plain.replace(/\s+/g, '').toLowerCase() === EMPTY_MEMBERSHIP_PLACEHOLDER) continue;
    const t = s.ctx.dit.classify(plain);
    if (t.kind !== 'user' && t.kind !== 'group') throw new LdapError(RESULT.invalidAttributeSyntax, `${attribute}: ${dn} is not a user or group of this directory`);
    out.push({ kind: t.kind, name: t.name });
  }
  return out;
}

export const addOperation = writeOperation({
  name: 'add', requestTag: OP.ADD_REQUEST, responseTag: OP.ADD_RESPONSE, decode: decodeAdd, perform: performAdd,
  after: (s, req) => writeTarget(s, req.dn, RESULT.entryAlreadyExists),
});
