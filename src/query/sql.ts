/**
 * Compiles a validated query to one SQL boolean expression over the entity's table, for
 * PostgreSQL or SQLite. Every user value is a `?` binding (JSON keys too). The store applies
 * the result with knex's `whereRaw`; this module never touches knex.
 *
 * Semantics (the evaluator implements the same):
 * - Two-valued: each `not` (and `ne`) compiles to `(x) IS NOT TRUE`, so a comparison that is
 *   NULL in SQL (absent value) counts as false and its negation as true.
 * - Case-insensitive fields compare their lowercase shadow column with the JS-lowercased value;
 *   `ignoreCase` on a case-exact field folds ASCII on both sides.
 * - Ordering comparisons on text use code point order (`COLLATE "C"` on PostgreSQL).
 * - Relations and membership are `id IN (uncorrelated subquery)` (PostgreSQL: `id = ANY(ARRAY(…))`)
 *   rather than correlated EXISTS: the same meaning, but the subquery runs once instead of
 *   once per row. Transitive membership walks `group_parents` with a
 *   recursive CTE (UNION, so cycles terminate).
 */
import { assertNever } from './ast.js';
import type { AnyNode, CompareNode, CompareOp, GroupRef, HasMemberNode, InNode, MemberOfNode, QueryNode, Scalar, SubstringNode } from './ast.js';
import { ELEMENT_ALIAS, ENTITY_TABLE, resolveField, resolveSubField } from '../domain/catalogue.js';
import type { Entity, FieldDef, RelationName, ResolvedField } from '../domain/catalogue.js';
import { asciiLower, foldSql, matchSql, patternFor } from './sql-text.js';
import type { SqlDialect, SqlFragment } from './sql-text.js';
import type { Validated } from './validate.js';

export type { SqlDialect, SqlFragment } from './sql-text.js';
export { compileOrderBy, keysetAfter, parseOrdering } from './ordering.js';
export type { OrderKey, Ordering } from './ordering.js';

/** The WHERE expression for `v` over its entity's table (aliased `alias`, default the table name). */
export function compileWhere(v: Validated, dialect: SqlDialect, alias?: string): SqlFragment {
  const c = new Compiler(v.entity, dialect, alias ?? ENTITY_TABLE[v.entity]);
  const sql = c.node(v.node);
  return { sql, bindings: c.bindings };
}

const SQL_OP: Readonly<Record<'eq' | 'gt' | 'ge' | 'lt' | 'le', string>> = { eq: '=', gt: '>', ge: '>=', lt: '<', le: '<=' };

type TextMode = 'ci' | 'fold' | 'exact';

class Compiler {
  /**
   * `scope`: compiling the `where` of an `any` node, whose names are sub-fields of this complex
   * field and whose columns belong to the element row `alias`. Bindings are shared with the
   * enclosing compiler so they stay in text order.
   */
  constructor(readonly entity: Entity, readonly dialect: SqlDialect, readonly alias: string, readonly scope?: FieldDef, readonly bindings: unknown[] = []) {}

  private bind(value: unknown): string {
    this.bindings.push(value);
    return '?';
  }

  node(n: QueryNode): string {
    switch (n.kind) {
      case 'and': return `(${n.operands.map((o) => this.node(o)).join(' AND ')})`;
      case 'or': return `(${n.operands.map((o) => this.node(o)).join(' OR ')})`;
      case 'not': return this.negate(this.node(n.operand));
      case 'true': return '1 = 1';
      case 'false': return '1 = 0';
      case 'compare': return this.compare(n);
      case 'present': return this.present(this.field(n.field));
      case 'in': return this.inList(n);
      case 'substring': return this.substring(n);
      case 'memberOf': return this.memberOf(n);
      case 'hasMember': return this.hasMember(n);
      case 'any': return this.any(n);
      default: return assertNever(n);
    }
  }

  private negate(sql: string): string {
    return `(${sql}) IS NOT TRUE`;
  }

  private field(name: string): ResolvedField {
    const f = this.scope ? resolveSubField(this.scope, name) : resolveField(this.entity, name);
    if (!f) throw new Error(`field "${name}" escaped validation`);
    return f;
  }

  private col(column: string): string {
    return `${this.alias}.${column}`;
  }

  private compare(n: CompareNode): string {
    if (n.op === 'ne') return this.negate(this.compare({ ...n, op: 'eq' }));
    const f = this.field(n.field);
    const s = f.def.storage;
    const value = n.value as Exclude<Scalar, null>;
    switch (s.kind) {
      case 'column': {
        const t = f.def.type;
        if (t === 'string' || t === 'enum') {
          const mode: TextMode = s.ciColumn ? 'ci' : n.ignoreCase ? 'fold' : 'exact';
          return this.text(this.col(s.ciColumn ?? s.column), n.op, String(value), mode);
        }
        if (t === 'boolean') return `${this.col(s.column)} = ${this.bind(this.bool(value === true))}`;
        if (t === 'uuid') return `${this.col(s.column)} = ${this.bind(String(value))}`;
        if (t === 'datetime') return `${this.datetime(this.col(s.column))} ${SQL_OP[n.op as keyof typeof SQL_OP]} ${this.datetimeParam(String(value))}`;
        throw new Error(`cannot compare a ${t} column`);
      }
      case 'offset':
        return `${this.col(s.column)} ${SQL_OP[n.op as keyof typeof SQL_OP]} ${this.bind(Number(value) - s.offset)}`;
      case 'superuser':
        return value === true ? this.superuser() : this.negate(this.superuser());
      case 'json':
        return this.json(f.path, n.op, value, n.ignoreCase === true);
      case 'relation':
        return this.relation(s.relation, (expr) => this.text(expr, n.op, String(value), 'ci'));
      case 'elements':
        throw new Error(`field "${n.field}" escaped validation`);
      default:
        return assertNever(s);
    }
  }

  /** A text comparison; `expr` is already the shadow column in 'ci' mode. */
  private text(expr: string, op: CompareOp, value: string, mode: TextMode): string {
    const v = mode === 'ci' ? value.toLowerCase() : mode === 'fold' ? asciiLower(value) : value;
    const e = mode === 'fold' ? foldSql(expr, this.dialect) : expr;
    switch (op) {
      case 'eq': return `${e} = ${this.bind(v)}`;
      case 'ne': return this.negate(`${e} = ${this.bind(v)}`);
      case 'gt': case 'ge': case 'lt': case 'le':
        return `${this.dialect === 'pg' ? `${e} COLLATE "C"` : e} ${SQL_OP[op]} ${this.bind(v)}`;
      case 'contains': return this.match(e, { any: [v] });
      case 'startswith': return this.match(e, { initial: v, any: [] });
      case 'endswith': return this.match(e, { any: [], final: v });
      default: return assertNever(op);
    }
  }

  private match(expr: string, parts: { initial?: string; any: readonly string[]; final?: string }): string {
    this.bindings.push(patternFor(this.dialect, parts));
    return matchSql(expr, this.dialect);
  }

  private bool(b: boolean): boolean | number {
    return this.dialect === 'pg' ? b : b ? 1 : 0;
  }

  /** SQLite: tolerate epoch-millisecond numbers (what knex writes for a Date) next to ISO text. */
  private datetime(expr: string): string {
    if (this.dialect === 'pg') return expr;
    return `(CASE WHEN typeof(${expr}) IN ('integer', 'real') THEN strftime('%Y-%m-%dT%H:%M:%fZ', ${expr} / 1000.0, 'unixepoch') ELSE ${expr} END)`;
  }

  private datetimeParam(iso: string): string {
    return this.dialect === 'pg' ? `CAST(${this.bind(iso)} AS timestamptz)` : this.bind(iso);
  }

  private present(f: ResolvedField): string {
    const s = f.def.storage;
    switch (s.kind) {
      case 'column': {
        const c = this.col(s.column);
        const textual = f.def.type === 'string' || f.def.type === 'enum';
        if (textual) return s.nullable ? `(${c} IS NOT NULL AND ${c} <> '')` : `${c} <> ''`;
        return s.nullable ? `${c} IS NOT NULL` : '1 = 1';
      }
      case 'offset':
      case 'superuser':
        return '1 = 1';
      case 'json':
        return `COALESCE(${this.jsonAny(f.path)}, '') <> ''`;
      case 'relation':
        return this.relation(s.relation, () => '1 = 1');
      case 'elements':
        return this.elements(s.attr, '1 = 1');
      default:
        return assertNever(s);
    }
  }

  private inList(n: InNode): string {
    const f = this.field(n.field);
    const s = f.def.storage;
    const list = (values: readonly unknown[]) => `(${values.map((v) => this.bind(v)).join(', ')})`;
    const t = f.def.type;
    if (s.kind === 'column' && (t === 'string' || t === 'enum' || t === 'uuid')) {
      const values = n.values.map((v) => (s.ciColumn ? String(v).toLowerCase() : String(v)));
      return `${this.col(s.ciColumn ?? s.column)} IN ${list(values)}`;
    }
    if (s.kind === 'offset') return `${this.col(s.column)} IN ${list(n.values.map((v) => Number(v) - s.offset))}`;
    if (s.kind === 'relation') return this.relation(s.relation, (expr) => `${expr} IN ${list(n.values.map((v) => String(v).toLowerCase()))}`);
    return `(${n.values.map((v) => this.compare({ kind: 'compare', field: n.field, op: 'eq', value: v })).join(' OR ')})`;
  }

  private substring(n: SubstringNode): string {
    const f = this.field(n.field);
    const s = f.def.storage;
    const parts = (lower: (x: string) => string) => ({
      ...(n.initial !== undefined ? { initial: lower(n.initial) } : {}),
      any: n.any.map(lower),
      ...(n.final !== undefined ? { final: lower(n.final) } : {}),
    });
    if (s.kind === 'column') {
      if (s.ciColumn) return this.match(this.col(s.ciColumn), parts((x) => x.toLowerCase()));
      return n.ignoreCase ? this.match(foldSql(this.col(s.column), this.dialect), parts(asciiLower)) : this.match(this.col(s.column), parts((x) => x));
    }
    if (s.kind === 'json') {
      const e = this.jsonString(f.path);
      return n.ignoreCase ? this.match(foldSql(e, this.dialect), parts(asciiLower)) : this.match(e, parts((x) => x));
    }
    if (s.kind === 'relation') return this.relation(s.relation, (expr) => this.match(expr, parts((x) => x.toLowerCase())));
    throw new Error(`field "${n.field}" escaped validation`);
  }

  // Multi-valued complex attributes ---------------------------------------------------------

  /** Some element of the field satisfies `where`: one `user_values` row holds all of it. */
  private any(n: AnyNode): string {
    const f = this.field(n.field);
    if (f.def.storage.kind !== 'elements') throw new Error(`field "${n.field}" escaped validation`);
    const attr = this.bind(f.def.storage.attr);
    const inner = new Compiler(this.entity, this.dialect, ELEMENT_ALIAS, f.def, this.bindings).node(n.where);
    return this.elementsSql(attr, inner);
  }

  private elements(attr: string, cond: string): string {
    return this.elementsSql(this.bind(attr), cond);
  }

  /** Served by the `(attr, value_ci)` and `(attr, type_ci)` indexes of migration 0006. */
  private elementsSql(attrParam: string, cond: string): string {
    const uv = ELEMENT_ALIAS;
    return this.inIds(`SELECT ${uv}.user_id FROM user_values ${uv} WHERE ${uv}.attr = ${attrParam} AND ${cond}`);
  }

  // JSON attributes -------------------------------------------------------------------------

  private jsonPath(path: readonly string[]): string {
    if (this.dialect === 'pg') return `${this.bind(`{${path.map((k) => `"${k}"`).join(',')}}`)}::text[]`;
    return this.bind(`$${path.map((k) => `."${k}"`).join('')}`);
  }

  /**
   * The attributes document. On SQLite a document its JSON functions refuse (nested over 1,000
   * levels, written before the door limited depth) reads as NULL, so one such row cannot make
   * every attributes query fail; SQLite caches the parse within a statement.
   */
  private attrs(): string {
    const a = this.col('attributes');
    return this.dialect === 'pg' ? a : `(CASE WHEN json_valid(${a}) THEN ${a} END)`;
  }

  /** The value's text (any JSON type), NULL when missing or JSON null. */
  private jsonAny(path: readonly string[]): string {
    return this.dialect === 'pg' ? `(${this.attrs()} #>> ${this.jsonPath(path)})` : `json_extract(${this.attrs()}, ${this.jsonPath(path)})`;
  }

  private jsonString(path: readonly string[]): string {
    const a = this.attrs();
    if (this.dialect === 'pg') return `(CASE WHEN jsonb_typeof(${a} #> ${this.jsonPath(path)}) = 'string' THEN ${a} #>> ${this.jsonPath(path)} END)`;
    return `(CASE WHEN json_type(${a}, ${this.jsonPath(path)}) = 'text' THEN json_extract(${a}, ${this.jsonPath(path)}) END)`;
  }

  private jsonNumber(path: readonly string[]): string {
    const a = this.attrs();
    if (this.dialect === 'pg') return `(CASE WHEN jsonb_typeof(${a} #> ${this.jsonPath(path)}) = 'number' THEN (${a} #>> ${this.jsonPath(path)})::float8 END)`;
    return `(CASE WHEN json_type(${a}, ${this.jsonPath(path)}) IN ('integer', 'real') THEN json_extract(${a}, ${this.jsonPath(path)}) END)`;
  }

  /** Typed comparison: a string value matches JSON strings only, a number JSON numbers only. */
  private json(path: readonly string[], op: CompareOp, value: Exclude<Scalar, null>, ignoreCase: boolean): string {
    if (typeof value === 'boolean') {
      const a = this.attrs();
      return this.dialect === 'pg'
        ? `(${a} #> ${this.jsonPath(path)}) = CAST(${this.bind(String(value))} AS jsonb)`
        : `json_type(${a}, ${this.jsonPath(path)}) = ${this.bind(String(value))}`;
    }
    if (typeof value === 'number') return `${this.jsonNumber(path)} ${SQL_OP[op as keyof typeof SQL_OP]} ${this.bind(value)}`;
    return this.text(this.jsonString(path), op, value, ignoreCase ? 'fold' : 'exact');
  }

  // Relations and membership ----------------------------------------------------------------

  private id(): string {
    return this.col('id');
  }

  /**
   * `id` is among the ids `sub` selects. PostgreSQL gets `= ANY(ARRAY(sub))`: the subquery runs
   * once as an InitPlan and the outer side probes the id index. With a plain `IN` its planner
   * guesses the size of a recursive CTE, and may walk all users in `seq` order for a LIMIT
   * instead (measured: 465 ms vs a few ms at 100k users).
   */
  private inIds(sub: string): string {
    return this.dialect === 'pg' ? `${this.id()} = ANY(ARRAY(${sub}))` : `${this.id()} IN (${sub})`;
  }

  /** `id IN (ids of records with a related row whose value satisfies cond(valueExpr))`. */
  private relation(relation: RelationName, cond: (valueExpr: string) => string): string {
    switch (relation) {
      case 'user-groups':
        return this.inIds(`SELECT qm.user_id FROM group_members qm JOIN groups qg ON qg.id = qm.group_id WHERE ${cond('qg.name_ci')}`);
      case 'user-roles': {
        const direct = `SELECT qur.user_id FROM user_roles qur JOIN roles qr ON qr.id = qur.role_id WHERE ${cond('qr.name_ci')}`;
        const holders = `SELECT qgr.group_id FROM group_roles qgr JOIN roles qr ON qr.id = qgr.role_id WHERE ${cond('qr.name_ci')}`;
        return this.inIds(`${direct} UNION SELECT qm.user_id FROM group_members qm WHERE qm.group_id IN (${descendants(holders)})`);
      }
      case 'group-parents':
        return this.inIds(`SELECT qp.group_id FROM group_parents qp JOIN groups qg ON qg.id = qp.parent_id WHERE ${cond('qg.name_ci')}`);
      case 'group-members':
        return this.inIds(`SELECT qm.group_id FROM group_members qm JOIN users qu ON qu.id = qm.user_id WHERE ${cond('qu.username_ci')}`);
      case 'group-children':
        return this.inIds(`SELECT qp.parent_id FROM group_parents qp JOIN groups qg ON qg.id = qp.group_id WHERE ${cond('qg.name_ci')}`);
      default:
        return assertNever(relation);
    }
  }

  private groupIds(g: GroupRef): string {
    return g.by === 'id' ? `SELECT qg.id FROM groups qg WHERE qg.id = ${this.bind(g.value)}`
      : `SELECT qg.id FROM groups qg WHERE qg.name_ci = ${this.bind(g.value.toLowerCase())}`;
  }

  private memberOf(n: MemberOfNode): string {
    if (this.entity === 'users') {
      if (!n.transitive) {
        return n.group.by === 'id'
          ? this.inIds(`SELECT qm.user_id FROM group_members qm WHERE qm.group_id = ${this.bind(n.group.value)}`)
          : this.inIds(`SELECT qm.user_id FROM group_members qm JOIN groups qg ON qg.id = qm.group_id WHERE qg.name_ci = ${this.bind(n.group.value.toLowerCase())}`);
      }
      return this.inIds(`SELECT qm.user_id FROM group_members qm WHERE qm.group_id IN (${descendants(this.groupIds(n.group))})`);
    }
    const children = `SELECT qc.group_id FROM group_parents qc WHERE qc.parent_id IN (${this.groupIds(n.group)})`;
    return this.inIds(n.transitive ? descendants(children) : children);
  }

  private hasMember(n: HasMemberNode): string {
    const m = n.member;
    let start: string;
    if (m.entity === 'users') {
      start = m.by === 'id' ? `SELECT qm.group_id FROM group_members qm WHERE qm.user_id = ${this.bind(m.value)}`
        : `SELECT qm.group_id FROM group_members qm JOIN users qu ON qu.id = qm.user_id WHERE qu.username_ci = ${this.bind(m.value.toLowerCase())}`;
    } else {
      start = m.by === 'id' ? `SELECT qc.parent_id FROM group_parents qc WHERE qc.group_id = ${this.bind(m.value)}`
        : `SELECT qc.parent_id FROM group_parents qc JOIN groups qg ON qg.id = qc.group_id WHERE qg.name_ci = ${this.bind(m.value.toLowerCase())}`;
    }
    return this.inIds(n.transitive ? ancestors(start) : start);
  }

  private superuser(): string {
    const roots = `SELECT qg.id FROM groups qg WHERE qg.is_superuser = ${this.bind(this.bool(true))}`;
    return this.inIds(`SELECT qm.user_id FROM group_members qm WHERE qm.group_id IN (${descendants(roots)})`);
  }
}

/** The groups selected by `start` and every group below them. */
function descendants(start: string): string {
  return `WITH RECURSIVE q_tree(id) AS (${start} UNION SELECT qp.group_id FROM group_parents qp JOIN q_tree ON qp.parent_id = q_tree.id) SELECT id FROM q_tree`;
}

/** The groups selected by `start` and every group above them. */
function ancestors(start: string): string {
  return `WITH RECURSIVE q_tree(id) AS (${start} UNION SELECT qp.parent_id FROM group_parents qp JOIN q_tree ON qp.group_id = q_tree.id) SELECT id FROM q_tree`;
}
