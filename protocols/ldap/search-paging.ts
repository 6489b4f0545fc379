/**
 * The paging arithmetic of a search (RFC 2696 with the client's sizeLimit, RFC 4511 §4.5.1.4,
 * and the server's `ldap.size_limit`): how many entries one response may carry, where it
 * starts, and how a full response ends — with a cookie for the next page, or sizeLimitExceeded.
 * Pure: the cookies themselves live in paged-results.ts's per-connection store.
 */
import type { PagedRequest, PageState, PhasePosition } from './paged-results.js';

/** Where a response starts or stops: a phase of the search and a position inside it. */
export interface SearchPoint {
  readonly phase: number;
  /** Null: at the phase's start. */
  readonly at: PhasePosition | null;
}

/** What one response of a search may send. */
export interface SearchWindow {
  /** Entries this response may carry. */
  readonly budget: number;
  /** Entries the earlier pages of this search sent. */
  readonly sentBefore: number;
  /** Whether the budget ends at the client's or server's size limit (then no further page follows). */
  readonly endsAtSizeLimit: boolean;
  readonly paged: boolean;
  readonly start: SearchPoint;
}

export type WindowOpening =
  | { readonly kind: 'window'; readonly window: SearchWindow }
  /** The cookie is unknown, already used, or from another search. */
  | { readonly kind: 'invalidCookie' }
  /** RFC 2696 §3: a page size of 0 abandons the paged search. */
  | { readonly kind: 'pagingAbandoned' };

export interface WindowRequest {
  /** The paged results control, or null. */
  readonly paged: PagedRequest | null;
  /** The state the control's cookie named (already taken from the store), if any. */
  readonly state: PageState | undefined;
  /** This search's fingerprint (a cookie continues only the search that issued it). */
  readonly fingerprint: string;
  /** The request's sizeLimit; 0 for none. */
  readonly clientSizeLimit: number;
  /** `ldap.size_limit`. */
  readonly serverSizeLimit: number;
}

/** The window of one response. */
export function openWindow(r: WindowRequest): WindowOpening {
  const clientLimit = r.clientSizeLimit > 0 ? r.clientSizeLimit : Infinity;
  if (!r.paged) {
    return { kind: 'window', window: {
      budget: Math.min(clientLimit, r.serverSizeLimit), sentBefore: 0, endsAtSizeLimit: true, paged: false, start: { phase: 0, at: null },
    } };
  }
  const state = r.paged.cookie.length > 0 ? r.state : undefined;
  if (r.paged.cookie.length > 0 && (!state || state.fingerprint !== r.fingerprint)) return { kind: 'invalidCookie' };
  if (r.paged.size === 0) return { kind: 'pagingAbandoned' };
  const sentBefore = state?.sent ?? 0;
  const remaining = clientLimit - sentBefore;
  const pageSize = Math.min(r.paged.size, r.serverSizeLimit);
  return { kind: 'window', window: {
    budget: Math.min(pageSize, remaining), sentBefore, endsAtSizeLimit: remaining <= pageSize, paged: true,
    start: state ? { phase: state.phase, at: state.at } : { phase: 0, at: null },
  } };
}

export type WindowEnd =
  /** Store this state and answer success with its cookie. */
  | { readonly kind: 'nextPage'; readonly state: PageState }
  /** Answer sizeLimitExceeded (with an empty cookie when paged). */
  | { readonly kind: 'sizeLimit'; readonly limit: number };

/** How a response that sent `sent` entries (its budget) ends, when entries remain from `resume` on. */
export function windowFull(w: SearchWindow, fingerprint: string, resume: SearchPoint, sent: number): WindowEnd {
  if (w.paged && !w.endsAtSizeLimit) {
    return { kind: 'nextPage', state: { fingerprint, phase: resume.phase, at: resume.at, sent: w.sentBefore + sent } };
  }
  return { kind: 'sizeLimit', limit: w.budget + w.sentBefore };
}
