import { emailElements } from '../../src/domain/multi-valued.js';
/**
 * Builds user and group entries as DESIGN.md "LDAP tree" lists them, honouring the requested
 * attribute list (RFC 4511 §4.5.1.8: `*` all user attributes, `+` all operational ones
 * (RFC 3673), `1.1` none, names case-insensitive).
 */
import type { Group, User } from '../../src/domain/types.js';
import { GROUP_GID_OFFSET, POSIX_ID_BASE } from '../../src/domain/catalogue.js';
import { GROUP_OBJECT_CLASSES, USER_OBJECT_CLASSES } from '../../src/query/ldap-filter.js';
import type { Dit } from './dit.js';
import { SUBSCHEMA_DN } from './dit.js';
import type { EntryAttribute } from './responses.js';

/** Which attributes a search asked for. */
export interface Selection {
  readonly allUser: boolean;
  readonly allOperational: boolean;
  /** Lowercased names asked for explicitly. */
  readonly names: ReadonlySet<string>;
}

/** Attributes returned only when asked for by name or with `+`. */
export const OPERATIONAL = new Set(['entryuuid', 'createtimestamp', 'modifytimestamp', 'entrydn', 'subschemasubentry', 'hassubordinates', 'structuralobjectclass']);

/** Names our entries carry (custom attributes may not shadow them). */
const RESERVED = new Set([
  'objectclass', 'cn', 'uid', 'displayname', 'mail', 'sn', 'givenname', 'memberof', 'uidnumber', 'gidnumber',
  'homedirectory', 'dirgateactive', 'dirgatesuperuser', 'member', 'uniquemember', 'memberuid', 'userpassword', ...OPERATIONAL,
]);

export function parseSelection(attributes: readonly string[]): Selection {
  const names = new Set<string>();
  let allUser = attributes.length === 0;
  let allOperational = false;
  for (const a of attributes) {
    const n = a.trim().toLowerCase();
    if (n === '*') allUser = true;
    else if (n === '+') allOperational = true;
    else if (n !== '1.1' && n !== '') names.add(n.includes(';') ? n.slice(0, n.indexOf(';')) : n);
  }
  return { allUser, allOperational, names };
}

export function wants(sel: Selection, lowerName: string): boolean {
  if (sel.names.has(lowerName)) return true;
  return OPERATIONAL.has(lowerName) ? sel.allOperational : sel.allUser;
}

/** Whether a custom (non-reserved) attribute is wanted. */
function wantsCustom(sel: Selection, lowerName: string): boolean {
  return sel.allUser || sel.names.has(lowerName);
}

/** RFC 4517 GeneralizedTime in UTC, e.g. `20240131120000Z`. */
export function generalizedTime(d: Date): string {
  const s = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ (sliced: this runs twice per entry)
  return `${s.slice(0, 4)}${s.slice(5, 7)}${s.slice(8, 10)}${s.slice(11, 13)}${s.slice(14, 16)}${s.slice(17, 19)}Z`;
}

/** Custom attribute keys seen, and whether each is a valid LDAP name not shadowing ours (keys repeat across entries). */
const customNames = new Map<string, boolean>();

function customName(key: string): boolean {
  let ok = customNames.get(key);
  if (ok === undefined) {
    ok = /^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(key) && !RESERVED.has(key.toLowerCase());
    if (customNames.size < 10_000) customNames.set(key, ok);
  }
  return ok;
}

/** Our attribute names, lowercased once (entries are built thousands of times a second). */
const lowerNames = new Map<string, string>();

function lowerName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < 1000) lowerNames.set(name, lower);
  }
  return lower;
}

class Builder {
  readonly out: EntryAttribute[] = [];
  constructor(private readonly sel: Selection) {}

  add(name: string, values: readonly string[] | string | null | undefined): void {
    if (values === null || values === undefined) return;
    const list = typeof values === 'string' ? (values === '' ? [] : [values]) : values;
    if (list.length === 0) return;
    if (wants(this.sel, lowerName(name))) this.out.push([name, list]);
  }

  /** Whether any operational attribute can be wanted (else skip computing them: `*` searches). */
  get operational(): boolean {
    return this.sel.allOperational || this.sel.names.size > 0;
  }

  custom(attributes: Readonly<Record<string, unknown>>): void {
    for (const [k, v] of Object.entries(attributes)) {
      if (!customName(k) || !wantsCustom(this.sel, k.toLowerCase())) continue;
      const values = (Array.isArray(v) ? v : [v]).flatMap(scalarText);
      if (values.length) this.out.push([k, values]);
    }
  }
}

function scalarText(v: unknown): string[] {
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (typeof v === 'number' && Number.isFinite(v)) return [String(v)];
  if (typeof v === 'boolean') return [v ? 'TRUE' : 'FALSE'];
  return [];
}

/** sn and givenName from attributes when set, else derived from the display name. */
function names(user: User): { sn: string; givenName: string | null } {
  const attr = (k: string) => {
    const v = user.attributes[k];
    return typeof v === 'string' && v !== '' ? v : null;
  };
  const words = user.name.trim().split(/\s+/).filter(Boolean);
  const derivedSn = words.length ? words[words.length - 1]! : user.username;
  const derivedGiven = words.length > 1 ? words.slice(0, -1).join(' ') : null;
  return { sn: attr('sn') ?? derivedSn, givenName: attr('givenName') ?? derivedGiven };
}

/** Every address of the user, the primary (the `email` column) first, each once (DESIGN.md: `mail`). */
export function mailValues(user: User): string[] {
  const elements = emailElements(user.email, user.attributes);
  const ordered = [...elements.filter((e) => e.primary === true), ...elements.filter((e) => e.primary !== true)];
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of ordered) {
    if (typeof e.value !== 'string' || e.value === '' || seen.has(e.value.toLowerCase())) continue;
    seen.add(e.value.toLowerCase());
    out.push(e.value);
  }
  return out;
}

export function uidNumber(user: User): number {
  return POSIX_ID_BASE + user.seq;
}

export function groupGidNumber(group: Group): number {
  return POSIX_ID_BASE + GROUP_GID_OFFSET + group.seq;
}

/** A user entry; `groupNames` are the direct groups' names (memberOf), `superuser` the dirgateSuperuser flag. */
export function userEntry(dit: Dit, user: User, groupNames: readonly string[], superuser: boolean, sel: Selection): EntryAttribute[] {
  const b = new Builder(sel);
  const n = names(user);
  b.add('objectClass', USER_OBJECT_CLASSES);
  b.add('cn', user.username);
  b.add('uid', user.username);
  b.add('displayName', user.name);
  b.add('sn', n.sn);
  b.add('givenName', n.givenName);
  b.add('mail', mailValues(user));
  b.add('uidNumber', String(uidNumber(user)));
  b.add('gidNumber', String(uidNumber(user)));
  b.add('homeDirectory', `/home/${user.username}`);
  b.add('memberOf', groupNames.map((g) => dit.groupDn(g)));
  b.add('dirgateActive', user.isActive ? 'TRUE' : 'FALSE');
  b.add('dirgateSuperuser', superuser ? 'TRUE' : 'FALSE');
  b.custom(user.attributes);
  if (!b.operational) return b.out;
  b.add('entryUUID', user.id);
  b.add('createTimestamp', generalizedTime(user.createdAt));
  b.add('modifyTimestamp', generalizedTime(user.updatedAt));
  b.add('entryDN', dit.userDn(user.username));
  b.add('structuralObjectClass', 'inetOrgPerson');
  b.add('subschemaSubentry', SUBSCHEMA_DN);
  b.add('hasSubordinates', 'FALSE');
  return b.out;
}

/** A group entry: member users' usernames, child groups' and parent groups' names (memberOf). */
export function groupEntry(
  dit: Dit, group: Group, memberUsers: readonly string[], memberGroups: readonly string[], parents: readonly string[], sel: Selection,
): EntryAttribute[] {
  const b = new Builder(sel);
  const memberDns = [...memberUsers.map((u) => dit.userDn(u)), ...memberGroups.map((g) => dit.groupDn(g))];
  b.add('objectClass', GROUP_OBJECT_CLASSES);
  b.add('cn', group.name);
  b.add('member', memberDns);
  b.add('uniqueMember', memberDns);
  b.add('memberUid', memberUsers);
  b.add('gidNumber', String(groupGidNumber(group)));
  b.add('memberOf', parents.map((g) => dit.groupDn(g)));
  b.add('dirgateSuperuser', group.isSuperuser ? 'TRUE' : 'FALSE');
  b.custom(group.attributes);
  if (!b.operational) return b.out;
  b.add('entryUUID', group.id);
  b.add('createTimestamp', generalizedTime(group.createdAt));
  b.add('modifyTimestamp', generalizedTime(group.updatedAt));
  b.add('entryDN', dit.groupDn(group.name));
  b.add('structuralObjectClass', 'groupOfNames');
  b.add('subschemaSubentry', SUBSCHEMA_DN);
  b.add('hasSubordinates', 'FALSE');
  return b.out;
}

/** The entries that live in no table: the base and the two containers (all attributes). */
export function fixedEntry(dit: Dit, kind: 'base' | 'users' | 'groups'): { dn: string; attrs: EntryAttribute[] } {
  if (kind === 'base') {
    const rdn = dit.baseRdn();
    const cls = rdn.type === 'dc' ? ['top', 'domain'] : rdn.type === 'o' ? ['top', 'organization'] : ['top', 'organizationalUnit'];
    return { dn: dit.baseDn, attrs: [['objectClass', cls], [rdn.type, [rdn.value]], ['hasSubordinates', ['TRUE']], ['subschemaSubentry', [SUBSCHEMA_DN]], ['entryDN', [dit.baseDn]]] };
  }
  const dn = kind === 'users' ? dit.usersDn : dit.groupsDn;
  return { dn, attrs: [['objectClass', ['top', 'organizationalUnit']], ['ou', [kind]], ['hasSubordinates', ['TRUE']], ['subschemaSubentry', [SUBSCHEMA_DN]], ['entryDN', [dn]]] };
}

/** Cuts a fixed entry's full attribute list down to the selection. */
export function selectAttributes(attrs: readonly EntryAttribute[], sel: Selection): EntryAttribute[] {
  return attrs.filter(([name]) => wants(sel, name.toLowerCase()));
}
