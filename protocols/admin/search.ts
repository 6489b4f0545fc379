import { InvalidQuery, InvalidValue } from '../../src/domain/errors.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { orderableFields } from '../../src/query/ordering.js';
import { parseOrdering, type Ordering } from '../../src/query/sql.js';
import type { Validated } from '../../src/query/validate.js';
import type { Services } from '../../src/services/index.js';
import { stringParam } from './pagination.js';
import type { QueryParam } from './routes.js';

const ORDERING_EXAMPLE: Readonly<Record<Entity, string>> = { users: '-last_login,username', groups: '-created_at,name' };

/** `search` and `ordering` query parameters, documented once for both searchable lists. */
export function searchParams(entity: Entity): Readonly<Record<string, QueryParam>> {
  return {
    search: { schema: { type: 'string' }, description: `the query language over ${entity} fields (see /search/fields?entity=${entity})` },
    ordering: {
      schema: { type: 'string' },
      description: `comma-separated fields, "-" for descending, e.g. ${ORDERING_EXAMPLE[entity]}; one of ${orderableFields(entity).join(', ')}`,
    },
  };
}

/**
 * The `search` text as a validated query (InvalidQuery → 400 with message and column) and
 * the `ordering` (an unknown field → 400 naming `ordering`).
 */
export function parseSearch(services: Services, query: Record<string, unknown>, entity: Entity): { v: Validated; ordering: Ordering } {
  const v = parseAdminQuery(stringParam(query, 'search') ?? '', entity, services.config.query);
  let ordering: Ordering;
  try {
    ordering = parseOrdering(stringParam(query, 'ordering') ?? '', entity);
  } catch (e) {
    if (e instanceof InvalidQuery) throw new InvalidValue(e.message, { ordering: e.message });
    throw e;
  }
  return { v, ordering };
}
