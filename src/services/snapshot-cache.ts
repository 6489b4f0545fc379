/**
 * What was read while the database was at one snapshot (DirectoryService.snapshot: SQLite's
 * change counter, moved by every commit but bind events and last_login (src/store/change-counter.ts);
 * PostgreSQL's `pg_current_snapshot()`), kept for as long as it stays there: the first lookup
 * under another snapshot drops everything at once, since such a commit may have changed any of
 * it. Callers read the snapshot BEFORE the reads they keep, so nothing kept
 * is older than the snapshot it is kept under. Bounded by count and bytes, least recently used
 * first out. One per process: the LDAP door's search answers, the SCIM door's answers, the bind
 * path's principals.
 */
/**
 * Passes what one worker process kept to the other workers of its instance (src/supervisor.ts),
 * each entry under the snapshot it was read at: a snapshot text names the same database state in
 * every process (SQLite's change counter, PostgreSQL's snapshot; a text only one process can
 * read, such as SQLite's fallback, never matches another's).
 */
export interface SnapshotShare {
  publish(snapshot: string, key: string, value: readonly string[]): void;
  subscribe(adopt: (snapshot: string, key: string, value: readonly string[]) => void): void;
}

export interface SnapshotCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export class SnapshotCache<V> {
  private entries = new Map<string, { readonly value: V; readonly bytes: number }>();
  private snapshot: string | null = null;
  private bytes = 0;
  /** Entries adopted for a snapshot this cache is not at yet (see adopt). */
  private aside: { readonly snapshot: string; readonly entries: Map<string, { readonly value: V; readonly bytes: number }> } | null = null;

  constructor(
    private readonly limits: SnapshotCacheLimits,
    /** Told of each entry dropped one by one (replaced or evicted), not of a drop of all. */
    private readonly onDrop: (key: string, value: V) => void = () => undefined,
    /** Told when everything is dropped for a new snapshot. */
    private readonly onClear: () => void = () => undefined,
  ) {}

  /** The value kept under `key` if it was kept under `snapshot`; undefined otherwise (or when `snapshot` is null). */
  get(snapshot: string | null, key: string): V | undefined {
    if (snapshot === null) return undefined;
    if (snapshot !== this.snapshot) this.clear(snapshot); // leaves only what was adopted for it
    const e = this.entries.get(key);
    if (!e) return undefined;
    this.entries.delete(key); // most recently used last
    this.entries.set(key, e);
    return e.value;
  }

  /** Keeps `value` (about `bytes` of memory) under `key`, read at `snapshot` or later; nothing when `snapshot` is null. */
  set(snapshot: string | null, key: string, value: V, bytes = 0): void {
    if (snapshot === null) return;
    if (snapshot !== this.snapshot) this.clear(snapshot);
    if (this.entries.has(key)) this.drop(key);
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    while (this.entries.size > this.limits.maxEntries || this.bytes > this.limits.maxBytes) {
      this.drop(this.entries.keys().next().value as string);
    }
  }

  /**
   * An entry another process read at `snapshot`: kept as set() does while this cache is at that
   * snapshot; otherwise held aside (up to a tenth of the entry limit, for one snapshot: the last
   * one heard of) and kept once a lookup here reaches that snapshot — another process may simply
   * have seen the database's last change first. It never moves this cache to another snapshot.
   */
  adopt(snapshot: string, key: string, value: V, bytes = 0): void {
    if (snapshot === this.snapshot) {
      if (!this.entries.has(key)) this.set(snapshot, key, value, bytes);
      return;
    }
    if (this.aside?.snapshot !== snapshot) this.aside = { snapshot, entries: new Map() };
    if (this.aside.entries.size < Math.ceil(this.limits.maxEntries / 10)) this.aside.entries.set(key, { value, bytes });
  }

  get size(): number {
    return this.entries.size;
  }

  private drop(key: string): void {
    const e = this.entries.get(key)!;
    this.entries.delete(key);
    this.bytes -= e.bytes;
    this.onDrop(key, e.value);
  }

  private clear(snapshot: string): void {
    if (this.entries.size > 0) {
      this.entries = new Map();
      this.onClear();
    }
    this.bytes = 0;
    this.snapshot = snapshot;
    const aside = this.aside;
    if (aside?.snapshot === snapshot) {
      this.aside = null;
      for (const [key, e] of aside.entries) this.set(snapshot, key, e.value, e.bytes);
    }
  }
}
