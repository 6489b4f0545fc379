/**
 * LDAP filters (RFC 4515, in the plain shape below; protocols/ldap/filters.ts decodes it from BER)
 * → AST. Attribute names are case-insensitive, with the aliases of DESIGN.md "LDAP tree".
 *
 * RFC 4511 §4.5.1.7: a filter item is TRUE, FALSE or Undefined; an unknown attribute, an
 * unknown matching rule or a value of the wrong syntax is Undefined, `!` of Undefined is
 * Undefined, and only TRUE matches. We keep that three-valued (Kleene) logic by translating each
 * filter f into T(f) ("f is TRUE") and F(f) ("f is FALSE"):
 *   known leaf c: T = c, F = not c          Undefined leaf: T = false, F = false
 *   and: T = and(T…), F = or(F…)            or: T = or(T…), F = and(F…)      not: swap T and F
 * so `(!(foo=bar))` matches nothing, and no clause is ever dropped.
 *
 * Custom attributes (flattened from `attributes`) are known where an entry has them: for
 * `(department=x)`, F is "has department and it is not x". `sn`/`givenName` filters match the
 * stored attributes only, not the values the LDAP door derives from `name` when they are unset.
 */
import type { QueryLimits } from '../config.js';
import { and, any, compare, FALSE, hasMember, memberOf, not, or, present, substring, TRUE } from './ast.js';
import type { QueryNode } from './ast.js';
import { fieldsOf, ldapNames, type Entity, type FieldDef } from '../domain/catalogue.js';
import { childOf } from './dn.js';
import { QueryBudget, validate } from './validate.js';
import type { Validated } from './validate.js';

/** An LDAP filter as a plain structure (no ldapjs types in src/). Values are unescaped strings. */
export type LdapFilter =
  | { readonly type: 'and' | 'or'; readonly filters: readonly LdapFilter[] }
  | { readonly type: 'not'; readonly filter: LdapFilter }
  | { readonly type: 'equal' | 'ge' | 'le' | 'approx'; readonly attribute: string; readonly value: string }
  | { readonly type: 'substring'; readonly attribute: string; readonly initial?: string; readonly any: readonly string[]; readonly final?: string }
  | { readonly type: 'present'; readonly attribute: string }
  | { readonly type: 'ext'; readonly attribute?: string; readonly rule?: string; readonly value: string; readonly dnAttributes?: boolean };

export interface LdapQueryContext {
  readonly baseDn: string;
  readonly limits: QueryLimits;
}

/** LDAP_MATCHING_RULE_IN_CHAIN (Active Directory): transitive membership. */
export const MATCHING_RULE_IN_CHAIN = '1.2.840.113556.1.4.1941';

export const USER_OBJECT_CLASSES = ['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'posixAccount'] as const;
export const GROUP_OBJECT_CLASSES = ['top', 'groupOfNames', 'groupOfUniqueNames', 'posixGroup'] as const;

interface Pair { readonly t: QueryNode; readonly f: QueryNode }
const UNDEFINED: Pair = { t: FALSE, f: FALSE };
const known = (c: QueryNode): Pair => ({ t: c, f: not(c) });

type Leaf = Extract<LdapFilter, { attribute?: string }>;

/** Attribute OIDs clients sometimes send instead of names. */
const OIDS: Readonly<Record<string, string>> = {
  '2.5.4.0': 'objectclass', '2.5.4.3': 'cn', '2.5.4.4': 'sn', '2.5.4.42': 'givenname',
  '0.9.2342.19200300.100.1.1': 'uid', '0.9.2342.19200300.100.1.3': 'mail',
  '2.16.840.1.113730.3.1.241': 'displayname', '1.3.6.1.1.16.4': 'entryuuid',
  '1.3.6.1.1.1.1.0': 'uidnumber', '1.3.6.1.1.1.1.1': 'gidnumber', '1.3.6.1.1.1.1.12': 'memberuid',
  '2.5.4.31': 'member', '2.5.4.50': 'uniquemember', '2.5.18.1': 'createtimestamp', '2.5.18.2': 'modifytimestamp',
};

/** LDAP attribute name (lowercase) → catalogue field, per entity (the catalogue's `ldap` names). */
const LDAP_NAMES: Readonly<Record<Entity, ReadonlyMap<string, FieldDef>>> = { users: ldapNames('users'), groups: ldapNames('groups') };

/** The other entity's standard LDAP names that an entry of this entity lacks. */
function otherEntityNames(entity: Entity): ReadonlySet<string> {
  const other: Entity = entity === 'users' ? 'groups' : 'users';
  const own = LDAP_NAMES[entity];
  const names = fieldsOf(other).flatMap((f) => (f.doors.ldap ?? []).map((n) => n.toLowerCase()));
  return new Set(names.filter((n) => !own.has(n)));
}
const OTHER_ENTITY_NAMES: Readonly<Record<Entity, ReadonlySet<string>>> = { users: otherEntityNames('users'), groups: otherEntityNames('groups') };

/**
 * Translates an LDAP filter for users or groups into a validated query.
 * @throws LimitExceeded when the filter is deeper or larger than `ctx.limits`.
 */
export function ldapFilterToQuery(filter: LdapFilter, entity: Entity, ctx: LdapQueryContext): Validated {
  const tr = new Translator(entity, ctx.baseDn, new QueryBudget(ctx.limits));
  return validate(tr.filter(filter).t, entity, ctx.limits);
}

class Translator {
  constructor(private readonly entity: Entity, private readonly baseDn: string, private readonly budget: QueryBudget) {}

  filter(f: LdapFilter): Pair {
    this.budget.node();
    switch (f.type) {
      case 'and':
      case 'or': {
        this.budget.enter();
        const parts = f.filters.map((x) => this.filter(x));
        this.budget.leave();
        const ts = parts.map((p) => p.t);
        const fs = parts.map((p) => p.f);
        return f.type === 'and' ? { t: and(...ts), f: or(...fs) } : { t: or(...ts), f: and(...fs) };
      }
      case 'not': {
        this.budget.enter();
        const inner = this.filter(f.filter);
        this.budget.leave();
        return { t: inner.f, f: inner.t };
      }
      default:
        return this.leaf(f);
    }
  }

  private leaf(f: Leaf): Pair {
    if (f.type === 'ext') return this.extensible(f);
    const attr = normaliseName(f.attribute);
    const special = this.special(attr, f);
    if (special) return special;
    const def = LDAP_NAMES[this.entity].get(attr);
    if (def) return this.catalogueField(def, f);
    // An attribute only the other kind of entry has: these entries lack it (not a custom attribute).
    if (OTHER_ENTITY_NAMES[this.entity].has(attr)) return UNDEFINED;
    return this.custom(f.attribute, f);
  }

  /** A field of the catalogue under one of its LDAP names, by the field's type. */
  private catalogueField(def: FieldDef, f: Leaf): Pair {
    switch (def.type) {
      case 'string': case 'relation': return this.text(def.name, f, false);
      case 'integer': return this.integer(def.name, f);
      case 'boolean': return this.boolean(def.name, f);
      case 'datetime': return this.timestamp(def.name, f);
      case 'uuid':
        if (f.type === 'present') return known(TRUE);
        if (f.type === 'equal' || f.type === 'approx') return known(compare(def.name, 'eq', f.value.trim().toLowerCase()));
        return UNDEFINED;
      case 'enum': case 'json': case 'complex':
        return UNDEFINED;
      default: {
        const never: never = def.type;
        throw new Error(`unhandled field type ${String(never)}`);
      }
    }
  }

  /**
   * LDAP attributes that are not one catalogue field: object classes, DN-valued membership,
   * values derived from others (homeDirectory), and sn/givenName kept in `attributes`.
   */
  private special(attr: string, f: Leaf): Pair | undefined {
    const users = this.entity === 'users';
    switch (attr) {
      case 'objectclass': {
        const classes: readonly string[] = users ? USER_OBJECT_CLASSES : GROUP_OBJECT_CLASSES;
        if (f.type === 'present') return known(TRUE);
        if (f.type === 'equal' || f.type === 'approx') return known(classes.some((c) => c.toLowerCase() === f.value.trim().toLowerCase()) ? TRUE : FALSE);
        return UNDEFINED;
      }
      case 'memberof':
        return this.dnValued(f, (dn, transitive) => {
          const g = childOf(dn, `ou=groups,${this.baseDn}`, ['cn']);
          return g ? memberOf({ by: 'name', value: g.value }, transitive) : FALSE;
        }, users ? 'groups.name' : 'parent.name');
      case 'mail': {
        // `mail` carries every address of the user (DESIGN.md), so a filter matches any of them,
        // as SCIM's `emails.value` does (RFC 4511 §4.5.1.7: a value of the attribute matches).
        if (!users) return UNDEFINED;
        const element = this.text('value', f, true);
        return element === UNDEFINED ? UNDEFINED : known(any('emails', element.t));
      }
      case 'sn': return users ? this.text('attributes.sn', f, true) : UNDEFINED;
      case 'givenname': return users ? this.text('attributes.givenName', f, true) : UNDEFINED;
      case 'homedirectory':
        if (!users) return UNDEFINED;
        if (f.type === 'present') return known(TRUE);
        if (f.type === 'equal') return known(f.value.startsWith('/home/') ? compare('username', 'eq', f.value.slice('/home/'.length)) : FALSE);
        return UNDEFINED;
      case 'member': case 'uniquemember':
        if (users) return UNDEFINED;
        return this.dnValued(f, (dn, transitive) => this.memberByDn(dn, transitive), 'members.username', 'children.name');
      case 'memberuid':
        if (users) return UNDEFINED;
        if (f.type === 'equal' || f.type === 'approx') return known(hasMember({ entity: 'users', by: 'username', value: f.value }));
        return this.text('members.username', f, false);
      default:
        return undefined;
    }
  }

  private memberByDn(dn: string, transitive: boolean): QueryNode {
    const u = childOf(dn, `ou=users,${this.baseDn}`, ['cn', 'uid']);
    if (u) return hasMember({ entity: 'users', by: 'username', value: u.value }, transitive);
    const g = childOf(dn, `ou=groups,${this.baseDn}`, ['cn']);
    if (g) return hasMember({ entity: 'groups', by: 'name', value: g.value }, transitive);
    return FALSE;
  }

  /** A directoryString attribute: equality, approx (ignoring case), ordering, substrings, presence. */
  private text(field: string, f: Leaf, ignoreCase: boolean): Pair {
    switch (f.type) {
      case 'present': return known(present(field));
      case 'equal': return known(compare(field, 'eq', f.value, { ignoreCase }));
      case 'approx': return known(compare(field, 'eq', f.value, { ignoreCase: true }));
      case 'ge': return known(compare(field, 'ge', f.value, { ignoreCase }));
      case 'le': return known(compare(field, 'le', f.value, { ignoreCase }));
      case 'substring': return known(substring(field, f, { ignoreCase }));
      default: return UNDEFINED;
    }
  }

  private integer(field: string, f: Leaf): Pair {
    if (f.type === 'present') return known(TRUE);
    if (f.type !== 'equal' && f.type !== 'ge' && f.type !== 'le' && f.type !== 'approx') return UNDEFINED;
    const text = f.value.trim();
    if (!/^-?\d{1,15}$/.test(text)) return UNDEFINED;
    const op = f.type === 'ge' ? 'ge' : f.type === 'le' ? 'le' : 'eq';
    return known(compare(field, op, Number(text)));
  }

  private boolean(field: string, f: Leaf): Pair {
    if (f.type === 'present') return known(TRUE);
    if (f.type !== 'equal' && f.type !== 'approx') return UNDEFINED;
    const v = f.value.trim().toUpperCase();
    if (v !== 'TRUE' && v !== 'FALSE') return UNDEFINED;
    return known(compare(field, 'eq', v === 'TRUE'));
  }

  private timestamp(field: string, f: Leaf): Pair {
    if (f.type === 'present') return known(TRUE);
    if (f.type !== 'equal' && f.type !== 'ge' && f.type !== 'le') return UNDEFINED;
    const iso = generalizedTime(f.value);
    if (iso === undefined) return UNDEFINED;
    return known(compare(field, f.type === 'equal' ? 'eq' : f.type, iso));
  }

  /** A DN-valued attribute: equality only (no substring or ordering rule for DNs). */
  private dnValued(f: Leaf, byDn: (dn: string, transitive: boolean) => QueryNode, ...presentFields: string[]): Pair {
    if (f.type === 'present') return known(or(...presentFields.map((p) => present(p))));
    if (f.type === 'equal' || f.type === 'approx') return known(byDn(f.value, false));
    if (f.type === 'ext' && f.rule === MATCHING_RULE_IN_CHAIN) return known(byDn(f.value, true));
    return UNDEFINED;
  }

  private extensible(f: Extract<LdapFilter, { type: 'ext' }>): Pair {
    if (f.dnAttributes || f.attribute === undefined) return UNDEFINED;
    const attr = normaliseName(f.attribute);
    const rule = f.rule?.toLowerCase();
    if (rule === MATCHING_RULE_IN_CHAIN) {
      if (attr === 'memberof') return this.special(attr, f)!;
      if (this.entity === 'groups' && (attr === 'member' || attr === 'uniquemember')) return this.special(attr, f)!;
      return UNDEFINED;
    }
    const asEqual = { type: 'equal', attribute: f.attribute, value: f.value } as const;
    if (rule === undefined || rule === '2.5.13.5' || rule === 'caseexactmatch') return this.leaf(asEqual);
    if (rule === '2.5.13.2' || rule === 'caseignorematch') return this.leaf({ ...asEqual, type: 'approx' });
    return UNDEFINED;
  }

  /** A custom attribute from `attributes` (caseIgnoreMatch, ASCII), known where the entry has it. */
  private custom(name: string, f: Leaf): Pair {
    if (!/^[A-Za-z][A-Za-z0-9-]{0,63}$/.test(name)) return UNDEFINED;
    const field = `attributes.${name}`;
    let t: QueryNode;
    switch (f.type) {
      case 'present': t = present(field); break;
      case 'equal': case 'approx': {
        const asNumber = /^-?\d{1,15}$/.test(f.value) ? compare(field, 'eq', Number(f.value)) : FALSE;
        t = or(compare(field, 'eq', f.value, { ignoreCase: true }), asNumber);
        break;
      }
      case 'ge': case 'le': t = compare(field, f.type, f.value, { ignoreCase: true }); break;
      case 'substring': t = substring(field, f, { ignoreCase: true }); break;
      default: return UNDEFINED;
    }
    return { t, f: and(present(field), not(t)) };
  }
}

function normaliseName(attribute: string): string {
  const lower = attribute.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(OIDS, lower) ? OIDS[lower]! : lower;
}

/** RFC 4517 GeneralizedTime (`20240131120000Z`, `20240131120000.5+0100`) → ISO; undefined if invalid. */
export function generalizedTime(text: string): string | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})?(\d{2})?(?:[.,](\d{1,9}))?(Z|[+-]\d{2}(?:\d{2})?)$/.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi = '00', s = '00', frac = '', zone] = m;
  const z = zone === 'Z' ? 'Z' : `${zone!.slice(0, 3)}:${zone!.slice(3, 5) || '00'}`;
  const iso = `${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}${z}`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}
