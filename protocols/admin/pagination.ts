import { InvalidValue } from '../../src/domain/errors.js';
import type { QueryParam } from './routes.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 1000;

export interface PageRequest {
  readonly page: number;
  readonly pageSize: number;
  readonly limit: number;
  readonly offset: number;
}

export interface Pagination {
  count: number;
  page: number;
  page_size: number;
  /** The next page number, or null on the last page. */
  next: number | null;
}

/** The `page` / `page_size` query parameters, documented once for every list route. */
export const PAGE_PARAMS: Readonly<Record<string, QueryParam>> = {
  page: { schema: { type: 'integer', minimum: 1, default: 1 }, description: '1-based page number' },
  page_size: { schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE } },
};

function positiveInt(v: unknown, field: string, fallback: number, max: number): number {
  if (v === undefined || v === '') return fallback;
  const n = typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw InvalidValue.field(field, `must be an integer from 1 to ${max}`);
  return n;
}

/** @throws InvalidValue naming `page` or `page_size` */
export function pageRequest(query: Record<string, unknown>): PageRequest {
  const page = positiveInt(query.page, 'page', 1, 1_000_000);
  const pageSize = positiveInt(query.page_size, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  return { page, pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}

/** The list shape of DESIGN.md: `{results, pagination: {count, page, page_size, next}}`. */
export function paged<T>(results: T[], count: number, p: PageRequest): { results: T[]; pagination: Pagination } {
  return {
    results,
    pagination: { count, page: p.page, page_size: p.pageSize, next: p.offset + results.length < count ? p.page + 1 : null },
  };
}

/** Pages a list that is already in memory (a user's sessions, tokens, roles). */
export function pagedInMemory<T>(all: readonly T[], p: PageRequest): { results: T[]; pagination: Pagination } {
  return paged(all.slice(p.offset, p.offset + p.limit), all.length, p);
}

/** A string query parameter; repeated or non-string values are refused. @throws InvalidValue */
export function stringParam(query: Record<string, unknown>, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw InvalidValue.field(name, 'must be given once, as a string');
  return v;
}

/** `true`/`false` (also 1/0) query parameter. @throws InvalidValue */
export function boolParam(query: Record<string, unknown>, name: string): boolean | undefined {
  const v = stringParam(query, name);
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw InvalidValue.field(name, 'must be true or false');
}
