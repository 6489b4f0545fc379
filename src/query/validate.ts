/**
 * The schema check between the parsers and the store. Only this module can make a `Validated`
 * query, and the store's list functions take nothing else, so every query that reaches SQL has
 * known fields, sensible operators, normalised values and bounded size (as Kanidm's filter states).
 */
import type { QueryLimits } from '../config.js';
import { InvalidQuery, LimitExceeded } from '../domain/errors.js';
import {
  and, any, assertNever, compare, depthOf, FALSE, hasMember, inList, memberOf, not, or, present, sizeOf, substring, TRUE,
} from './ast.js';
import type { CompareOp, QueryNode, Scalar } from './ast.js';
import { resolveField, resolveSubField } from '../domain/catalogue.js';
import type { Entity, FieldDef, ResolvedField } from '../domain/catalogue.js';

declare const validatedBrand: unique symbol;

/** A query checked against the catalogue of `entity`. Construct with `validate`, `matchAll`, `matchNothing`, `restrict`. */
export interface Validated {
  readonly [validatedBrand]: true;
  readonly entity: Entity;
  readonly node: QueryNode;
}

/** Default limits (config `query.*`): 4 KiB of text, depth 32, 512 nodes. */
export const DEFAULT_QUERY_LIMITS: QueryLimits = Object.freeze({ maxLength: 4096, maxDepth: 32, maxNodes: 512 });

function brand(entity: Entity, node: QueryNode): Validated {
  return Object.freeze({ entity, node }) as unknown as Validated;
}

/**
 * Checks `node` against the catalogue of `entity` and the limits; returns it normalised.
 * @throws InvalidQuery for an unknown field or an operator/value the field's type cannot take.
 * @throws LimitExceeded when the tree is deeper or larger than allowed.
 */
export function validate(node: QueryNode, entity: Entity, limits: QueryLimits): Validated {
  checkShape(node, limits);
  const normalised = normalise(node, entity);
  return brand(entity, normalised);
}

/** Every record of the entity. */
export function matchAll(entity: Entity): Validated {
  return brand(entity, TRUE);
}

/** No record at all (e.g. a search scope that cannot hold the entity). */
export function matchNothing(entity: Entity): Validated {
  return brand(entity, FALSE);
}

/**
 * `v and extra`: lets a door add a scope restriction (LDAP "own entry only": `compare('id','eq',X)`).
 * The extra node is schema-checked but not counted against the user's limits.
 * @throws InvalidQuery when `extra` does not fit the entity.
 */
export function restrict(v: Validated, extra: QueryNode): Validated {
  return brand(v.entity, and(v.node, normalise(extra, v.entity)));
}

/**
 * Spends the depth and node budget while a parser builds a tree, so an oversized query is
 * refused before it is ever materialised. Positions are 1-based columns where known.
 */
export class QueryBudget {
  private nodes = 0;
  private depth = 0;
  constructor(readonly limits: QueryLimits) {}

  /** @throws LimitExceeded when the text is longer than `maxLength`. */
  checkLength(text: string): void {
    if (text.length > this.limits.maxLength) {
      throw new LimitExceeded(`query is longer than ${this.limits.maxLength} characters`, 'maxLength', this.limits.maxLength + 1);
    }
  }

  /** Counts one node. @throws LimitExceeded over `maxNodes`. */
  node(position?: number): void {
    if (++this.nodes > this.limits.maxNodes) {
      throw new LimitExceeded(`query has more than ${this.limits.maxNodes} terms${at(position)}`, 'maxNodes', position);
    }
  }

  /** Enters one nesting level. @throws LimitExceeded over `maxDepth`. */
  enter(position?: number): void {
    if (++this.depth > this.limits.maxDepth) {
      throw new LimitExceeded(`query nests deeper than ${this.limits.maxDepth} levels${at(position)}`, 'maxDepth', position);
    }
  }

  /** @throws LimitExceeded when a tree built so far is deeper than `maxDepth`. */
  checkDepth(depth: number, position?: number): void {
    if (depth > this.limits.maxDepth) {
      throw new LimitExceeded(`query nests deeper than ${this.limits.maxDepth} levels${at(position)}`, 'maxDepth', position);
    }
  }

  leave(): void {
    this.depth--;
  }
}

function at(position: number | undefined): string {
  return position === undefined ? '' : ` at column ${position}`;
}

function checkShape(node: QueryNode, limits: QueryLimits): void {
  const size = sizeOf(node);
  if (size > limits.maxNodes) throw new LimitExceeded(`query has more than ${limits.maxNodes} terms`, 'maxNodes');
  const depth = depthOf(node);
  if (depth > limits.maxDepth) throw new LimitExceeded(`query nests deeper than ${limits.maxDepth} levels`, 'maxDepth');
}

/** `scope`: inside an `any` node, the complex field whose sub-fields the names refer to. */
function normalise(node: QueryNode, entity: Entity, scope?: FieldDef): QueryNode {
  const resolve = (name: string) => resolveIn(entity, name, scope);
  switch (node.kind) {
    case 'and': return and(...node.operands.map((o) => normalise(o, entity, scope)));
    case 'or': return or(...node.operands.map((o) => normalise(o, entity, scope)));
    case 'not': return not(normalise(node.operand, entity, scope));
    case 'true': return TRUE;
    case 'false': return FALSE;
    case 'present': {
      resolve(node.field);
      return present(node.field);
    }
    case 'any': {
      if (scope) throw new InvalidQuery(`"${node.field}" cannot be searched inside ${scope.name}`);
      const f = resolve(node.field);
      if (f.def.type !== 'complex') throw new InvalidQuery(`field "${node.field}" has no elements to search`);
      return any(node.field, normalise(node.where, entity, f.def));
    }
    case 'compare': {
      const f = resolve(node.field);
      if (f.def.type === 'complex') throw new InvalidQuery(`field "${node.field}" is complex: compare one of its sub-attributes`);
      if (node.value === null && (node.op === 'eq' || node.op === 'ne')) return compare(node.field, node.op, null);
      const value = checkValue(f, node.op, node.value);
      const ignoreCase = node.ignoreCase === true && isTextual(f);
      return compare(node.field, node.op, value, { ignoreCase });
    }
    case 'in': {
      const f = resolve(node.field);
      return inList(node.field, node.values.map((v) => checkValue(f, 'eq', v)));
    }
    case 'substring': {
      const f = resolve(node.field);
      if (!isTextual(f)) throw new InvalidQuery(`field "${node.field}" does not support substring matching`);
      for (const s of [node.initial, node.final, ...node.any]) {
        if (s !== undefined && (typeof s !== 'string' || !isStorableText(s))) throw new InvalidQuery(`substring parts of "${node.field}" must be well-formed strings`);
      }
      return substring(node.field, node, { ignoreCase: node.ignoreCase === true });
    }
    case 'memberOf': {
      if (scope) throw new InvalidQuery(`membership cannot be searched inside ${scope.name}`);
      checkRef(node.group.by === 'id' || node.group.by === 'name', node.group.value, 'group');
      return memberOf({ by: node.group.by, value: normaliseRef(node.group.by, node.group.value) }, node.transitive === true);
    }
    case 'hasMember': {
      if (scope) throw new InvalidQuery(`membership cannot be searched inside ${scope.name}`);
      if (entity !== 'groups') throw new InvalidQuery('only groups have members');
      const m = node.member;
      const okBy = m.entity === 'users' ? m.by === 'id' || m.by === 'username' : m.by === 'id' || m.by === 'name';
      checkRef(okBy && (m.entity === 'users' || m.entity === 'groups'), m.value, 'member');
      const value = normaliseRef(m.by, m.value);
      return hasMember(m.entity === 'users' ? { entity: 'users', by: m.by, value } : { entity: 'groups', by: m.by, value }, node.transitive === true);
    }
    default:
      return assertNever(node);
  }
}

function checkRef(ok: boolean, value: unknown, what: string): void {
  if (!ok || typeof value !== 'string' || !isStorableText(value)) throw new InvalidQuery(`invalid ${what} reference`);
}

function normaliseRef(by: string, value: string): string {
  return by === 'id' ? value.toLowerCase() : value;
}

function resolveIn(entity: Entity, name: string, scope: FieldDef | undefined): ResolvedField {
  if (scope) {
    const f = typeof name === 'string' ? resolveSubField(scope, name) : undefined;
    if (!f) throw new InvalidQuery(`unknown sub-field "${String(name)}" of ${scope.name}`);
    return f;
  }
  const f = typeof name === 'string' ? resolveField(entity, name) : undefined;
  if (!f) throw new InvalidQuery(`unknown field "${String(name)}" for ${entity}`);
  return f;
}

/** Fields holding text, where substring and case folding make sense. */
export function isTextual(f: ResolvedField): boolean {
  const t = f.def.type;
  return t === 'string' || t === 'enum' || t === 'json' || t === 'relation';
}

const ORDER_OPS: ReadonlySet<CompareOp> = new Set(['gt', 'ge', 'lt', 'le']);
const TEXT_OPS: ReadonlySet<CompareOp> = new Set(['contains', 'startswith', 'endswith']);

/**
 * Which operators and value types a field takes; returns the normalised value.
 * @throws InvalidQuery naming the field and what it takes.
 */
export function checkValue(f: ResolvedField, op: CompareOp, value: Scalar): Exclude<Scalar, null> {
  const name = f.path.length ? `${f.def.name}.${f.path.join('.')}` : f.def.name;
  const bad = (what: string): never => { throw new InvalidQuery(`field "${name}" ${what}`); };
  if (value === null) return bad(`cannot be compared with null using ${op}`);
  if (typeof value === 'string' && !isStorableText(value)) return bad('cannot hold a NUL character or an unpaired surrogate');
  const def: FieldDef = f.def;
  switch (def.type) {
    case 'string':
    case 'enum':
    case 'relation':
      if (typeof value !== 'string') return bad('takes a string');
      return value;
    case 'uuid':
      if (op !== 'eq' && op !== 'ne') return bad(`takes only equality, not ${op}`);
      if (typeof value !== 'string') return bad('takes a string');
      return value.toLowerCase();
    case 'boolean':
      if (op !== 'eq' && op !== 'ne') return bad(`is a boolean: only equality applies, not ${op}`);
      if (typeof value !== 'boolean') return bad('takes True or False');
      return value;
    case 'integer':
      if (TEXT_OPS.has(op)) return bad(`is a number: ${op} does not apply`);
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return bad('takes an integer');
      return value;
    case 'datetime': {
      if (TEXT_OPS.has(op)) return bad(`is a date: ${op} does not apply`);
      const ms = typeof value === 'string' ? parseDate(value) : NaN;
      if (Number.isNaN(ms)) return bad('takes a date such as "2024-01-31" or "2024-01-31T12:00:00Z"');
      return new Date(ms).toISOString();
    }
    case 'complex':
      return bad('is complex: compare one of its sub-attributes');
    case 'json':
      if (typeof value === 'boolean' && op !== 'eq' && op !== 'ne') return bad(`holds a boolean here: ${op} does not apply`);
      if (typeof value === 'number' && (TEXT_OPS.has(op) || !Number.isFinite(value))) return bad(`${op} takes a string`);
      return value;
    default:
      return assertNever(def.type);
  }
}

/** Text both databases store as given: no NUL (PostgreSQL refuses it), no unpaired surrogate (not UTF-8). */
export function isStorableText(s: string): boolean {
  return !/\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/** ISO 8601 date or date-time (a bare date is midnight UTC); NaN when it is not one. */
export function parseDate(text: string): number {
  if (!/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:?\d{2})?)?$/.test(text)) return NaN;
  const withZone = /^\d{4}-\d{2}-\d{2}$/.test(text) || /([Zz]|[+-]\d{2}:?\d{2})$/.test(text) ? text : `${text}Z`;
  return Date.parse(withZone.replace(' ', 'T'));
}

export { ORDER_OPS, TEXT_OPS };
