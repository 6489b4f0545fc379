/**
 * SCIM filters (RFC 7644 §3.4.2.2) → AST. `scim2-parse-filter` does the grammar (`not` > `and` >
 * `or`, value paths, case-insensitive operators); this module maps attribute names onto the
 * catalogue. Attribute names are case-insensitive and may carry their schema URN (RFC 7644
 * §3.10). An unknown attribute, or an operator the attribute's type cannot take, is an
 * `InvalidQuery` (the SCIM door answers 400 invalidFilter); nothing is ever dropped.
 *
 * Mapping choices: the multi-valued attributes (emails, phoneNumbers, addresses, ims, photos,
 * entitlements, roles, x509Certificates) match when any element does (RFC 7644 §3.4.2.2):
 * `emails.value eq "…"` and `emails[type eq "home" and value co "…"]` are `any` nodes, a value
 * path's conditions holding for one element; `groups.value` is direct membership by group id;
 * `name.formatted` lives in `attributes.name.formatted`, `name.givenName` / `name.familyName` in
 * `attributes.givenName` / `attributes.familyName`; enterprise extension attributes in
 * `attributes.<name>` (`manager` / `manager.value` in `attributes.manager`); the dirgate
 * extension offers `path`, `type` and `attributes.<key>`.
 */
import { parse } from 'scim2-parse-filter';
import type { Filter } from 'scim2-parse-filter';
import type { QueryLimits } from '../config.js';
import { InvalidQuery } from '../domain/errors.js';
import { MULTI_VALUED_ATTRIBUTES, SUB_ATTRIBUTES_OF, ELEMENT_SUB_ATTRIBUTES } from '../domain/multi-valued.js';
import type { MultiValuedAttribute } from '../domain/multi-valued.js';
import { and, any, compare, FALSE, hasMember, memberOf, not, or, present, TRUE } from './ast.js';
import type { CompareOp, QueryNode, Scalar } from './ast.js';
import type { Entity } from '../domain/catalogue.js';
import { isValidJsonKey, scimExtensionNames, scimNames, type FieldDef } from '../domain/catalogue.js';
import { compareCodePoints } from './sql-text.js';
import { QueryBudget, validate } from './validate.js';
import type { Validated } from './validate.js';

export const SCIM_USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_ENTERPRISE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const SCIM_DIRGATE_USER_SCHEMA = 'urn:ietf:params:scim:schemas:extension:dirgate:2.0:User';
export const SCIM_DIRGATE_GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:extension:dirgate:2.0:Group';

type ScimOp = 'eq' | 'ne' | 'co' | 'sw' | 'ew' | 'gt' | 'ge' | 'lt' | 'le' | 'pr';

/** What a SCIM attribute means here. */
type Target =
  | { readonly kind: 'field'; readonly field: string; readonly type: 'string' | 'boolean' | 'datetime' | 'uuid'; readonly ignoreCase?: boolean }
  | { readonly kind: 'const'; readonly value: string | boolean; readonly requires?: string }
  | { readonly kind: 'groupId' }
  | { readonly kind: 'memberId' }
  /** A sub-attribute of every element of a multi-valued attribute (`emails.value`; `emails` alone means its value). */
  | { readonly kind: 'element'; readonly field: MultiValuedAttribute; readonly sub: string; readonly whole: boolean }
  /** A complex attribute that is present when any of these fields is (`name`). */
  | { readonly kind: 'someOf'; readonly fields: readonly string[] };

/** The parts of `name`, as userToScim stores them. */
const NAME_FIELDS = ['attributes.name.formatted', 'attributes.givenName', 'attributes.familyName', 'attributes.middleName', 'attributes.honorificPrefix', 'attributes.honorificSuffix'];

/** `emails` → `emails`, ignoring case (RFC 7643 §2.1). */
const MULTI_BY_LOWER: ReadonlyMap<string, MultiValuedAttribute> = new Map(MULTI_VALUED_ATTRIBUTES.map((a) => [a.toLowerCase(), a]));

/** A sub-attribute of `field` spelled ignoring case, or undefined. */
function subOf(field: MultiValuedAttribute, name: string): string | undefined {
  return SUB_ATTRIBUTES_OF[field].find((s) => s.toLowerCase() === name.toLowerCase());
}

/** `emails`, `emails.value`, `addresses.locality`… as element targets. */
function elementTarget(lower: string): Target | undefined {
  const dot = lower.indexOf('.');
  const field = MULTI_BY_LOWER.get(dot < 0 ? lower : lower.slice(0, dot));
  if (!field) return undefined;
  if (dot < 0) return { kind: 'element', field, sub: 'value', whole: true };
  const sub = subOf(field, lower.slice(dot + 1));
  return sub ? { kind: 'element', field, sub, whole: false } : undefined;
}

const ENTERPRISE_KEYS: Readonly<Record<string, string>> = {
  employeenumber: 'employeeNumber', department: 'department', costcenter: 'costCenter',
  organization: 'organization', division: 'division', manager: 'manager', 'manager.value': 'manager',
};

/** A catalogue field as a SCIM filter target (its SCIM type: enums and relations compare as strings). */
function fieldTarget(def: FieldDef, ignoreCase = false): Target {
  const type = def.type === 'boolean' || def.type === 'datetime' || def.type === 'uuid' ? def.type : 'string';
  return { kind: 'field', field: def.name, type, ...(ignoreCase ? { ignoreCase: true } : {}) };
}

/** The catalogue's SCIM names of an entity's fields, as filter targets. */
function catalogueTargets(entity: Entity): Record<string, Target> {
  return Object.fromEntries([...scimNames(entity)].map(([name, def]) => [name, fieldTarget(def, def.doors.scimIgnoreCase)]));
}

// Beyond the catalogue's names: SCIM shapes that are not one field (the name and its parts kept
// as sent in attributes, membership by id, the resource type); the multi-valued attributes are
// element targets (elementTarget).
const USER_CORE: Readonly<Record<string, Target>> = {
  ...catalogueTargets('users'),
  'name': { kind: 'someOf', fields: NAME_FIELDS },
  'name.formatted': { kind: 'field', field: 'attributes.name.formatted', type: 'string', ignoreCase: true },
  'name.givenname': { kind: 'field', field: 'attributes.givenName', type: 'string', ignoreCase: true },
  'name.familyname': { kind: 'field', field: 'attributes.familyName', type: 'string', ignoreCase: true },
  'meta.resourcetype': { kind: 'const', value: 'User' },
  'groups': { kind: 'groupId' },
  'groups.value': { kind: 'groupId' },
};

const GROUP_CORE: Readonly<Record<string, Target>> = {
  ...catalogueTargets('groups'),
  'members': { kind: 'memberId' },
  'members.value': { kind: 'memberId' },
  'meta.resourcetype': { kind: 'const', value: 'Group' },
};

/** Splits a URN-qualified attribute path into (schema, attribute); the schema is lowercased. */
function splitUrn(path: string): { schema: string | undefined; attr: string } {
  if (!/^urn:/i.test(path)) return { schema: undefined, attr: path };
  const known = [SCIM_USER_SCHEMA, SCIM_GROUP_SCHEMA, SCIM_ENTERPRISE_USER_SCHEMA, SCIM_DIRGATE_USER_SCHEMA, SCIM_DIRGATE_GROUP_SCHEMA];
  for (const s of known) {
    if (path.toLowerCase().startsWith(`${s.toLowerCase()}:`)) return { schema: s.toLowerCase(), attr: path.slice(s.length + 1) };
  }
  return { schema: path.toLowerCase(), attr: '' };
}

/** Resolves a SCIM attribute path for an entity. @throws InvalidQuery when unknown. */
function resolveAttr(path: string, entity: Entity): Target {
  const { schema, attr } = splitUrn(path);
  const lower = attr.toLowerCase();
  const unknown = () => new InvalidQuery(`unknown attribute "${path}" in filter for ${entity === 'users' ? 'Users' : 'Groups'}`);
  const core = entity === 'users' ? USER_CORE : GROUP_CORE;
  const coreSchema = (entity === 'users' ? SCIM_USER_SCHEMA : SCIM_GROUP_SCHEMA).toLowerCase();
  if (schema === undefined || schema === coreSchema) {
    const t = Object.prototype.hasOwnProperty.call(core, lower) ? core[lower] : undefined;
    if (t) return t;
    const element = entity === 'users' ? elementTarget(lower) : undefined;
    if (element) return element;
    throw unknown();
  }
  if (entity === 'users' && schema === SCIM_ENTERPRISE_USER_SCHEMA.toLowerCase()) {
    const key = Object.prototype.hasOwnProperty.call(ENTERPRISE_KEYS, lower) ? ENTERPRISE_KEYS[lower] : undefined;
    if (key) return { kind: 'field', field: `attributes.${key}`, type: 'string', ignoreCase: true };
    throw unknown();
  }
  const dirgate = (entity === 'users' ? SCIM_DIRGATE_USER_SCHEMA : SCIM_DIRGATE_GROUP_SCHEMA).toLowerCase();
  if (schema === dirgate) {
    const ext = scimExtensionNames(entity).get(lower);
    if (ext) return fieldTarget(ext);
    if (lower.startsWith('attributes.')) {
      const keys = attr.slice('attributes.'.length).split('.');
      if (keys.every(isValidJsonKey)) return { kind: 'field', field: `attributes.${keys.join('.')}`, type: 'string' };
    }
  }
  throw unknown();
}

const OPS: Readonly<Record<Exclude<ScimOp, 'pr'>, CompareOp>> = {
  eq: 'eq', ne: 'ne', co: 'contains', sw: 'startswith', ew: 'endswith', gt: 'gt', ge: 'ge', lt: 'lt', le: 'le',
};

/**
 * Parses a SCIM filter for Users or Groups into a validated query.
 * @throws InvalidQuery for a syntax error, unknown attribute, or operator/value the attribute cannot take.
 * @throws LimitExceeded when the text, depth or term count is over `limits`.
 */
export function parseScimFilter(text: string, entity: Entity, limits: QueryLimits): Validated {
  const budget = new QueryBudget(limits);
  budget.checkLength(text);
  let filter: Filter;
  try {
    filter = parse(text);
  } catch (e) {
    throw new InvalidQuery(`invalid filter: ${(e as Error).message}`);
  }
  return validate(new Translator(entity, budget).filter(filter, undefined), entity, limits);
}

class Translator {
  constructor(private readonly entity: Entity, private readonly budget: QueryBudget) {}

  /** `parent`: the multi-valued attribute of an enclosing value path (`emails[…]`). */
  filter(f: Filter, parent: string | undefined): QueryNode {
    switch (f.op) {
      case 'and':
      case 'or': {
        this.budget.node();
        this.budget.enter();
        const parts = (f as { filters: Filter[] }).filters.map((x) => this.filter(x, parent));
        this.budget.leave();
        return f.op === 'and' ? and(...parts) : or(...parts);
      }
      case 'not': {
        this.budget.node();
        this.budget.enter();
        const inner = this.filter((f as { filter: Filter }).filter, parent);
        this.budget.leave();
        return not(inner);
      }
      case '[]': {
        const vp = f as { attrPath: string; valFilter: Filter };
        if (parent !== undefined) throw new InvalidQuery('value paths cannot nest');
        this.budget.node();
        this.budget.enter();
        const node = this.valuePath(vp.attrPath, vp.valFilter);
        this.budget.leave();
        return node;
      }
      default: {
        this.budget.node();
        const c = f as { op: string; attrPath: string; compValue?: Scalar };
        const op = c.op.toLowerCase() as ScimOp;
        if (!(op === 'pr' || op in OPS)) throw new InvalidQuery(`unknown operator "${c.op}"`);
        const path = parent !== undefined ? `${parent}.${c.attrPath}` : c.attrPath;
        return this.leaf(resolveAttr(path, this.entity), path, op, op === 'pr' ? undefined : c.compValue ?? null, parent !== undefined);
      }
    }
  }

  private valuePath(attr: string, valFilter: Filter): QueryNode {
    const { attr: base } = splitUrn(attr);
    const lower = base.toLowerCase();
    const multi = this.entity === 'users' ? MULTI_BY_LOWER.get(lower) : undefined;
    if (multi) return any(multi, this.element(valFilter, multi));
    if ((this.entity === 'users' && lower === 'groups') || (this.entity === 'groups' && lower === 'members')) {
      // Several conditions inside one element of a multi-valued relation cannot be split into
      // independent EXISTS tests without matching more than asked; accept only disjunctions.
      if (!onlyOr(valFilter)) throw new InvalidQuery(`only "or" of conditions is supported inside ${attr}[…]`);
      return this.filter(valFilter, attr);
    }
    throw new InvalidQuery(`attribute "${attr}" has no sub-attributes to filter on`);
  }

  /** The conditions of a value path on `field` (`emails[type eq "work" and value co "x"]`), about one element. */
  private element(f: Filter, field: MultiValuedAttribute): QueryNode {
    switch (f.op) {
      case 'and':
      case 'or': {
        this.budget.node();
        this.budget.enter();
        const parts = (f as { filters: Filter[] }).filters.map((x) => this.element(x, field));
        this.budget.leave();
        return f.op === 'and' ? and(...parts) : or(...parts);
      }
      case 'not': {
        this.budget.node();
        this.budget.enter();
        const inner = this.element((f as { filter: Filter }).filter, field);
        this.budget.leave();
        return not(inner);
      }
      case '[]':
        throw new InvalidQuery('value paths cannot nest');
      default: {
        this.budget.node();
        const c = f as { op: string; attrPath: string; compValue?: Scalar };
        const op = c.op.toLowerCase() as ScimOp;
        if (!(op === 'pr' || op in OPS)) throw new InvalidQuery(`unknown operator "${c.op}"`);
        const sub = subOf(field, splitUrn(c.attrPath).attr);
        if (!sub) throw new InvalidQuery(`unknown attribute "${field}.${c.attrPath}" in filter for Users`);
        return this.subCondition(field, sub, op, op === 'pr' ? undefined : c.compValue ?? null);
      }
    }
  }

  /** One condition on a sub-attribute of one element. */
  private subCondition(field: string, sub: string, op: ScimOp, value: Scalar | undefined): QueryNode {
    const bad = (why: string) => new InvalidQuery(`operator "${op}" ${why} for attribute "${field}.${sub}"`);
    if (op === 'pr') return present(sub);
    let v: Scalar = value ?? null;
    if (v === null) {
      if (op === 'eq' || op === 'ne') return compare(sub, op, null);
      throw bad('cannot compare with null');
    }
    if (ELEMENT_SUB_ATTRIBUTES[sub]!.type === 'boolean') {
      if (op !== 'eq' && op !== 'ne') throw bad('does not apply to a boolean (use eq, ne or pr)');
      // Microsoft Entra ID sends booleans as strings ("True"), as with `active`.
      if (typeof v === 'string' && /^(true|false)$/i.test(v)) v = v.toLowerCase() === 'true';
      if (typeof v !== 'boolean') throw bad('needs true or false');
      return compare(sub, op, v);
    }
    if (typeof v === 'boolean') throw bad('needs a string');
    return compare(sub, OPS[op], String(v));
  }

  /** `inValuePath`: inside `emails[…]`, which already requires the element to exist. */
  private leaf(t: Target, path: string, op: ScimOp, value: Scalar | undefined, inValuePath = false): QueryNode {
    const bad = (why: string) => new InvalidQuery(`operator "${op}" ${why} for attribute "${path}"`);
    switch (t.kind) {
      case 'const': {
        const holds = op === 'pr' ? true : constCompare(t.value, op, value ?? null);
        return t.requires && !inValuePath ? and(present(t.requires), holds ? TRUE : FALSE) : holds ? TRUE : FALSE;
      }
      case 'groupId':
      case 'memberId': {
        const rel = t.kind === 'groupId' ? 'groups' : 'members';
        if (op === 'pr') return t.kind === 'groupId' ? present('groups.name') : present('members.username');
        if (op !== 'eq' && op !== 'ne') throw bad(`is not supported (use eq, ne or pr) on ${rel}.value`);
        if (value === null) return op === 'eq' ? not(this.leaf(t, path, 'pr', undefined)) : this.leaf(t, path, 'pr', undefined);
        if (typeof value !== 'string') throw bad('needs a string id');
        const id = value.toLowerCase();
        const node = t.kind === 'groupId' ? memberOf({ by: 'id', value: id })
          : or(hasMember({ entity: 'users', by: 'id', value: id }), hasMember({ entity: 'groups', by: 'id', value: id }));
        return op === 'eq' ? node : not(node);
      }
      case 'field':
        return this.field(t, op, value, bad);
      case 'element':
        // `emails eq null`: the attribute has no element at all.
        if (t.whole && (value === null || op === 'pr') && (op === 'eq' || op === 'ne' || op === 'pr')) {
          return op === 'eq' ? not(present(t.field)) : present(t.field);
        }
        if (t.whole && !subOf(t.field, 'value')) throw bad(`needs a sub-attribute (${SUB_ATTRIBUTES_OF[t.field].join(', ')})`);
        return any(t.field, this.subCondition(t.field, t.sub, op, value));
      case 'someOf':
        if (op !== 'pr') throw bad('is not supported on a complex attribute (name its sub-attributes, or use pr)');
        return or(...t.fields.map((f) => present(f)));
      default:
        throw new InvalidQuery(`unsupported attribute "${path}"`);
    }
  }

  private field(t: Extract<Target, { kind: 'field' }>, op: ScimOp, value: Scalar | undefined, bad: (why: string) => InvalidQuery): QueryNode {
    if (op === 'pr') return present(t.field);
    let v: Scalar = value ?? null;
    if (v === null) {
      if (op === 'eq' || op === 'ne') return compare(t.field, op, null);
      throw bad('cannot compare with null');
    }
    switch (t.type) {
      case 'boolean':
        if (op !== 'eq' && op !== 'ne') throw bad('does not apply to a boolean (use eq, ne or pr)');
        // Microsoft Entra ID sends `active eq "False"` with a string (a known SCIM validator quirk).
        if (typeof v === 'string' && /^(true|false)$/i.test(v)) v = v.toLowerCase() === 'true';
        if (typeof v !== 'boolean') throw bad('needs true or false');
        break;
      case 'uuid':
        if (op !== 'eq' && op !== 'ne') throw bad('does not apply to an id (use eq, ne or pr)');
        if (typeof v !== 'string') throw bad('needs a string id');
        break;
      case 'datetime':
        if (op === 'co' || op === 'sw' || op === 'ew') throw bad('does not apply to a dateTime');
        if (typeof v !== 'string') throw bad('needs a dateTime string');
        break;
      case 'string':
        if (typeof v === 'boolean') throw bad('needs a string');
        if (typeof v === 'number') v = String(v);
        break;
      default:
        throw bad('is not supported');
    }
    return compare(t.field, OPS[op], v, { ignoreCase: t.ignoreCase === true });
  }
}

function onlyOr(f: Filter): boolean {
  if (f.op === 'or') return (f as { filters: Filter[] }).filters.every(onlyOr);
  return f.op !== 'and' && f.op !== 'not' && f.op !== '[]';
}

/** A comparison against an attribute whose value is the same for every record that has it. */
function constCompare(actual: string | boolean, op: ScimOp, value: Scalar): boolean {
  if (typeof actual === 'boolean') {
    const v = typeof value === 'string' && /^(true|false)$/i.test(value) ? value.toLowerCase() === 'true' : value;
    if (op === 'eq') return v === actual;
    if (op === 'ne') return v !== actual;
    throw new InvalidQuery(`operator "${op}" does not apply to a boolean`);
  }
  if (typeof value !== 'string') return op === 'ne';
  const a = actual.toLowerCase();
  const b = value.toLowerCase();
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'co': return a.includes(b);
    case 'sw': return a.startsWith(b);
    case 'ew': return a.endsWith(b);
    case 'gt': return compareCodePoints(a, b) > 0;
    case 'ge': return compareCodePoints(a, b) >= 0;
    case 'lt': return compareCodePoints(a, b) < 0;
    case 'le': return compareCodePoints(a, b) <= 0;
    case 'pr': return true;
    default: throw new InvalidQuery(`unknown operator "${String(op)}"`);
  }
}
