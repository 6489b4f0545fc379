/**
 * The directory information tree of DESIGN.md "LDAP tree": where a DN points, and the DNs of
 * users and groups (RFC 4514 escaping).
 */
import { textProblem } from '../../src/domain/text.js';
import { parseDn, type Rdn } from '../../src/query/dn.js';

export type Target =
  | { readonly kind: 'rootDse' }
  | { readonly kind: 'subschema' }
  | { readonly kind: 'base' }
  | { readonly kind: 'users' }
  | { readonly kind: 'groups' }
  | { readonly kind: 'user'; readonly name: string }
  | { readonly kind: 'group'; readonly name: string }
  /** Not in the tree; `matched` is the deepest existing ancestor (RFC 4511 §4.1.9 matchedDN). */
  | { readonly kind: 'none'; readonly matched: string }
  | { readonly kind: 'invalid' };

export const SUBSCHEMA_DN = 'cn=subschema';

const NEEDS_ESCAPE = /[\\,+"<>;=\u0000]|^[ #]| $/;

/** RFC 4514 §2.4 escaping of an attribute value inside a DN. */
export function escapeDnValue(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value; // the common case, one scan
  let out = value.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/\u0000/g, '\\00');
  if (out.startsWith(' ') || out.startsWith('#')) out = `\\${out}`;
  if (out.endsWith(' ') && out.length > 1) out = `${out.slice(0, -1)}\\ `;
  return out;
}

export class Dit {
  readonly baseDn: string;
  readonly usersDn: string;
  readonly groupsDn: string;
  private readonly baseRdns: readonly Rdn[];
  private readonly usersSuffix: string;
  private readonly groupsSuffix: string;

  constructor(baseDn: string) {
    const rdns = parseDn(baseDn);
    if (!rdns || rdns.length === 0) throw new Error(`bad base DN ${baseDn}`);
    this.baseRdns = rdns;
    this.baseDn = rdns.map((r) => `${r.type}=${escapeDnValue(r.value)}`).join(',');
    this.usersDn = `ou=users,${this.baseDn}`;
    this.groupsDn = `ou=groups,${this.baseDn}`;
    this.usersSuffix = `,${this.usersDn}`;
    this.groupsSuffix = `,${this.groupsDn}`;
  }

  userDn(username: string): string {
    return `cn=${escapeDnValue(username)}${this.usersSuffix}`;
  }

  groupDn(name: string): string {
    return `cn=${escapeDnValue(name)}${this.groupsSuffix}`;
  }

  /** The first RDN type and value of the base (e.g. `dc`, `example`). */
  baseRdn(): Rdn {
    return this.baseRdns[0]!;
  }

  /** Where a DN points. Attribute types and values of the fixed part compare ignoring case. */
  classify(dn: string): Target {
    if (dn === '') return { kind: 'rootDse' };
    // A NUL names nothing any backend can store (src/domain/text.ts): invalidDNSyntax (34).
    if (textProblem(dn)) return { kind: 'invalid' };
    const rdns = parseDn(dn);
    // `cn=\00,…` spells a NUL as an escape (RFC 4514 §2.4): refused like a NUL in the text itself.
    if (!rdns || rdns.some((r) => textProblem(r.value) || textProblem(r.type))) return { kind: 'invalid' };
    if (rdns.length === 0) return { kind: 'rootDse' };
    if (rdns.length === 1 && rdns[0]!.type === 'cn' && rdns[0]!.value.toLowerCase() === 'subschema') return { kind: 'subschema' };
    const n = this.baseRdns.length;
    if (rdns.length < n) return { kind: 'none', matched: '' };
    for (let i = 0; i < n; i++) {
      const a = rdns[rdns.length - n + i]!, b = this.baseRdns[i]!;
      if (a.type !== b.type || a.value.toLowerCase() !== b.value.toLowerCase()) return { kind: 'none', matched: '' };
    }
    const rest = rdns.slice(0, rdns.length - n);
    if (rest.length === 0) return { kind: 'base' };
    const ou = rest[rest.length - 1]!;
    const container = ou.type === 'ou' ? ou.value.toLowerCase() : '';
    if (container !== 'users' && container !== 'groups') return { kind: 'none', matched: this.baseDn };
    if (rest.length === 1) return { kind: container };
    const containerDn = container === 'users' ? this.usersDn : this.groupsDn;
    if (rest.length > 2) return { kind: 'none', matched: containerDn };
    const leaf = rest[0]!;
    if (container === 'users' && (leaf.type === 'cn' || leaf.type === 'uid') && leaf.value !== '') return { kind: 'user', name: leaf.value };
    if (container === 'groups' && leaf.type === 'cn' && leaf.value !== '') return { kind: 'group', name: leaf.value };
    return { kind: 'none', matched: containerDn };
  }
}
