import type { NextFunction, Request, Response } from 'express';
import { parseCookie, stringifySetCookie } from 'cookie';
import { Unauthenticated } from '../../src/domain/errors.js';
import type { AuthContext } from '../../src/services/auth.js';
import type { Services } from '../../src/services/index.js';
import { csrfForSession } from './csrf.js';

/** The session token (the same sessions as `POST /api/v1/auth/login`). */
export const SESSION_COOKIE = 'dirgate_console';
/** While impersonating: the admin's own session, restored by Stop impersonation. */
export const ORIGINAL_COOKIE = 'dirgate_console_original';
/** The login form's double-submit CSRF value. */
export const LOGIN_CSRF_COOKIE = 'dirgate_console_login';

export const CONSOLE_PATH = '/admin';

/** Who is signed in to the console for this request. */
export interface ConsoleAuth {
  readonly ctx: AuthContext;
  readonly token: string;
  readonly csrf: string;
  /** Every permission the user holds: buttons are offered only for these. */
  readonly permissions: ReadonlySet<string>;
}

declare module 'express-serve-static-core' {
  interface Request {
    consoleAuth?: ConsoleAuth;
  }
}

export function cookiesOf(req: Request): Record<string, string | undefined> {
  return req.headers.cookie ? parseCookie(req.headers.cookie) : {};
}

export interface CookieOptions {
  readonly secure: boolean;
  /** Seconds; 0 deletes the cookie. */
  readonly maxAge: number;
}

/** HttpOnly, SameSite=Strict, Path=/admin; Secure when the public URL is https. */
export function setCookie(res: Response, name: string, value: string, opts: CookieOptions): void {
  res.append('Set-Cookie', stringifySetCookie({
    name, value, httpOnly: true, sameSite: 'strict', secure: opts.secure, path: CONSOLE_PATH,
    maxAge: opts.maxAge,
  }));
}

export function clearCookie(res: Response, name: string, secure: boolean): void {
  setCookie(res, name, '', { secure, maxAge: 0 });
}

export function secureCookies(services: Services): boolean {
  return services.config.http.publicUrl.startsWith('https:');
}

/**
 * Resolves the session cookie on every request through the same check the admin API's bearer
 * tokens get (expiry, deactivation of the user or the impersonator) — a deactivated user is
 * thrown out on the next request. Leaves `req.consoleAuth` unset when there is no good session.
 */
export function consoleSession(services: Services) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const token = cookiesOf(req)[SESSION_COOKIE];
    if (!token) {
      next();
      return;
    }
    try {
      const ctx = await services.auth.authenticateBearer(token);
      if (!ctx.session) throw new Unauthenticated('the console takes sessions, not API tokens');
      const withIp = { ...ctx, actor: { ...ctx.actor, clientIp: req.ip ?? null } };
      const permissions = await services.access.permissionsOf(ctx.user.id);
      req.consoleAuth = { ctx: withIp, token, csrf: csrfForSession(token), permissions };
    } catch (e) {
      if (!(e instanceof Unauthenticated)) {
        next(e);
        return;
      }
      clearCookie(res, SESSION_COOKIE, secureCookies(services));
    }
    next();
  };
}
