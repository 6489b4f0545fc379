/**
 * SCIM authentication: `Authorization: Bearer <API or session token>` through passport's bearer
 * strategy, then the `scim.provision` permission (read with the token, one statement). Failures are SCIM Errors: 401 with a
 * `WWW-Authenticate` challenge (RFC 6750 §3), 403 without the permission.
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { Unauthenticated } from '../../src/domain/errors.js';
import type { AuthContext } from '../../src/services/auth.js';
import type { Services } from '../../src/services/index.js';
import type { ScimContext } from './context.js';
import type { AnswerAsker } from './kept-answers.js';
import { ScimError } from './errors.js';

const REALM = 'dirgate';

/** The request's SCIM context, set by `scimAuthentication`. */
export function scimContext(res: Response): ScimContext {
  return res.locals.scim as ScimContext;
}

/** Who the request's bearer speaks for, as kept-answers.ts keys on it; set by `scimAuthentication`. */
export function scimAsker(res: Response): AnswerAsker | undefined {
  return res.locals.scimAsker as AnswerAsker | undefined;
}

/**
 * The database's state read at the start of a GET (DirectoryService.snapshot), before the bearer
 * and anything else was read: what the request reads is no older than it. Undefined when none was read.
 */
export function scimSnapshot(res: Response): string | null | undefined {
  return res.locals.scimSnapshot as string | null | undefined;
}

/** Who `auth` speaks for, as kept-answers.ts keys on it. */
export function askerOf(auth: AuthContext): AnswerAsker {
  return { bearer: auth.session ? `s:${auth.session.id}` : `t:${auth.token?.id ?? ''}`, userId: auth.user.id, impersonatorId: auth.impersonator?.id ?? null };
}

/** The public base URL of the SCIM door as this request reached it (honours trust proxy). */
export function baseUrl(req: Request): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${req.baseUrl}`;
}

/**
 * The token passport-http-bearer would take from a request that carries it in the Authorization
 * header only (its parsing: two space-separated parts, the scheme `Bearer` in any case, no
 * `access_token` in the body or the query); undefined for any other request.
 */
export function headerOnlyToken(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (!header) return undefined;
  const parts = header.split(' ');
  if (parts.length !== 2 || !/^Bearer$/i.test(parts[0]!) || !parts[1]) return undefined;
  const elsewhere = (req.body as { access_token?: unknown } | undefined)?.access_token || (req.query as { access_token?: unknown }).access_token;
  return elsewhere ? undefined : parts[1];
}

export function scimAuthentication(services: Services): RequestHandler {
  // A private authenticator, so the SCIM strategy never mixes with another door's passport setup.
  const authenticator = new passport.Passport();
  authenticator.use('scim-bearer', new BearerStrategy({ realm: REALM }, (token: string, done: (err: unknown, user?: unknown, info?: string) => void) => {
    services.auth.authenticateBearer(token, { permission: 'scim.provision' }).then(
      (auth) => done(null, auth),
      (e: unknown) => (e instanceof Unauthenticated ? done(null, false, e.message) : done(e)),
    );
  }));
  return (req: Request, res: Response, next: NextFunction) => {
    const callback = (err: unknown, auth: AuthContext | false | undefined, challenge: unknown) => {
      if (err) return next(err);
      if (!auth) {
        const header = Array.isArray(challenge) ? String(challenge[0]) : typeof challenge === 'string' ? challenge : `Bearer realm="${REALM}"`;
        const detail = /error_description="([^"]*)"/.exec(header)?.[1] ?? 'a bearer token is required (Authorization: Bearer <token>)';
        return next(new ScimError(401, detail, undefined, { 'WWW-Authenticate': header }));
      }
      // The permission came with the token; without it, `require` refuses as everywhere else.
      (auth.holds === true ? Promise.resolve() : services.access.require(auth.actor, 'scim.provision')).then(() => {
        const ctx: ScimContext = { services, actor: { ...auth.actor, clientIp: req.ip ?? null }, base: baseUrl(req) };
        res.locals.scim = ctx;
        res.locals.scimAsker = askerOf(auth);
        next();
      }, next);
    };
    const viaPassport = () => authenticator.authenticate('scim-bearer', { session: false }, callback)(req, res, next);
    // The common case skips passport's per-request strategy object (measured 10–15 % of a probe):
    // a header-only token that verifies. Any other request, a refused token or an error goes
    // through passport, so every failure is answered exactly as before.
    const token = headerOnlyToken(req);
    if (token === undefined) return viaPassport();
    // A read reads the database's state first (kept-answers.ts): the bearer may then come from the
    // row AuthService kept under that same state, and so may the answer.
    const reads = req.method === 'GET' || req.method === 'HEAD';
    const known = scimSnapshot(res);
    const snapshot = !reads ? Promise.resolve(undefined) : known !== undefined ? Promise.resolve(known) : services.directory.snapshot();
    snapshot.then((s) => {
      if (reads) res.locals.scimSnapshot = s;
      return services.auth.authenticateBearer(token, { permission: 'scim.provision', ...(s !== undefined ? { snapshot: s } : {}) });
    }).then((auth) => callback(null, auth, undefined), viaPassport);
  };
}
