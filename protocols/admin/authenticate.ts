import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Passport } from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { isDirgateError, Unauthenticated } from '../../src/domain/errors.js';
import type { AuthContext } from '../../src/services/auth.js';
import type { Services } from '../../src/services/index.js';
import { NO_TOKEN_DETAIL, sendProblem, toProblem } from './errors.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** Who the bearer token speaks for; unset on a request without `Authorization`. */
    auth?: AuthContext;
  }
}

/**
 * `Authorization: Bearer <API token | session token>` through passport-http-bearer.
 * A request without the header passes through with `req.auth` unset (public routes such as
 * login and the schema); routes that need a caller answer 401 themselves (see routes.ts).
 * A header that is present but bad is a 401 at once.
 */
export function bearerAuthentication(services: Services): RequestHandler {
  // A private Passport instance: no global state shared with other doors or test servers.
  const passport = new Passport();
  passport.use('dirgate-bearer', new BearerStrategy((token, done) => {
    services.auth.authenticateBearer(token).then(
      (ctx) => done(null, ctx),
      (e: unknown) => (e instanceof Unauthenticated ? done(null, false, e.message) : done(e)),
    );
  }));
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.headers.authorization === undefined) {
      next();
      return;
    }
    const run = passport.authenticate('dirgate-bearer', { session: false }, (err: unknown, ctx: AuthContext | false, info: unknown) => {
      if (err) {
        if (isDirgateError(err)) sendProblem(res, toProblem(err));
        else next(err);
        return;
      }
      if (!ctx) {
        sendProblem(res, toProblem(new Unauthenticated(describeFailure(info))));
        return;
      }
      req.auth = { ...ctx, actor: { ...ctx.actor, clientIp: req.ip ?? null } };
      next();
    }) as RequestHandler;
    run(req, res, next);
  };
}

/** The caller, or 401. @throws Unauthenticated */
export function requireAuth(req: Request): AuthContext {
  if (!req.auth) throw new Unauthenticated(NO_TOKEN_DETAIL);
  return req.auth;
}

/** passport-http-bearer reports failures as a challenge string; keep only its description. */
function describeFailure(info: unknown): string {
  const text = Array.isArray(info) ? String(info[0] ?? '') : typeof info === 'string' ? info : '';
  const m = /error_description="([^"]*)"/.exec(text);
  return m ? m[1] : 'missing or malformed bearer token';
}
