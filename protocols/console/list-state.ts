/** A list's state, held in the URL (so back, forward and reload keep it). */
export interface ListState {
  readonly page: number;
  readonly pageSize: number;
  readonly search: string;
  readonly ordering: string;
  /** Page-specific parameters kept across paging and sorting (folder, show deactivated…). */
  readonly extra: Readonly<Record<string, string>>;
}

export const PAGE_SIZES = [10, 20, 50, 100] as const;
export const DEFAULT_PAGE_SIZE = 20;

function intParam(v: unknown, fallback: number, max: number): number {
  if (typeof v !== 'string' || !/^\d{1,7}$/.test(v)) return fallback;
  const n = Number(v);
  return n >= 1 && n <= max ? n : fallback;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Reads the state; junk in page or page size falls back to the first page / default size. */
export function listState(query: Record<string, unknown>, extraKeys: readonly string[], defaultOrdering = ''): ListState {
  const extra: Record<string, string> = {};
  for (const k of extraKeys) if (str(query[k]) !== '') extra[k] = str(query[k]);
  return {
    page: intParam(query.page, 1, 1_000_000),
    pageSize: intParam(query.page_size, DEFAULT_PAGE_SIZE, 1000),
    search: str(query.search),
    ordering: str(query.ordering) || defaultOrdering,
    extra,
  };
}

/** The URL of `base` with the state, changed by `changes` (an empty string drops a key). */
export function listUrl(base: string, s: ListState, changes: Partial<Record<string, string | number>> = {}): string {
  const all: Record<string, string> = {
    ...s.extra,
    search: s.search,
    ordering: s.ordering,
    page: String(s.page),
    page_size: String(s.pageSize),
  };
  for (const [k, v] of Object.entries(changes)) all[k] = v === undefined ? '' : String(v);
  if (all.page === '1') all.page = '';
  if (all.page_size === String(DEFAULT_PAGE_SIZE)) all.page_size = '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(all)) if (v !== '') q.set(k, v);
  const text = q.toString();
  return text ? `${base}?${text}` : base;
}

export function lastPage(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / pageSize));
}

/** Ordering after clicking a column: ascending first, then descending, by that column alone. */
export function toggledOrdering(current: string, field: string): string {
  const first = current.split(',')[0] ?? '';
  return first === field ? `-${field}` : field;
}

export function sortDirection(current: string, field: string): 'ascending' | 'descending' | undefined {
  const first = current.split(',')[0] ?? '';
  if (first === field) return 'ascending';
  if (first === `-${field}`) return 'descending';
  return undefined;
}
