/**
 * Answers to repeated SCIM reads, kept while the database is unchanged: the serialised body of
 * a `200` to `GET /Users`, `/Users/{id}`, `/Groups`, `/Groups/{id}`, under the bearer that asked
 * (its session or token, its user, the impersonator), the base URL and exactly the request
 * (path with its query string, `If-None-Match`), valid only for the database snapshot it was
 * read in.
 *
 * The directory service's `snapshot()` changes whenever anything that could change an answer
 * commits to the database from any connection of any process or instance (SQLite's change
 * counter: every commit but bind events and last_login, src/store/change-counter.ts; PostgreSQL's
 * `pg_current_snapshot()`, one short round trip, changed by a commit anywhere in the cluster); the
 * SCIM door reads it first, before the bearer is looked up and before the read runs, so what is
 * kept is never older than the snapshot it is kept under. Any write anywhere gives the next
 * request a new snapshot and every kept answer is dropped at once. Authentication and the
 * permission are still checked on every request before an answer is looked up (expiry,
 * impersonation and `last_used_at` included; the bearer's row itself is kept by AuthService under
 * the same snapshot): a hit only saves reading and shaping what the same request read from the
 * same database. Where the store cannot tell (`:memory:`) nothing is kept.
 *
 * Bounded per process by count and bytes, least recently used first out (src/services/snapshot-cache.ts).
 */
import { SnapshotCache } from '../../src/services/snapshot-cache.js';
import { scimAnswers } from '../metrics.js';

/** Bodies larger than this are not kept (a group with all its members). */
const MAX_ANSWER_BYTES = 64 * 1024;
const MAX_ANSWERS = 20_000;
const MAX_BYTES = 32 * 1024 * 1024;

/** A kept `200`: the JSON text as sent and the headers that go with it. */
export interface KeptAnswer {
  readonly body: string;
  readonly etag?: string;
}

/** Who asked, as the key needs it: the bearer's kind and id, its user, the impersonator. */
export interface AnswerAsker {
  readonly bearer: string;
  readonly userId: string;
  readonly impersonatorId: string | null;
}

/** A request's cache key: who asks, through which base URL, and exactly what. */
export function answerKey(asker: AnswerAsker, request: string): string {
  return `${asker.bearer}\0${asker.userId}\0${asker.impersonatorId ?? ''}\0${request}`;
}

const hits = scimAnswers.labels('hit');
const misses = scimAnswers.labels('miss');

/** The part of `answerKey` that names the request (not who asks). */
export function requestKey(base: string, url: string, ifNoneMatch: string | undefined): string {
  return `${base}\0${url}\0${ifNoneMatch ?? ''}`;
}

export class KeptAnswers {
  private readonly answers = new SnapshotCache<KeptAnswer & { readonly request: string }>(
    { maxEntries: MAX_ANSWERS, maxBytes: MAX_BYTES },
    (_key, a) => this.forget(a.request),
    () => this.requests.clear(),
  );
  /** How many kept answers each request has (whoever asked): `knows`. */
  private readonly requests = new Map<string, number>();

  /** Whether an answer to this request is kept for anyone, under whatever snapshot (a hint: no check of the database). */
  knows(request: string): boolean {
    return this.requests.has(request);
  }

  /** The answer kept under `key`, if kept under `snapshot`; else null (counted as a miss). */
  find(snapshot: string | null, key: string): KeptAnswer | null {
    if (snapshot === null) return null;
    const a = this.answers.get(snapshot, key);
    (a ? hits : misses).inc();
    return a ?? null;
  }

  /** Keeps `answer` under `key`, read in `snapshot` or later. */
  keep(snapshot: string | null, key: string, request: string, answer: KeptAnswer): void {
    if (snapshot === null || answer.body.length > MAX_ANSWER_BYTES) return;
    this.answers.set(snapshot, key, { ...answer, request }, 2 * (key.length + answer.body.length) + 64);
    this.requests.set(request, (this.requests.get(request) ?? 0) + 1);
  }

  get size(): number {
    return this.answers.size;
  }

  private forget(request: string): void {
    const n = (this.requests.get(request) ?? 1) - 1;
    if (n > 0) this.requests.set(request, n);
    else this.requests.delete(request);
  }
}
