/**
 * The admin query language: authentik's user search, which is DjangoQL.
 *
 *   expression := primary (("and" | "or") expression)?      -- equal precedence, grouping right
 *   primary    := "(" expression ")" | name operator value
 *
 * So `a = 1 and b = 2 or c = 3` means `a = 1 and (b = 2 or c = 3)`, as in DjangoQL. There is no
 * `not (…)`. `~` is a case-insensitive contains; `startswith`/`endswith` ignore case too (DjangoQL
 * maps them to Django's `istartswith`/`iendswith`); `= None` / `!= None` test absence/presence.
 * Negated operators (`!=`, `!~`, `not in`, …) are `not` of the positive one, like Django's
 * `exclude()`: they match records where the field is absent.
 */
import type { QueryLimits } from '../config.js';
import { InvalidQuery } from '../domain/errors.js';
import { textProblem } from '../domain/text.js';
import { and, compare, depthOf, inList, not, or } from './ast.js';
import type { CompareOp, QueryNode, Scalar } from './ast.js';
import { fieldsOf, queryFields, resolveField, suggestField } from '../domain/catalogue.js';
import type { Entity, FieldDef, ResolvedField } from '../domain/catalogue.js';
import { lex } from './admin-lexer.js';
import { orderableFields } from './ordering.js';
import type { Token } from './admin-lexer.js';
import { checkValue, matchAll, QueryBudget, validate } from './validate.js';
import type { Validated } from './validate.js';

/** Field names of the admin language per entity (DESIGN.md "Query language"): the catalogue's `query` fields. */
const ADMIN_FIELDS: Readonly<Record<Entity, readonly string[]>> = {
  users: queryFields('users').map((f) => f.name),
  groups: queryFields('groups').map((f) => f.name),
};

export type AdminOperator =
  | '=' | '!=' | '~' | '!~' | '>' | '>=' | '<' | '<='
  | 'in' | 'not in' | 'startswith' | 'not startswith' | 'endswith' | 'not endswith';

const OPERATORS: Readonly<Record<AdminOperator, { op: CompareOp | 'in'; negated: boolean; ignoreCase: boolean; description: string }>> = {
  '=': { op: 'eq', negated: false, ignoreCase: false, description: 'equals' },
  '!=': { op: 'eq', negated: true, ignoreCase: false, description: 'does not equal (matches absent values too)' },
  '~': { op: 'contains', negated: false, ignoreCase: true, description: 'contains, ignoring case' },
  '!~': { op: 'contains', negated: true, ignoreCase: true, description: 'does not contain, ignoring case' },
  '>': { op: 'gt', negated: false, ignoreCase: false, description: 'greater than' },
  '>=': { op: 'ge', negated: false, ignoreCase: false, description: 'greater than or equal' },
  '<': { op: 'lt', negated: false, ignoreCase: false, description: 'less than' },
  '<=': { op: 'le', negated: false, ignoreCase: false, description: 'less than or equal' },
  'in': { op: 'in', negated: false, ignoreCase: false, description: 'one of a list: in ("a", "b")' },
  'not in': { op: 'in', negated: true, ignoreCase: false, description: 'none of a list' },
  'startswith': { op: 'startswith', negated: false, ignoreCase: true, description: 'starts with, ignoring case' },
  'not startswith': { op: 'startswith', negated: true, ignoreCase: true, description: 'does not start with, ignoring case' },
  'endswith': { op: 'endswith', negated: false, ignoreCase: true, description: 'ends with, ignoring case' },
  'not endswith': { op: 'endswith', negated: true, ignoreCase: true, description: 'does not end with, ignoring case' },
};

const TEXT_OPERATORS = Object.keys(OPERATORS) as AdminOperator[];
const ORDER_OPERATORS: AdminOperator[] = ['=', '!=', '>', '>=', '<', '<='];

/** Operators the admin language offers for a field. */
export function adminOperatorsFor(def: FieldDef): readonly AdminOperator[] {
  switch (def.type) {
    case 'boolean': return ['=', '!='];
    case 'datetime': case 'integer': return ORDER_OPERATORS;
    case 'uuid': return ['=', '!=', 'in', 'not in'];
    case 'string': case 'enum': case 'json': case 'relation': return TEXT_OPERATORS;
    default: return [];
  }
}

/**
 * Parses an admin search into a validated query. Empty or blank text matches everything.
 * @throws InvalidQuery with a message naming the problem and its 1-based column.
 * @throws LimitExceeded when the text, depth or term count is over `limits`.
 */
export function parseAdminQuery(text: string, entity: Entity, limits: QueryLimits): Validated {
  const budget = new QueryBudget(limits);
  budget.checkLength(text);
  if (text.trim() === '') return matchAll(entity);
  if (isPlainText(text)) return validate(plainTextSearch(text.trim(), entity), entity, limits);
  const parser = new Parser(lex(text), entity, budget);
  const node = parser.parse();
  return validate(node, entity, limits);
}

/**
 * Text with none of the characters a comparison needs (`= ~ < > ! ( ) "`) cannot be a query, so
 * it is a plain search, as authentik's search box does without its query language: `bob` finds
 * users whose username, name or email contain "bob" (groups: whose name does).
 */
export function isPlainText(text: string): boolean {
  // Control characters and broken Unicode go to the parser, which refuses them with their column.
  // eslint-disable-next-line no-control-regex
  return !/[=~<>!()"\u0000-\u001f\u007f]/.test(text) && textProblem(text) === undefined;
}

const PLAIN_TEXT_FIELDS: Readonly<Record<Entity, readonly string[]>> = { users: ['username', 'name', 'email'], groups: ['name'] };

function plainTextSearch(text: string, entity: Entity): QueryNode {
  return or(...PLAIN_TEXT_FIELDS[entity].map((f) => compare(f, 'contains', text, { ignoreCase: true })));
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: readonly Token[], private readonly entity: Entity, private readonly budget: QueryBudget) {}

  parse(): QueryNode {
    const node = this.expression();
    const t = this.peek();
    if (t.type !== 'eof') {
      throw this.error(t.type === 'rparen' ? `unmatched ")" at column ${t.column}` : `expected "and", "or" or the end of the query, found ${describe(t)} at column ${t.column}`, t.column);
    }
    return node;
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const t = this.peek();
    if (this.i < this.tokens.length - 1) this.i++;
    return t;
  }

  private error(message: string, column: number): InvalidQuery {
    return new InvalidQuery(message, column);
  }

  private expression(): QueryNode {
    const left = this.primary();
    const t = this.peek();
    if (t.type !== 'and' && t.type !== 'or') return left;
    this.next();
    this.budget.node(t.column);
    if (this.peek().type === 'eof') throw this.error(`expected a condition after "${t.value}" at column ${this.peek().column}`, this.peek().column);
    const right = this.expression();
    const node = t.type === 'and' ? and(left, right) : or(left, right);
    this.budget.checkDepth(depthOf(node), t.column);
    return node;
  }

  private primary(): QueryNode {
    const t = this.peek();
    if (t.type === 'lparen') {
      this.next();
      this.budget.enter(t.column);
      const inner = this.expression();
      const close = this.next();
      if (close.type !== 'rparen') throw this.error(`expected ")" to close "(" at column ${t.column}, found ${describe(close)} at column ${close.column}`, close.column);
      this.budget.leave();
      return inner;
    }
    if (t.type === 'name') return this.comparison();
    if (t.type === 'eof') throw this.error(`expected a condition at column ${t.column}`, t.column);
    throw this.error(`expected a field name, found ${describe(t)} at column ${t.column}`, t.column);
  }

  private field(t: Token): ResolvedField {
    const allowed = ADMIN_FIELDS[this.entity];
    const name = t.value.startsWith('attribute.') ? `attributes.${t.value.slice('attribute.'.length)}` : t.value;
    const base = name.includes('.') && name.startsWith('attributes.') ? 'attributes' : name;
    const resolved = allowed.includes(base) ? resolveField(this.entity, name) : undefined;
    if (resolved) return resolved;
    if (name === 'attributes') throw this.error(`write attributes.<key> to search custom attributes, at column ${t.column}`, t.column);
    const candidates = allowed.map((f) => (f === 'attributes' ? 'attributes.' : f));
    const prefixed = candidates.find((c) => c.startsWith(`${name}.`));
    const hint = prefixed ?? suggestField(candidates, name);
    throw this.error(`unknown field "${t.value}" at column ${t.column}${hint ? ` — did you mean "${hint}"?` : ''}`, t.column);
  }

  private operator(fieldToken: Token): { op: AdminOperator; token: Token } {
    const t = this.next();
    if (t.type === 'op' || t.type === 'in' || t.type === 'startswith' || t.type === 'endswith') return { op: t.value as AdminOperator, token: t };
    if (t.type === 'not') {
      const n = this.next();
      if (n.type === 'in' || n.type === 'startswith' || n.type === 'endswith') return { op: `not ${n.value}` as AdminOperator, token: t };
      throw this.error(`expected "in", "startswith" or "endswith" after "not" at column ${n.column}`, n.column);
    }
    throw this.error(`expected an operator after "${fieldToken.value}" at column ${t.column}`, t.column);
  }

  private comparison(): QueryNode {
    const nameToken = this.next();
    this.budget.node(nameToken.column);
    const f = this.field(nameToken);
    const { op, token } = this.operator(nameToken);
    const spec = OPERATORS[op];
    const fieldName = f.path.length ? `attributes.${f.path.join('.')}` : f.def.name;
    if (!adminOperatorsFor(f.def).includes(op)) {
      throw this.error(`operator "${op}" does not apply to field "${fieldName}" (${f.def.type}) at column ${token.column}; use ${adminOperatorsFor(f.def).join(' ')}`, token.column);
    }
    let node: QueryNode;
    if (spec.op === 'in') {
      const values = this.list(op, f);
      node = inList(fieldName, values);
    } else {
      const { value, token: vt } = this.scalar(op, token);
      if (value === null) {
        if (op !== '=' && op !== '!=') throw this.error(`None can only be used with = and !=, at column ${vt.column}`, vt.column);
        node = compare(fieldName, 'eq', null);
      } else {
        if (typeof value === 'boolean' && op !== '=' && op !== '!=') throw this.error(`${vt.value} can only be used with = and !=, at column ${vt.column}`, vt.column);
        const checked = this.check(f, spec.op, value, vt);
        node = compare(fieldName, spec.op, checked, { ignoreCase: spec.ignoreCase });
      }
    }
    return spec.negated ? not(node) : node;
  }

  private check(f: ResolvedField, op: CompareOp, value: Scalar, t: Token): Scalar {
    try {
      return checkValue(f, op, value);
    } catch (e) {
      if (e instanceof InvalidQuery) throw this.error(`${e.message}, at column ${t.column}`, t.column);
      throw e;
    }
  }

  private scalar(op: string, opToken: Token): { value: Scalar; token: Token } {
    const t = this.next();
    switch (t.type) {
      case 'string': return { value: t.value, token: t };
      case 'number': return { value: Number(t.value), token: t };
      case 'true': return { value: true, token: t };
      case 'false': return { value: false, token: t };
      case 'none': return { value: null, token: t };
      default: {
        const column = t.type === 'eof' ? opToken.end : t.column;
        const spelled = t.type === 'name' ? CAPITALISED.get(t.value.toLowerCase()) : undefined;
        if (spelled) {
          throw this.error(`expected a value after "${op}" at column ${column}: write ${spelled} (True, False and None are capitalised), not ${t.value}`, column);
        }
        throw this.error(`expected a value after "${op}" at column ${column}`, column);
      }
    }
  }

  private list(op: string, f: ResolvedField): Scalar[] {
    const open = this.next();
    if (open.type !== 'lparen') throw this.error(`expected "(" and a list of values after "${op}" at column ${open.column}`, open.column);
    const values: Scalar[] = [];
    for (;;) {
      const { value, token } = this.scalar(values.length ? ',' : '(', open);
      this.budget.node(token.column);
      values.push(value === null ? null : this.check(f, 'eq', value, token));
      const sep = this.next();
      if (sep.type === 'rparen') break;
      if (sep.type !== 'comma') throw this.error(`expected "," or ")" in the list at column ${sep.column}`, sep.column);
    }
    return values;
  }
}

const CAPITALISED = new Map([['true', 'True'], ['false', 'False'], ['none', 'None'], ['null', 'None']]);

function describe(t: Token): string {
  switch (t.type) {
    case 'eof': return 'the end of the query';
    case 'string': return `the string ${JSON.stringify(t.value)}`;
    default: return `"${t.value}"`;
  }
}

export interface FieldDescription {
  readonly name: string;
  readonly type: string;
  readonly description: string;
  readonly operators: readonly AdminOperator[];
  readonly examples: readonly string[];
  readonly values?: readonly string[];
  /** Other spellings the language accepts for this field. */
  readonly aliases?: readonly string[];
}

export interface LanguageDescription {
  readonly entity: Entity;
  readonly fields: readonly FieldDescription[];
  readonly operators: readonly { readonly operator: AdminOperator; readonly description: string }[];
  readonly values: readonly { readonly syntax: string; readonly description: string }[];
  readonly combinators: readonly string[];
  /** Fields the `ordering` parameter accepts. */
  readonly ordering: readonly string[];
  readonly plain_text: string;
}

/** Fields, operators and example values of the admin language, for an auto-complete box (JSON-serialisable). */
export function describeFields(entity: Entity): LanguageDescription {
  const defs = new Map(fieldsOf(entity).map((d) => [d.name, d]));
  const fields = ADMIN_FIELDS[entity].map((name): FieldDescription => {
    const def = defs.get(name)!;
    const shown = name === 'attributes' ? 'attributes.<key>' : name;
    const examples = def.examples.map((e) => (def.type === 'json' ? `${e} = "value"` : `${shown} = ${typeof e === 'string' ? JSON.stringify(e) : e === true ? 'True' : e === false ? 'False' : String(e)}`));
    return {
      name: shown, type: def.type, description: def.description, operators: adminOperatorsFor(def), examples,
      ...(name === 'attributes' ? { aliases: ['attribute.<key>'] } : {}),
      ...(def.values ? { values: def.values } : {}),
    };
  });
  return {
    entity,
    fields,
    ordering: orderableFields(entity),
    plain_text: `text without = ~ < > ! ( ) or " searches ${PLAIN_TEXT_FIELDS[entity].join(', ')} (contains, ignoring case)`,
    operators: TEXT_OPERATORS.map((operator) => ({ operator, description: OPERATORS[operator].description })),
    values: [
      { syntax: '"text"', description: 'a double-quoted string with JSON escapes' },
      { syntax: '42, 4.2', description: 'a number' },
      { syntax: 'True, False', description: 'booleans (with = and != only)' },
      { syntax: 'None', description: 'no value (with = and != only)' },
      { syntax: '("a", "b")', description: 'a list, for in and not in' },
    ],
    combinators: ['and', 'or', '( … )'],
  };
}
