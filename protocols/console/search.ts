import { InvalidQuery, LimitExceeded } from '../../src/domain/errors.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import { compare, or } from '../../src/query/ast.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { parseOrdering, type Ordering } from '../../src/query/sql.js';
import { restrict, type Validated } from '../../src/query/validate.js';
import type { Services } from '../../src/services/index.js';

/** Text with none of the language's operators, quotes or brackets: a plain search. */
const PLAIN = /^[^"=!~<>()]*$/;
const KEYWORDS = /\b(and|or|in|startswith|endswith|not)\b/i;

/** Fields a plain-text search looks in, per entity. */
const PLAIN_FIELDS: Record<Entity, readonly string[]> = { users: ['username', 'name', 'email'], groups: ['name'] };

export interface ParsedSearch {
  readonly v: Validated | null;
  readonly ordering: Ordering | null;
  readonly error?: { message: string; column?: number | undefined };
  /** The query actually run (plain text shown as the query it became, for export). */
  readonly query: string;
}

/** A plain text as the query language: `username ~ "t" or name ~ "t" or email ~ "t"`. */
export function plainQuery(text: string, entity: Entity): string {
  return PLAIN_FIELDS[entity].map((f) => `${f} ~ ${JSON.stringify(text.trim())}`).join(' or ');
}

export function isPlainText(text: string): boolean {
  return text.trim() !== '' && PLAIN.test(text) && !KEYWORDS.test(text) && !text.includes('.');
}

/**
 * The search box: the admin query language (errors carry the column), or plain text with no
 * operator, which searches the entity's name fields. The admin API's parser and validator.
 */
export function parseListSearch(services: Services, entity: Entity, text: string, orderingText: string): ParsedSearch {
  let query = text.trim();
  if (isPlainText(query)) query = plainQuery(query, entity);
  let ordering: Ordering;
  try {
    ordering = parseOrdering(orderingText, entity);
  } catch (e) {
    if (e instanceof InvalidQuery) return { v: null, ordering: null, query, error: { message: `ordering: ${e.message}` } };
    throw e;
  }
  try {
    return { v: parseAdminQuery(query, entity, services.config.query), ordering, query };
  } catch (e) {
    if (e instanceof InvalidQuery || e instanceof LimitExceeded) {
      return { v: null, ordering, query, error: { message: e.message, column: e.position } };
    }
    throw e;
  }
}

/** Users in one folder (and, with `subfolders`, below it). */
export function inFolder(v: Validated, path: string, subfolders: boolean): Validated {
  return subfolders
    ? restrict(v, or(compare('path', 'eq', path), compare('path', 'startswith', `${path}/`)))
    : restrict(v, compare('path', 'eq', path));
}

export function activeOnly(v: Validated): Validated {
  return restrict(v, compare('is_active', 'eq', true));
}
