/**
 * The query parameters of a list or `.search` (RFC 7644 §3.4.2): filter, startIndex (1-based),
 * count (capped at `scim.max_results`), sortBy / sortOrder, attributes / excludedAttributes.
 */
import type { Config } from '../../src/config.js';
import { scimSortNames, type Entity } from '../../src/domain/catalogue.js';
import { parseOrdering, type Ordering } from '../../src/query/ordering.js';
import { isObject, type Json } from './canonical.js';
import { badRequest } from './errors.js';
import { parseProjection, type Projection } from './projection.js';
import { GROUP_SCHEMA, SEARCH_SCHEMA, USER_SCHEMA, type ResourceTypeDef } from './schemas.js';

export interface ListParams {
  readonly filter?: string;
  /** 0-based offset (startIndex - 1). */
  readonly offset: number;
  readonly startIndex: number;
  readonly count: number;
  readonly sortBy?: string;
  readonly descending: boolean;
  readonly projection: Projection;
}

function first(v: unknown): unknown {
  return Array.isArray(v) ? v[0] : v;
}

function integer(v: unknown, name: string): number | undefined {
  const x = first(v);
  if (x === undefined || x === null || x === '') return undefined;
  const n = typeof x === 'number' ? x : typeof x === 'string' && /^\s*[+-]?\d+\s*$/.test(x) ? Number(x) : NaN;
  if (!Number.isSafeInteger(n)) throw badRequest('invalidValue', `${name} must be an integer`);
  return n;
}

/**
 * Reads list parameters from a query string (GET) or a SearchRequest body (POST .search).
 * @throws ScimError 400 invalidValue / invalidSyntax
 */
export function listParams(source: Json, config: Config, type: ResourceTypeDef | undefined, isSearchBody = false): ListParams {
  if (isSearchBody && source.schemas !== undefined) {
    const ok = Array.isArray(source.schemas) && source.schemas.some((s) => typeof s === 'string' && s.toLowerCase() === SEARCH_SCHEMA.toLowerCase());
    if (!ok) throw badRequest('invalidSyntax', `schemas must contain ${SEARCH_SCHEMA}`);
  }
  const get = (name: string) => source[Object.keys(source).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name];
  const filter = first(get('filter'));
  if (filter !== undefined && typeof filter !== 'string') throw badRequest('invalidFilter', 'filter must be a string');
  const startIndex = Math.max(1, integer(get('startIndex'), 'startIndex') ?? 1);
  // RFC 7644 §3.4.2.4: a negative count is 0; more than the maximum returns the maximum.
  const count = Math.min(config.scim.maxResults, Math.max(0, integer(get('count'), 'count') ?? config.scim.maxResults));
  const sortBy = first(get('sortBy'));
  if (sortBy !== undefined && typeof sortBy !== 'string') throw badRequest('invalidValue', 'sortBy must be a string');
  const order = first(get('sortOrder'));
  if (order !== undefined && (typeof order !== 'string' || !/^(ascending|descending)$/i.test(order))) {
    throw badRequest('invalidValue', 'sortOrder must be ascending or descending');
  }
  const projection = type ? parseProjection(get('attributes'), get('excludedAttributes'), type) : {};
  return {
    ...(filter !== undefined && filter.trim() !== '' ? { filter } : {}),
    offset: startIndex - 1, startIndex, count,
    ...(sortBy !== undefined && sortBy !== '' ? { sortBy } : {}),
    descending: typeof order === 'string' && order.toLowerCase() === 'descending',
    projection,
  };
}

/** SCIM `sortBy` name (lowercase) → catalogue field: the SCIM names of orderable fields. */
const SORTABLE: Readonly<Record<Entity, Readonly<Record<string, string>>>> = {
  users: Object.fromEntries([...scimSortNames('users')].map(([n, f]) => [n, f.name])),
  groups: Object.fromEntries([...scimSortNames('groups')].map(([n, f]) => [n, f.name])),
};

/**
 * The store ordering for `sortBy` (stable: the store always ends it with a unique key).
 * @throws ScimError 400 invalidValue for an attribute we cannot sort by.
 */
export function orderingFor(params: ListParams, entity: Entity): Ordering | undefined {
  if (!params.sortBy) return undefined;
  const core = (entity === 'users' ? USER_SCHEMA : GROUP_SCHEMA).toLowerCase();
  let name = params.sortBy.toLowerCase();
  if (name.startsWith(`${core}:`)) name = name.slice(core.length + 1);
  const field = Object.prototype.hasOwnProperty.call(SORTABLE[entity], name) ? SORTABLE[entity][name] : undefined;
  if (!field) {
    throw badRequest('invalidValue', `cannot sort ${entity === 'users' ? 'Users' : 'Groups'} by "${params.sortBy}"; use one of ${Object.keys(SORTABLE[entity]).join(', ')}`);
  }
  return parseOrdering(`${params.descending ? '-' : ''}${field}`, entity);
}

/** The body of a `.search` request must be an object. @throws ScimError */
export function searchBody(body: unknown): Json {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a SearchRequest object');
  return body;
}
