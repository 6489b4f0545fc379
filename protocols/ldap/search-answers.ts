/**
 * Answers to repeated searches, kept while the database is unchanged: the entries a plain
 * search sent (no controls, a small result that ended normally), under the bound identity and
 * the request's bytes, valid only for the database snapshot they were read in.
 *
 * The directory service's `snapshot()` is a text that changes whenever anything that could
 * change an answer commits to the database from any connection of any process or instance
 * (SQLite's change counter, src/store/change-counter.ts: every commit but the batched bind events
 * and last_login, read when `data_version` moves, one pragma otherwise; PostgreSQL's
 * `pg_current_snapshot()`, one short round trip shared by concurrent searches); it is read
 * before the search runs, so what is kept is never older than the snapshot it is kept under. Any write anywhere — an entry, a membership, a role, the bound user's own row — gives
 * the next search a new snapshot, and every kept answer is dropped at once. So a hit sends what
 * the same search would read from the database now, including the check that the bound user
 * may still act (the kept answer was read with that check, in a database that has not changed
 * since). Where the store cannot tell (`:memory:`) nothing is kept.
 *
 * On PostgreSQL a search whose answer is not kept pays one extra short round trip for the
 * snapshot; any write anywhere in the PostgreSQL cluster (other databases, bind events too) drops
 * the kept answers, so under a steady write load they are rarely used. On SQLite binds elsewhere
 * leave them in place.
 *
 * Bounded per process by count and bytes, least recently used first out (src/services/snapshot-cache.ts).
 */
import { SnapshotCache } from '../../src/services/snapshot-cache.js';
import { ldapSearchAnswers } from '../metrics.js';
import { BerReader, BerWriter, TAG } from './ber.js';
import type { SearchRequest } from './messages.js';

/** Entries one kept answer may hold (lookups of one user or group, and misses, are the point). */
export const MAX_ANSWER_ENTRIES = 8;
const MAX_ANSWERS = 20_000;
const MAX_BYTES = 32 * 1024 * 1024;

/** A search's cache key: who asks and exactly what. */
export function answerKey(viewer: { readonly id: string; readonly username: string; readonly fullAccess: boolean }, req: SearchRequest): string {
  return `${viewer.id}\0${viewer.username}\0${viewer.fullAccess ? 1 : 0}\0${req.raw.toString('latin1')}`;
}

export class SearchAnswers {
  /** Each entry's protocolOp (SearchResultEntry), without its message envelope. */
  private readonly answers = new SnapshotCache<readonly Buffer[]>({ maxEntries: MAX_ANSWERS, maxBytes: MAX_BYTES });

  /** The kept entries of `key` as messages with `messageId`, if kept under `snapshot`; else null. */
  find(snapshot: string | null, key: string, messageId: number): Buffer[] | null {
    if (snapshot === null) return null;
    const ops = this.answers.get(snapshot, key);
    ldapSearchAnswers.inc({ result: ops ? 'hit' : 'miss' });
    return ops ? ops.map((op) => withMessageId(messageId, op)) : null;
  }

  /** Keeps the entries `messages` (as sent) under `key`, read in `snapshot` or later. */
  keep(snapshot: string | null, key: string, messages: readonly Buffer[]): void {
    if (snapshot === null || messages.length > MAX_ANSWER_ENTRIES) return;
    const ops = messages.map(protocolOp);
    this.answers.set(snapshot, key, ops, key.length + ops.reduce((n, b) => n + b.length, 0));
  }

  get size(): number {
    return this.answers.size;
  }
}

/** The protocolOp of an LDAPMessage (its own copy: the message buffer may be reused). */
function protocolOp(message: Buffer): Buffer {
  const outer = new BerReader(message).readSequence(TAG.SEQUENCE);
  outer.readInt();
  return Buffer.from(message.subarray(outer.pos, outer.end));
}

/** An LDAPMessage of `op` under `messageId` (no controls). */
function withMessageId(messageId: number, op: Buffer): Buffer {
  const w = new BerWriter(16);
  w.writeInt(messageId);
  const id = w.toBuffer();
  const length = id.length + op.length;
  const header = length < 0x80 ? [TAG.SEQUENCE, length]
    : length < 0x100 ? [TAG.SEQUENCE, 0x81, length]
    : length < 0x10000 ? [TAG.SEQUENCE, 0x82, length >> 8, length & 0xff]
    : [TAG.SEQUENCE, 0x83, length >> 16, (length >> 8) & 0xff, length & 0xff];
  const out = Buffer.allocUnsafe(header.length + length);
  out.set(header, 0);
  id.copy(out, header.length);
  op.copy(out, header.length + id.length);
  return out;
}
