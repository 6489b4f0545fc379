import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

/**
 * CSRF tokens, without server-side state (so any instance can check them):
 * - signed in: a synchronizer token derived one-way from the session token in the HttpOnly
 *   cookie. A forger knows neither; the token in the page reveals nothing about the session.
 * - before sign-in (the login form): a double-submit token — a random value in its own
 *   HttpOnly cookie that the form repeats.
 * Pages carry the token in a hidden `_csrf` field and in `hx-headers` (`X-CSRF-Token`).
 */
export const CSRF_FIELD = '_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export function csrfForSession(sessionToken: string): string {
  return createHash('sha256').update('dirgate-console-csrf\0').update(sessionToken).digest('base64url');
}

export function newLoginCsrf(): string {
  return randomBytes(32).toString('base64url');
}

/** The token the request carries (header first, then the form field). */
export function submittedCsrf(req: Request): string {
  const header = req.get(CSRF_HEADER);
  if (header) return header;
  const body = req.body as Record<string, unknown> | undefined;
  const field = body && typeof body === 'object' ? body[CSRF_FIELD] : undefined;
  return typeof field === 'string' ? field : '';
}

/** Constant-time equality of two tokens; an empty expected value never matches. */
export function csrfMatches(expected: string, given: string): boolean {
  if (!expected || !given) return false;
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(given).digest();
  return timingSafeEqual(a, b);
}
