/**
 * A sorted search over several parts (users, groups, the fixed entries) as one ordering
 * (RFC 2891): a k-way merge of each part's keyset stream, every part sorted by the same keys in
 * SQL. Entries lacking a key's attribute sort after those having it (before them when
 * reversed), as the SQL orderings put NULLs. Texts compare as the database orders them
 * (`TextOrder`). No database and no socket here: parts are fetch functions, entries go to `send`.
 */
import { compareCodePoints } from '../../src/query/sql-text.js';
import type { KeysetPosition, MergePositions } from './paged-results.js';

/** One entry of a merged search, with what orders it. */
export interface MergeItem {
  /** The sort keys' values; null where the entry lacks the attribute. */
  readonly values: readonly (string | null)[];
  /** Tiebreak inside the part (seq for rows; fixed parts hold one entry). */
  readonly seq: number;
  /** Keyset position of a row; null for a fixed entry. */
  readonly key: KeysetPosition | null;
  encode(): Buffer;
}

export type MergeSource =
  /** An entry outside the tables (the base, ou=users, ou=groups); null when the filter excludes it. */
  | { readonly kind: 'fixed'; readonly item: MergeItem | null }
  /** Up to `limit` rows after `after` (null: from the start), sorted by the merge's keys. */
  | { readonly kind: 'rows'; fetch(after: KeysetPosition | null, limit: number): Promise<MergeItem[]> };

/** How the database orders texts. */
export interface TextOrder {
  /** Called with the values buffered after each fetch, before they are compared. */
  rank(values: ReadonlySet<string>): Promise<void>;
  compare(a: string, b: string): number;
}

/** Byte order of UTF-8 (SQLite's BINARY; PostgreSQL's C collations). */
export const CODEPOINT_ORDER: TextOrder = { rank: async () => undefined, compare: compareCodePoints };

/** A linguistic collation only the database can apply: `sort` ranks the values it is given. */
export function rankedOrder(sort: (values: readonly string[]) => Promise<string[]>): TextOrder {
  let ranks = new Map<string, number>();
  return {
    async rank(values) {
      ranks = new Map((await sort([...values])).map((t, i) => [t, i]));
    },
    compare(a, b) {
      const ra = ranks.get(a), rb = ranks.get(b);
      return ra !== undefined && rb !== undefined ? ra - rb : compareCodePoints(a, b);
    },
  };
}

export interface MergeRequest {
  readonly sources: readonly MergeSource[];
  /** Where each source continues (a page's cookie), or all null from the start. */
  readonly positions: MergePositions;
  /** Per sort key, whether it is reversed. */
  readonly keys: readonly { readonly reverse: boolean }[];
  /** Entries to send at most. */
  readonly budget: number;
  readonly texts: TextOrder;
  send(entries: Buffer[]): Promise<void>;
  isAbandoned(): boolean;
  pastDeadline(): boolean;
  /** Rows per fetch and entries per send (250). */
  readonly batch?: number;
}

export type MergeOutcome =
  /** Everything was sent. */
  | { readonly kind: 'end'; readonly sent: number }
  /** The budget is spent and entries remain: continue from `positions`. */
  | { readonly kind: 'full'; readonly sent: number; readonly positions: MergePositions }
  | { readonly kind: 'time'; readonly sent: number }
  | { readonly kind: 'abandoned' };

/** Where one source stands. */
class Cursor {
  private items: MergeItem[] = [];
  private at = 0;
  /** No rows beyond `items`. */
  private exhausted: boolean;
  /** Position of the last row taken (where the next page continues). */
  private taken: KeysetPosition | null;
  /** Position of the last row fetched (where the next fetch continues). */
  private fetched: KeysetPosition | null;

  constructor(private readonly source: MergeSource, readonly index: number, position: KeysetPosition | null | 'done') {
    this.exhausted = position === 'done' || source.kind === 'fixed';
    this.taken = position === 'done' ? null : position;
    this.fetched = this.taken;
    if (source.kind === 'fixed' && position !== 'done' && source.item) this.items = [source.item];
  }

  get head(): MergeItem | undefined {
    return this.items[this.at];
  }

  get needsFetch(): boolean {
    return this.at >= this.items.length && !this.exhausted;
  }

  async fetch(limit: number): Promise<void> {
    if (this.source.kind !== 'rows') { this.exhausted = true; return; }
    this.items = await this.source.fetch(this.fetched, limit);
    this.at = 0;
    this.exhausted = this.items.length < limit;
    if (this.items.length) this.fetched = this.items[this.items.length - 1]!.key;
  }

  buffered(into: Set<string>): void {
    for (let i = this.at; i < this.items.length; i++) for (const v of this.items[i]!.values) if (v !== null) into.add(v);
  }

  take(): MergeItem {
    const item = this.items[this.at++]!;
    if (item.key) this.taken = item.key;
    else this.exhausted = true;
    return item;
  }

  get position(): KeysetPosition | null | 'done' {
    return this.exhausted && this.at >= this.items.length ? 'done' : this.taken;
  }
}

/** Whether `a` (from source `ai`) sorts before `b` (from `bi`). */
function before(keys: MergeRequest['keys'], texts: TextOrder, a: MergeItem, ai: number, b: MergeItem, bi: number): boolean {
  for (let k = 0; k < keys.length; k++) {
    const x = a.values[k] ?? null, y = b.values[k] ?? null;
    if (x === y) continue;
    // Absent values sort last (NULLS LAST ascending, NULLS FIRST descending, as in SQL).
    const c = x === null ? 1 : y === null ? -1 : texts.compare(x, y);
    if (c !== 0) return (keys[k]!.reverse ? -c : c) < 0;
  }
  return ai !== bi ? ai < bi : a.seq < b.seq;
}

/**
 * Sends at most `budget` entries in merged order, then looks ahead: 'end' when nothing follows
 * (so the last page carries the empty cookie), else 'full' with the positions to continue from.
 */
export async function mergeSorted(r: MergeRequest): Promise<MergeOutcome> {
  const batch = r.batch ?? 250;
  const cursors = r.sources.map((s, i) => new Cursor(s, i, r.positions[i] ?? null));
  let sent = 0;
  let pending: Buffer[] = [];
  const flush = async (): Promise<boolean> => {
    if (pending.length) {
      const out = pending;
      pending = [];
      await r.send(out);
      sent += out.length;
    }
    return !r.isAbandoned();
  };
  for (;;) {
    // Fetch for every empty cursor first: a ranked text order must cover every head.
    let fetched = false;
    for (const c of cursors) {
      if (c.needsFetch) {
        await c.fetch(Math.max(1, Math.min(r.budget - sent - pending.length + 1, batch)));
        fetched = true;
      }
    }
    if (fetched) {
      const values = new Set<string>();
      for (const c of cursors) c.buffered(values);
      await r.texts.rank(values);
    }
    if (r.isAbandoned()) return { kind: 'abandoned' };
    let best: Cursor | undefined;
    for (const c of cursors) {
      const it = c.head;
      if (it && (!best || before(r.keys, r.texts, it, c.index, best.head!, best.index))) best = c;
    }
    if (!best) return (await flush()) ? { kind: 'end', sent } : { kind: 'abandoned' };
    if (sent + pending.length >= r.budget) {
      return (await flush()) ? { kind: 'full', sent, positions: cursors.map((c) => c.position) } : { kind: 'abandoned' };
    }
    pending.push(best.take().encode());
    if (pending.length >= batch) {
      if (!(await flush())) return { kind: 'abandoned' };
      if (r.pastDeadline()) return { kind: 'time', sent };
    }
  }
}
