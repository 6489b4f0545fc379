/**
 * The attribute vocabulary of LDAP writes (DESIGN.md "LDAP tree", "Writes"): what each
 * attribute description of an Add or a Modify means for a user or a group entry, and the
 * refusal (with its result code and a diagnostic naming the attribute) for those it cannot.
 */
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';

/** What an attribute of a write stands for. `name` is the spelling we present. */
export type WriteField =
  | { readonly kind: 'objectClass' }
  | { readonly kind: 'rdn'; readonly name: 'cn' | 'uid' }
  | { readonly kind: 'displayName' }
  | { readonly kind: 'mail' }
  /** sn and givenName live in the user's attributes (entries.ts reads them there). */
  | { readonly kind: 'nameAttribute'; readonly name: 'sn' | 'givenName' }
  | { readonly kind: 'userPassword' }
  | { readonly kind: 'dirgateActive' }
  | { readonly kind: 'member'; readonly name: 'member' | 'uniqueMember' }
  | { readonly kind: 'memberUid' }
  | { readonly kind: 'custom'; readonly name: string };

const USER_FIELDS: Readonly<Record<string, WriteField>> = {
  objectclass: { kind: 'objectClass' },
  cn: { kind: 'rdn', name: 'cn' }, commonname: { kind: 'rdn', name: 'cn' },
  uid: { kind: 'rdn', name: 'uid' }, userid: { kind: 'rdn', name: 'uid' },
  displayname: { kind: 'displayName' },
  mail: { kind: 'mail' }, rfc822mailbox: { kind: 'mail' },
  sn: { kind: 'nameAttribute', name: 'sn' }, surname: { kind: 'nameAttribute', name: 'sn' },
  givenname: { kind: 'nameAttribute', name: 'givenName' }, gn: { kind: 'nameAttribute', name: 'givenName' },
  userpassword: { kind: 'userPassword' },
  dirgateactive: { kind: 'dirgateActive' },
};

const GROUP_FIELDS: Readonly<Record<string, WriteField>> = {
  objectclass: { kind: 'objectClass' },
  cn: { kind: 'rdn', name: 'cn' }, commonname: { kind: 'rdn', name: 'cn' },
  member: { kind: 'member', name: 'member' },
  uniquemember: { kind: 'member', name: 'uniqueMember' },
  memberuid: { kind: 'memberUid' },
};

/** Attributes dirgate computes (subschema: NO-USER-MODIFICATION). */
const SERVER_ASSIGNED = new Map<string, string>([
  ['memberof', 'memberOf'], ['uidnumber', 'uidNumber'], ['gidnumber', 'gidNumber'], ['homedirectory', 'homeDirectory'],
  ['dirgatesuperuser', 'dirgateSuperuser'], ['entryuuid', 'entryUUID'], ['createtimestamp', 'createTimestamp'],
  ['modifytimestamp', 'modifyTimestamp'], ['entrydn', 'entryDN'], ['subschemasubentry', 'subschemaSubentry'],
  ['hassubordinates', 'hasSubordinates'], ['structuralobjectclass', 'structuralObjectClass'],
]);

/** Names that belong to the other kind of entry (refused with objectClassViolation, not stored as custom). */
const OTHER_KIND = new Set([...Object.keys(USER_FIELDS), ...Object.keys(GROUP_FIELDS)]);

/** A custom attribute name as entries.ts serves one back (RFC 4512 §1.4 descr, 64 characters at most). */
export const CUSTOM_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;

/** Object classes an Add may name, per kind of entry (lowercased). */
export const USER_CLASSES = ['top', 'person', 'organizationalperson', 'inetorgperson', 'posixaccount', 'dirgateobject', 'extensibleobject'];
export const GROUP_CLASSES = ['top', 'groupofnames', 'groupofuniquenames', 'posixgroup', 'dirgateobject', 'extensibleobject'];
/** Classes that make an entry a person (sn is then required, as RFC 4519 person says). */
export const PERSON_CLASSES = ['person', 'organizationalperson', 'inetorgperson'];

/**
 * What an attribute description means for a user or group entry.
 * @throws LdapError 17 for a name that is no valid attribute, 19 for a server-assigned one,
 *   65 for one the entry's classes do not allow
 */
export function writeField(kind: 'user' | 'group', type: string): WriteField {
  const lower = type.toLowerCase();
  const known = (kind === 'user' ? USER_FIELDS : GROUP_FIELDS)[lower];
  if (known) return known;
  const assigned = SERVER_ASSIGNED.get(lower);
  if (assigned) throw new LdapError(RESULT.constraintViolation, `${assigned}: assigned by dirgate, it cannot be written (NO-USER-MODIFICATION)`);
  if (OTHER_KIND.has(lower)) throw new LdapError(RESULT.objectClassViolation, `${type}: not allowed in a ${kind} entry`);
  if (!CUSTOM_NAME.test(type)) throw new LdapError(RESULT.undefinedAttributeType, `${type}: not a valid attribute name (a letter, then letters, digits or '-', at most 64)`);
  return { kind: 'custom', name: type };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The values as text. @throws LdapError 21 when a value is not UTF-8 */
export function textValues(attribute: string, values: readonly Buffer[]): string[] {
  return values.map((v) => {
    try {
      return UTF8.decode(v);
    } catch {
      throw new LdapError(RESULT.invalidAttributeSyntax, `${attribute}: a value is not valid UTF-8`);
    }
  });
}

/** RFC 4517 Boolean. @throws LdapError 21 */
export function booleanValue(attribute: string, value: string): boolean {
  if (value === 'TRUE') return true;
  if (value === 'FALSE') return false;
  throw new LdapError(RESULT.invalidAttributeSyntax, `${attribute}: must be TRUE or FALSE`);
}

/**
 * A userPassword value as a clear-text password.
 * @throws LdapError 53 for a pre-hashed value ({SSHA}, {CRYPT}, …): dirgate stores its own hashes only
 */
export function clearPassword(value: string): string {
  const scheme = /^\{([A-Za-z0-9.-]+)\}/.exec(value);
  if (scheme) {
    throw new LdapError(RESULT.unwillingToPerform,
      `userPassword: pre-hashed values ({${scheme[1]}}) cannot be imported over LDAP; send the password itself (over TLS) and dirgate hashes it`);
  }
  return value;
}

/**
 * Keycloak writes a single space for a mandatory attribute it has no value for
 * (LDAPConstants.EMPTY_ATTRIBUTE_VALUE, e.g. sn of a user without a last name): no value.
 */
export function meaningful(value: string): boolean {
  return value.trim() !== '';
}
