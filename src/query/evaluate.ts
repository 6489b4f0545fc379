/**
 * The reference evaluator: the query semantics over plain objects, property-tested against the
 * SQL on both dialects. Keep it obviously correct rather than fast. Semantics are described in
 * ast.ts and sql.ts; text ordering is code point order, `ignoreCase` folds ASCII only.
 */
import { assertNever } from './ast.js';
import type { CompareOp, QueryNode, Scalar } from './ast.js';
import { elementColumns, userElements } from '../domain/multi-valued.js';
import { resolveField, resolveSubField } from '../domain/catalogue.js';
import type { Entity, FieldDef, RelationName, ResolvedField } from '../domain/catalogue.js';
import { asciiLower, compareCodePoints } from './sql-text.js';
import type { Validated } from './validate.js';

export type EvalDate = string | Date | number | null;

export interface EvalUser {
  readonly id: string;
  readonly seq: number;
  readonly username: string;
  readonly name: string;
  readonly email: string | null;
  readonly path: string;
  readonly type: string;
  readonly is_active: boolean;
  readonly last_login: EvalDate;
  readonly created_at: EvalDate;
  readonly updated_at: EvalDate;
  readonly external_id: string | null;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface EvalGroup {
  readonly id: string;
  readonly seq: number;
  readonly name: string;
  readonly is_superuser: boolean;
  readonly external_id: string | null;
  readonly created_at: EvalDate;
  readonly updated_at: EvalDate;
  readonly attributes: Readonly<Record<string, unknown>>;
}

export interface EvalDirectory {
  readonly users: readonly EvalUser[];
  readonly groups: readonly EvalGroup[];
  /** group_members rows. */
  readonly members: readonly { readonly group_id: string; readonly user_id: string }[];
  /** group_parents rows. */
  readonly parents: readonly { readonly group_id: string; readonly parent_id: string }[];
  readonly roles: readonly { readonly id: string; readonly name: string }[];
  readonly userRoles: readonly { readonly user_id: string; readonly role_id: string }[];
  readonly groupRoles: readonly { readonly group_id: string; readonly role_id: string }[];
}

/** Whether `record` (a user or a group, per the query's entity) matches. */
export function evaluate(query: Validated, record: EvalUser | EvalGroup, directory: EvalDirectory): boolean;
export function evaluate(query: QueryNode, record: EvalUser | EvalGroup, directory: EvalDirectory, entity: Entity): boolean;
export function evaluate(query: Validated | QueryNode, record: EvalUser | EvalGroup, directory: EvalDirectory, entity?: Entity): boolean {
  const node = 'entity' in query && !('kind' in query) ? query.node : query as QueryNode;
  const ent = 'entity' in query && !('kind' in query) ? query.entity : entity;
  if (!ent) throw new Error('evaluate: entity required for a bare node');
  return new Evaluator(ent, directory).node(node, record);
}

/** The records of `directory` matching `query`, in directory order. */
export function filterRecords(query: Validated, directory: EvalDirectory): (EvalUser | EvalGroup)[] {
  const ev = new Evaluator(query.entity, directory);
  const records = query.entity === 'users' ? directory.users : directory.groups;
  return records.filter((r) => ev.node(query.node, r));
}

function toMillis(d: EvalDate): number | null {
  if (d === null || d === undefined) return null;
  if (d instanceof Date) return d.getTime();
  if (typeof d === 'number') return d;
  return Date.parse(d);
}

function absent(v: unknown): boolean {
  return v === null || v === undefined || v === '';
}

/** One element of a multi-valued attribute as its `user_values` row holds it (lowercased sub-attributes). */
type ElementRecord = Readonly<Record<string, unknown>>;

class Evaluator {
  /** `scope`: evaluating the `where` of an `any` node over element records of this complex field. */
  constructor(readonly entity: Entity, readonly dir: EvalDirectory, readonly scope?: FieldDef) {}

  node(n: QueryNode, r: EvalUser | EvalGroup): boolean {
    switch (n.kind) {
      case 'and': return n.operands.every((o) => this.node(o, r));
      case 'or': return n.operands.some((o) => this.node(o, r));
      case 'not': return !this.node(n.operand, r);
      case 'true': return true;
      case 'false': return false;
      case 'compare': return this.compare(this.field(n.field), n.op, n.value, n.ignoreCase === true, r);
      case 'present': return this.present(this.field(n.field), r);
      case 'in': {
        const f = this.field(n.field);
        return n.values.some((v) => this.compare(f, 'eq', v, false, r));
      }
      case 'substring': {
        const f = this.field(n.field);
        const fold = f.def.storage.kind === 'column' && f.def.storage.ciColumn || f.def.storage.kind === 'relation'
          ? (s: string) => s.toLowerCase() : n.ignoreCase ? asciiLower : (s: string) => s;
        return this.textValues(f, r).some((t) => substringMatch(fold(t), n.initial !== undefined ? fold(n.initial) : undefined, n.any.map(fold), n.final !== undefined ? fold(n.final) : undefined));
      }
      case 'memberOf': return this.memberOf(n.group.by, n.group.value, n.transitive, r);
      case 'hasMember': {
        const m = n.member;
        const start = m.entity === 'users'
          ? this.dir.members.filter((x) => this.userMatches(x.user_id, m.by, m.value)).map((x) => x.group_id)
          : this.dir.parents.filter((x) => this.groupMatches(x.group_id, m.by, m.value)).map((x) => x.parent_id);
        const set = n.transitive ? this.closure(start, 'up') : new Set(start);
        return set.has(r.id);
      }
      case 'any': {
        const f = this.field(n.field);
        const inner = new Evaluator(this.entity, this.dir, f.def);
        return this.elementsOf(f, r).some((el) => inner.node(n.where, el as unknown as EvalUser));
      }
      default: return assertNever(n);
    }
  }

  /** The element records of a complex field, derived as the store derives `user_values`. */
  private elementsOf(f: ResolvedField, r: EvalUser | EvalGroup): ElementRecord[] {
    if (f.def.storage.kind !== 'elements' || this.entity !== 'users') return [];
    const attr = f.def.storage.attr;
    const u = r as EvalUser;
    return userElements(u.email, u.attributes as Record<string, unknown>).filter((e) => e.attr === attr).map((e) => elementColumns(e.element));
  }

  private field(name: string): ResolvedField {
    const f = this.scope ? resolveSubField(this.scope, name) : resolveField(this.entity, name);
    if (!f) throw new Error(`unknown field "${name}"`);
    return f;
  }

  private userMatches(id: string, by: 'id' | 'username', value: string): boolean {
    const u = this.dir.users.find((x) => x.id === id);
    return !!u && (by === 'id' ? u.id === value : u.username.toLowerCase() === value.toLowerCase());
  }

  private groupMatches(id: string, by: 'id' | 'name', value: string): boolean {
    const g = this.dir.groups.find((x) => x.id === id);
    return !!g && (by === 'id' ? g.id === value : g.name.toLowerCase() === value.toLowerCase());
  }

  /** Ids reachable from `start` (included) following parents 'up' or children 'down'. */
  private closure(start: readonly string[], direction: 'up' | 'down'): Set<string> {
    const seen = new Set(start);
    const queue = [...start];
    while (queue.length) {
      const id = queue.pop()!;
      for (const p of this.dir.parents) {
        const next = direction === 'up' ? (p.group_id === id ? p.parent_id : undefined) : (p.parent_id === id ? p.group_id : undefined);
        if (next !== undefined && !seen.has(next)) { seen.add(next); queue.push(next); }
      }
    }
    return seen;
  }

  private memberOf(by: 'id' | 'name', value: string, transitive: boolean, r: EvalUser | EvalGroup): boolean {
    const targets = this.dir.groups.filter((g) => this.groupMatches(g.id, by, value)).map((g) => g.id);
    if (this.entity === 'users') {
      const groups = transitive ? this.closure(targets, 'down') : new Set(targets);
      return this.dir.members.some((m) => m.user_id === r.id && groups.has(m.group_id));
    }
    const children = this.dir.parents.filter((p) => targets.includes(p.parent_id)).map((p) => p.group_id);
    return (transitive ? this.closure(children, 'down') : new Set(children)).has(r.id);
  }

  private isSuperuser(r: EvalUser | EvalGroup): boolean {
    const groups = this.closure(this.dir.groups.filter((g) => g.is_superuser).map((g) => g.id), 'down');
    return this.dir.members.some((m) => m.user_id === r.id && groups.has(m.group_id));
  }

  /** Related text values (lowercased shadow values for relations). */
  private related(relation: RelationName, r: EvalUser | EvalGroup): string[] {
    const groupName = (id: string) => this.dir.groups.find((g) => g.id === id)?.name;
    const roleName = (id: string) => this.dir.roles.find((x) => x.id === id)?.name;
    const defined = (xs: (string | undefined)[]) => xs.filter((x): x is string => x !== undefined);
    switch (relation) {
      case 'user-groups':
        return defined(this.dir.members.filter((m) => m.user_id === r.id).map((m) => groupName(m.group_id)));
      case 'user-roles': {
        const direct = this.dir.userRoles.filter((x) => x.user_id === r.id).map((x) => x.role_id);
        const ancestors = this.closure(this.dir.members.filter((m) => m.user_id === r.id).map((m) => m.group_id), 'up');
        const inherited = this.dir.groupRoles.filter((x) => ancestors.has(x.group_id)).map((x) => x.role_id);
        return defined([...direct, ...inherited].map(roleName));
      }
      case 'group-parents':
        return defined(this.dir.parents.filter((p) => p.group_id === r.id).map((p) => groupName(p.parent_id)));
      case 'group-children':
        return defined(this.dir.parents.filter((p) => p.parent_id === r.id).map((p) => groupName(p.group_id)));
      case 'group-members':
        return defined(this.dir.members.filter((m) => m.group_id === r.id).map((m) => this.dir.users.find((u) => u.id === m.user_id)?.username));
      default:
        return assertNever(relation);
    }
  }

  private raw(f: ResolvedField, r: EvalUser | EvalGroup): unknown {
    const s = f.def.storage;
    const rec = r as unknown as Record<string, unknown>;
    switch (s.kind) {
      case 'column': return rec[s.column];
      case 'offset': return (rec[s.column] as number) + s.offset;
      case 'superuser': return this.isSuperuser(r);
      case 'json': {
        let v: unknown = rec[s.column];
        for (const k of f.path) {
          if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
          v = (v as Record<string, unknown>)[k];
        }
        return v;
      }
      case 'relation': return this.related(s.relation, r);
      case 'elements': return this.elementsOf(f, r);
      default: return assertNever(s);
    }
  }

  private textValues(f: ResolvedField, r: EvalUser | EvalGroup): string[] {
    const v = this.raw(f, r);
    if (Array.isArray(v) && f.def.storage.kind === 'relation') return v as string[];
    return typeof v === 'string' ? [v] : [];
  }

  private present(f: ResolvedField, r: EvalUser | EvalGroup): boolean {
    const v = this.raw(f, r);
    if (f.def.storage.kind === 'relation' || f.def.storage.kind === 'elements') return (v as unknown[]).length > 0;
    if (f.def.storage.kind === 'json') return !absent(v) && !(typeof v === 'string' && v === '');
    return !absent(v);
  }

  private compare(f: ResolvedField, op: CompareOp, value: Scalar, ignoreCase: boolean, r: EvalUser | EvalGroup): boolean {
    if (op === 'ne') return !this.compare(f, 'eq', value, ignoreCase, r);
    if (value === null) return false;
    const s = f.def.storage;
    const t = f.def.type;
    if (s.kind === 'relation') {
      return (this.raw(f, r) as string[]).some((x) => textCompare(x.toLowerCase(), op, String(value).toLowerCase()));
    }
    const v = this.raw(f, r);
    if (s.kind === 'json') {
      if (typeof value === 'boolean') return v === value;
      if (typeof value === 'number') return typeof v === 'number' && numCompare(v, op, value);
      if (typeof v !== 'string') return false;
      return ignoreCase ? textCompare(asciiLower(v), op, asciiLower(value)) : textCompare(v, op, value);
    }
    if (v === null || v === undefined) return false;
    if (t === 'string' || t === 'enum') {
      const ci = s.kind === 'column' && s.ciColumn !== undefined;
      const fold = ci ? (x: string) => x.toLowerCase() : ignoreCase ? asciiLower : (x: string) => x;
      return textCompare(fold(String(v)), op, fold(String(value)));
    }
    if (t === 'boolean') return Boolean(v) === value;
    if (t === 'uuid') return v === value;
    if (t === 'integer') return numCompare(v as number, op, value as number);
    if (t === 'datetime') {
      const a = toMillis(v as EvalDate);
      const b = Date.parse(String(value));
      return a !== null && numCompare(a, op, b);
    }
    throw new Error(`cannot compare field "${f.def.name}"`);
  }
}

function numCompare(a: number, op: CompareOp, b: number): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'gt': return a > b;
    case 'ge': return a >= b;
    case 'lt': return a < b;
    case 'le': return a <= b;
    case 'ne': return a !== b;
    case 'contains': case 'startswith': case 'endswith': return false;
    default: return assertNever(op);
  }
}

function textCompare(a: string, op: CompareOp, b: string): boolean {
  switch (op) {
    case 'eq': return a === b;
    case 'ne': return a !== b;
    case 'contains': return a.includes(b);
    case 'startswith': return a.startsWith(b);
    case 'endswith': return a.endsWith(b);
    case 'gt': return compareCodePoints(a, b) > 0;
    case 'ge': return compareCodePoints(a, b) >= 0;
    case 'lt': return compareCodePoints(a, b) < 0;
    case 'le': return compareCodePoints(a, b) <= 0;
    default: return assertNever(op);
  }
}

/** LDAP substring semantics: initial, then each `any` in order, then final, without overlap. */
function substringMatch(s: string, initial: string | undefined, any: readonly string[], final: string | undefined): boolean {
  let pos = 0;
  let end = s.length;
  if (initial !== undefined) {
    if (!s.startsWith(initial)) return false;
    pos = initial.length;
  }
  if (final !== undefined) {
    if (!s.endsWith(final) || s.length - final.length < pos) return false;
    end = s.length - final.length;
  }
  for (const a of any) {
    const i = s.slice(0, end).indexOf(a, pos);
    if (i < 0) return false;
    pos = i + a.length;
  }
  return true;
}
