import { InvalidQuery, LimitExceeded } from '../../src/domain/errors.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import { compare, or } from '../../src/query/ast.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { parseOrdering, type Ordering } from '../../src/query/sql.js';
import { restrict, type Validated } from '../../src/query/validate.js';
import type { Services } from '../../src/services/index.js';

export interface ParsedSearch {
  readonly v: Validated | null;
  readonly ordering: Ordering | null;
  readonly error?: { message: string; column?: number | undefined };
  /** The query actually run (what Export sends too). */
  readonly query: string;
}

/**
 * The search box: the admin query language (errors carry the column), or plain text with no
 * operator, which searches the entity's name fields. The admin API's parser and validator.
 */
export function parseListSearch(services: Services, entity: Entity, text: string, orderingText: string): ParsedSearch {
  // Plain text (no operator) is the query engine's own: it searches the entity's name fields.
  const query = text.trim();
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
