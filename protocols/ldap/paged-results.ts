/**
 * Simple Paged Results (RFC 2696, 1.2.840.113556.1.4.319). Cookies are opaque random tokens
 * naming server-side state kept per connection: where the keyset scan stopped (the ordering
 * key columns of the last row sent, never the rows), which phase of the search it was in, and a
 * fingerprint of the search, so a cookie only continues the search that issued it, on the
 * connection that issued it. Each cookie works once; a bounded number live per connection.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BerReader, BerWriter } from './ber.js';
import { CONTROL } from './root-dse.js';
import type { ResponseControl } from './responses.js';

export interface PagedRequest {
  readonly size: number;
  readonly cookie: Buffer;
}

/** A keyset position: the ordering key columns of the last row sent. */
export type KeysetPosition = Readonly<Record<string, unknown>>;

/** Per part of a merged (sorted) phase: the last row taken, null (from the start) or 'done'. */
export type MergePositions = readonly (KeysetPosition | null | 'done')[];

/** Where a phase of a search continues. */
export type PhasePosition =
  | { readonly kind: 'rows'; readonly after: KeysetPosition | null }
  | { readonly kind: 'merged'; readonly parts: MergePositions };

/** Where a paged search continues. */
export interface PageState {
  readonly fingerprint: string;
  /** Index into the search's phases. */
  readonly phase: number;
  /** Position inside that phase; null from its start. */
  readonly at: PhasePosition | null;
  /** Entries sent by earlier pages (for the client's sizeLimit). */
  readonly sent: number;
}

/** @throws BerError when the control value is malformed. */
export function decodePagedControl(value: Buffer | null): PagedRequest {
  if (!value) return { size: 0, cookie: Buffer.alloc(0) };
  const r = new BerReader(value).readSequence();
  const size = r.readInt();
  const cookie = r.readBuffer();
  return { size: Math.max(0, size), cookie };
}

export function pagedResponse(cookie: Buffer): ResponseControl {
  const w = new BerWriter(64);
  w.startSequence();
  w.writeInt(0); // size: estimate unknown (RFC 2696 allows 0)
  w.writeBuffer(cookie);
  w.endSequence();
  return { oid: CONTROL.PAGED_RESULTS, value: Buffer.from(w.toBuffer()) };
}

/** Identifies a search so a cookie cannot be replayed on a different one. */
export function searchFingerprint(parts: readonly (string | number | boolean | Buffer)[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(Buffer.isBuffer(p) ? p : String(p)).update('\0');
  return h.digest('base64');
}

/** Per-connection cookie → state store. */
export class PageStates {
  private readonly states = new Map<string, PageState>();
  constructor(private readonly max = 16) {}

  /** Stores a state and returns its new cookie. */
  issue(state: PageState): Buffer {
    const cookie = randomBytes(16);
    const key = cookie.toString('hex');
    if (this.states.size >= this.max) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
    this.states.set(key, state);
    return cookie;
  }

  /** Takes (and forgets) the state of a cookie; undefined when unknown. */
  take(cookie: Buffer): PageState | undefined {
    const key = cookie.toString('hex');
    const s = this.states.get(key);
    this.states.delete(key);
    return s;
  }

  clear(): void {
    this.states.clear();
  }
}
