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
export interface SnapshotCacheLimits {
  readonly maxEntries: number;
  readonly maxBytes: number;
}

export class SnapshotCache<V> {
  private entries = new Map<string, { readonly value: V; readonly bytes: number }>();
  private snapshot: string | null = null;
  private bytes = 0;

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
    if (snapshot !== this.snapshot) {
      this.clear(snapshot);
      return undefined;
    }
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
  }
}
