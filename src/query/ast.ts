/**
 * The query AST: the contract between the three doors (admin query, SCIM filter, LDAP filter)
 * and the store. Nodes are small readonly objects tagged by `kind`; build them with the
 * constructor functions below, which flatten nested `and`/`or` and fold `TRUE`/`FALSE` so later
 * stages never see silly trees (lldap does the same).
 *
 * Field names are catalogue names (`username`, `attributes.department.code`, `groups.name`);
 * see catalogue.ts. Semantics (shared by the SQL compiler and the evaluator):
 * - two-valued logic: a comparison on an absent value is false, and `not` is its complement,
 *   so `ne` / `not` match records whose value is absent (as Django's exclude and LDAP `(!(a=b))`);
 * - a value is absent when it is NULL, the empty string, or (JSON) missing or JSON null;
 *   `compare eq null` tests absence and `compare ne null` presence.
 */

export type CompareOp = 'eq' | 'ne' | 'contains' | 'startswith' | 'endswith' | 'gt' | 'ge' | 'lt' | 'le';
export type Scalar = string | number | boolean | null;

export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'ne', 'contains', 'startswith', 'endswith', 'gt', 'ge', 'lt', 'le'];

export interface AndNode { readonly kind: 'and'; readonly operands: readonly QueryNode[] }
export interface OrNode { readonly kind: 'or'; readonly operands: readonly QueryNode[] }
export interface NotNode { readonly kind: 'not'; readonly operand: QueryNode }
export interface TrueNode { readonly kind: 'true' }
export interface FalseNode { readonly kind: 'false' }

/** `field op value`. `ignoreCase` folds ASCII case even on a case-exact field (`~`, LDAP approx). */
export interface CompareNode {
  readonly kind: 'compare';
  readonly field: string;
  readonly op: CompareOp;
  readonly value: Scalar;
  readonly ignoreCase?: boolean;
}

/** The field has a value (not NULL, not empty; for relations: at least one related row). */
export interface PresentNode { readonly kind: 'present'; readonly field: string }

/** `field` equals one of `values` (never null: the constructor turns a null into a presence test). */
export interface InNode { readonly kind: 'in'; readonly field: string; readonly values: readonly Exclude<Scalar, null>[] }

/** LDAP substring filter `initial*any*…*final`, in order and without overlap. */
export interface SubstringNode {
  readonly kind: 'substring';
  readonly field: string;
  readonly initial?: string;
  readonly any: readonly string[];
  readonly final?: string;
  readonly ignoreCase?: boolean;
}

export interface GroupRef { readonly by: 'name' | 'id'; readonly value: string }

/**
 * Users: member of the group (transitive: of the group or any group below it).
 * Groups: child of the group (transitive: anywhere below it).
 */
export interface MemberOfNode { readonly kind: 'memberOf'; readonly group: GroupRef; readonly transitive: boolean }

export type MemberRef =
  | { readonly entity: 'users'; readonly by: 'id' | 'username'; readonly value: string }
  | { readonly entity: 'groups'; readonly by: 'id' | 'name'; readonly value: string };

/** Groups only: the group has this user or child group as a member (transitive: at any depth). */
export interface HasMemberNode { readonly kind: 'hasMember'; readonly member: MemberRef; readonly transitive: boolean }

/**
 * Some element of the multi-valued complex field `field` (`emails`, `addresses`, …) satisfies
 * `where`, whose field names are the element's sub-fields (`value`, `type`, `primary`, …). All
 * of `where` holds for one and the same element: `emails[type eq "home" and value co "x"]`.
 * `where` holds no `any`, `memberOf` or `hasMember`.
 */
export interface AnyNode { readonly kind: 'any'; readonly field: string; readonly where: QueryNode }

export type QueryNode =
  | AndNode | OrNode | NotNode | TrueNode | FalseNode
  | CompareNode | PresentNode | InNode | SubstringNode | MemberOfNode | HasMemberNode | AnyNode;

export type NodeKind = QueryNode['kind'];

export const TRUE: TrueNode = Object.freeze({ kind: 'true' });
export const FALSE: FalseNode = Object.freeze({ kind: 'false' });

/** Compile-time exhaustiveness check for `switch (node.kind)`. */
export function assertNever(x: never): never {
  throw new Error(`unhandled query node ${JSON.stringify(x)}`);
}

/** Conjunction: flattens nested `and`, drops `TRUE`, folds to `FALSE` if any operand is `FALSE`. */
export function and(...operands: readonly QueryNode[]): QueryNode {
  const out: QueryNode[] = [];
  for (const o of operands) {
    if (o.kind === 'false') return FALSE;
    if (o.kind === 'true') continue;
    if (o.kind === 'and') out.push(...o.operands);
    else out.push(o);
  }
  if (out.length === 0) return TRUE;
  if (out.length === 1) return out[0]!;
  return Object.freeze({ kind: 'and', operands: Object.freeze(out) });
}

/** Disjunction: flattens nested `or`, drops `FALSE`, folds to `TRUE` if any operand is `TRUE`. */
export function or(...operands: readonly QueryNode[]): QueryNode {
  const out: QueryNode[] = [];
  for (const o of operands) {
    if (o.kind === 'true') return TRUE;
    if (o.kind === 'false') continue;
    if (o.kind === 'or') out.push(...o.operands);
    else out.push(o);
  }
  if (out.length === 0) return FALSE;
  if (out.length === 1) return out[0]!;
  return Object.freeze({ kind: 'or', operands: Object.freeze(out) });
}

/** Negation: `not(TRUE)` is `FALSE`, `not(not(x))` is `x`. */
export function not(operand: QueryNode): QueryNode {
  if (operand.kind === 'true') return FALSE;
  if (operand.kind === 'false') return TRUE;
  if (operand.kind === 'not') return operand.operand;
  return Object.freeze({ kind: 'not', operand });
}

/** `field op value`; `ne` stays a node of its own so translations read like their source. */
export function compare(field: string, op: CompareOp, value: Scalar, options: { ignoreCase?: boolean } = {}): QueryNode {
  if (value === null && (op === 'eq' || op === 'ne')) {
    return op === 'eq' ? not(present(field)) : present(field);
  }
  const node: CompareNode = options.ignoreCase ? { kind: 'compare', field, op, value, ignoreCase: true } : { kind: 'compare', field, op, value };
  return Object.freeze(node);
}

export function present(field: string): QueryNode {
  return Object.freeze({ kind: 'present', field });
}

/** `field in (values)`: empty is `FALSE`, one value is `eq`, a null becomes an absence test. */
export function inList(field: string, values: readonly Scalar[]): QueryNode {
  const nonNull = [...new Set(values.filter((v): v is Exclude<Scalar, null> => v !== null))];
  const withNull = values.some((v) => v === null);
  const list: QueryNode = nonNull.length === 0 ? FALSE
    : nonNull.length === 1 ? compare(field, 'eq', nonNull[0]!)
      : Object.freeze({ kind: 'in', field, values: Object.freeze(nonNull) });
  return withNull ? or(not(present(field)), list) : list;
}

/** LDAP-style substring match; with no parts at all it is a presence test. */
export function substring(field: string, parts: { initial?: string; any?: readonly string[]; final?: string }, options: { ignoreCase?: boolean } = {}): QueryNode {
  const any = (parts.any ?? []).filter((s) => s !== '');
  const initial = parts.initial || undefined;
  const final = parts.final || undefined;
  if (initial === undefined && final === undefined && any.length === 0) return present(field);
  const node: SubstringNode = {
    kind: 'substring', field, any: Object.freeze(any),
    ...(initial !== undefined ? { initial } : {}),
    ...(final !== undefined ? { final } : {}),
    ...(options.ignoreCase ? { ignoreCase: true } : {}),
  };
  return Object.freeze(node);
}

export function memberOf(group: GroupRef, transitive = false): QueryNode {
  return Object.freeze({ kind: 'memberOf', group: Object.freeze({ ...group }), transitive });
}

export function hasMember(member: MemberRef, transitive = false): QueryNode {
  return Object.freeze({ kind: 'hasMember', member: Object.freeze({ ...member }), transitive });
}

/** Some element of `field` satisfies `where`; no element can satisfy `FALSE`. */
export function any(field: string, where: QueryNode): QueryNode {
  if (where.kind === 'false') return FALSE;
  return Object.freeze({ kind: 'any', field, where });
}

/** Nesting depth of boolean operators (a leaf is depth 1). */
export function depthOf(node: QueryNode): number {
  switch (node.kind) {
    case 'and':
    case 'or':
      return 1 + Math.max(...node.operands.map(depthOf));
    case 'not':
      return 1 + depthOf(node.operand);
    case 'any':
      return 1 + depthOf(node.where);
    case 'true': case 'false': case 'compare': case 'present': case 'in':
    case 'substring': case 'memberOf': case 'hasMember':
      return 1;
    default:
      return assertNever(node);
  }
}

/** Number of nodes in the tree. */
export function sizeOf(node: QueryNode): number {
  switch (node.kind) {
    case 'and':
    case 'or':
      return 1 + node.operands.reduce((n, o) => n + sizeOf(o), 0);
    case 'not':
      return 1 + sizeOf(node.operand);
    case 'any':
      return 1 + sizeOf(node.where);
    case 'true': case 'false': case 'compare': case 'present': case 'in':
    case 'substring': case 'memberOf': case 'hasMember':
      return 1;
    default:
      return assertNever(node);
  }
}
