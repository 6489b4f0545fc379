/**
 * SCIM 2.0 (RFC 7643, RFC 7644) at /scim/v2: discovery, Users, Groups, `.search`, Bulk. Every
 * response is `application/scim+json`; every failure is a SCIM Error (errors.ts); every write
 * is one transaction, so a request either happens completely or not at all.
 */
import express, { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';
import { findJsonProblem } from '../../src/domain/text.js';
import { askerOf, baseUrl, headerOnlyToken, scimAsker, scimAuthentication, scimContext, scimSnapshot } from './auth.js';
import { bulk } from './bulk.js';
import type { Json } from './canonical.js';
import type { Preconditions, ScimContext, ScimResult, Unit } from './context.js';
import * as discovery from './discovery.js';
import { write, type Endpoint, type WriteMethod } from './dispatch.js';
import { ScimError, errorBody, toScimError } from './errors.js';
import { getGroup, listGroupsResponse } from './groups-resource.js';
import { listParams, orderingFor, searchBody, type ListParams } from './list-params.js';
import { answerKey, KeptAnswers, requestKey, type KeptAnswer } from './kept-answers.js';
import { parseProjection, wants } from './projection.js';
import { rootSearch } from './root-search.js';
import { GROUP_TYPE, USER_TYPE } from './schemas.js';
import { getUser, listedUsersResponse, listUsersResponse, usersQuery } from './users-resource.js';

export const SCIM_CONTENT_TYPE = 'application/scim+json; charset=utf-8';

function send(res: Response, result: ScimResult): void {
  res.status(result.status);
  if (result.etag) res.setHeader('ETag', result.etag);
  if (result.location && result.status === 201) res.setHeader('Location', result.location);
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  if (result.body === undefined || result.status === 204 || result.status === 304) res.end();
  else res.end(JSON.stringify(result.body));
}

/** A kept `200` (kept-answers.ts), sent as `send` sends one. */
function sendKept(res: Response, kept: KeptAnswer): void {
  res.statusCode = 200;
  if (kept.etag) res.setHeader('ETag', kept.etag);
  res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
  res.end(kept.body);
}

function preconditions(req: Request): Preconditions {
  const ifMatch = req.get('If-Match');
  const ifNoneMatch = req.get('If-None-Match');
  return { ...(ifMatch ? { ifMatch } : {}), ...(ifNoneMatch ? { ifNoneMatch } : {}) };
}

/** The body of a write; a missing body is a SCIM invalidSyntax (body-parser leaves it undefined). */
function body(req: Request): Json {
  if (req.body === undefined || req.get('content-length') === '0') throw new ScimError(400, 'the request needs a JSON body (Content-Type: application/scim+json or application/json)', 'invalidSyntax');
  return req.body as Json;
}

/** Body-parser failures as SCIM Errors: over the limit → 413, malformed JSON → 400 invalidSyntax. */
function bodyError(err: unknown): ScimError | undefined {
  if (err instanceof ScimError) return undefined;
  const e = err as { type?: string; limit?: number; status?: number };
  switch (e?.type) {
    case 'entity.too.large': return new ScimError(413, `the request body is larger than ${e.limit} bytes`);
    case 'entity.parse.failed': return new ScimError(400, 'the request body is not valid JSON', 'invalidSyntax');
    case 'charset.unsupported':
    case 'encoding.unsupported': return new ScimError(415, 'the request body must be UTF-8 JSON');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set': return new ScimError(400, 'the request body could not be read', 'invalidSyntax');
    default:
      // Anything else express or body-parser refuses with a 4xx (a malformed %-escape in the path…).
      if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new ScimError(e.status, 'the request is malformed', 'invalidSyntax');
      return undefined;
  }
}

/**
 * Refuses text no backend can store alike (src/domain/text.ts) in the query string, the path
 * and the body, as invalidValue naming the attribute, before anything reads them.
 */
const checkText: RequestHandler = (req, _res, next) => {
  const p = findJsonProblem(req.query, '') ?? findJsonProblem(req.path.split('/').map(safeDecode), 'path') ?? findJsonProblem(req.body, '');
  next(p ? new ScimError(400, `${p.field} ${p.problem}`, 'invalidValue') : undefined);
};

/**
 * `GET /Users` with the bearer check folded into the page's statement where the services can
 * (PostgreSQL: one round trip instead of two; AuthService.authenticateBearerAlong). Only the
 * plain case: a header-only token, no body, a query string checkText and listParams accept, the
 * first page with groups, and an answer the statement can give alone. Anything else — a refused
 * or unknown token, a bearer without the permission, a problem in the request, an empty or a
 * full page, an error — goes on to the usual way (passport, the permission, checkText, the
 * route), which reads everything again and answers exactly as without this.
 */
function foldedUsersList(services: Services, answers: KeptAnswers): RequestHandler {
  const { config } = services;
  return (req, res, next) => {
    if (!services.auth.foldsBearer) return next();
    const token = headerOnlyToken(req);
    const hasBody = (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') || req.headers['transfer-encoding'] !== undefined;
    if (token === undefined || hasBody || findJsonProblem(req.query, '') || findJsonProblem(req.path.split('/').map(safeDecode), 'path')) return next();
    let params: ListParams;
    let opts: { limit: number; offset: number; ordering?: NonNullable<ReturnType<typeof orderingFor>> };
    let ctx: ScimContext = { services, actor: { userId: null, username: null }, base: baseUrl(req) };
    let v: ReturnType<typeof usersQuery>;
    try {
      params = listParams(req.query as Json, config, USER_TYPE);
      if (params.offset !== 0 || !wants(params.projection, 'groups')) return next();
      const ordering = orderingFor(params, 'users');
      opts = { limit: params.count, offset: 0, ...(ordering ? { ordering } : {}) };
      v = usersQuery(ctx, params.filter);
    } catch {
      return next();
    }
    let passed = false;
    const pass = () => { if (!passed) { passed = true; next(); } };
    const request = requestKey(ctx.base, req.originalUrl, req.get('If-None-Match'));
    (async () => {
      // A request answered before may be answered from memory (kept-answers.ts): the database's
      // state first, and while the bearer is kept under it the usual way answers (from what is
      // kept). Otherwise one statement reads the page and the bearer, and both are kept under
      // that statement's own snapshot.
      if (answers.knows(request)) {
        const snapshot = await services.directory.snapshot();
        res.locals.scimSnapshot = snapshot;
        if (services.auth.keepsBearer(token, 'scim.provision', snapshot)) return pass();
      }
      const along = await services.auth.authenticateBearerAlong(token, 'scim.provision', (guard) => services.users.listWithGroupsGuarded(v, opts, guard));
      if (!along || along.auth.holds !== true) return pass();
      ctx = { ...ctx, actor: { ...along.auth.actor, clientIp: req.ip ?? null } };
      const result = listedUsersResponse(ctx, params, along.result);
      const answer: KeptAnswer = { body: JSON.stringify(result.body) };
      answers.keep(along.snapshot, answerKey(askerOf(along.auth), request), request, answer);
      passed = true;
      sendKept(res, answer);
    })().catch(pass);
  };
}

function safeDecode(segment: string): string {
  try { return decodeURIComponent(segment); } catch { return segment; }
}

export function scimRouter(services: Services, log: Logger): Router {
  const router = Router();
  const { config } = services;
  const answers = new KeptAnswers();
  // express 5's `req.query` is a getter that parses the query string on every access (the
  // bearer check, checkText and the list parameters each read it): parsed once per request here.
  router.use((req, _res, next) => {
    Object.defineProperty(req, 'query', { value: req.query, configurable: true, enumerable: true, writable: true });
    next();
  });
  const json = (limit: number): RequestHandler => express.json({ limit, type: () => true });

  const read = (fn: (ctx: ScimContext, req: Request) => Promise<ScimResult>): RequestHandler =>
    async (req, res, next) => {
      try { send(res, await fn(scimContext(res), req)); } catch (e) { next(e); }
    };
  /**
   * `read` for a GET of Users or Groups whose answer may be kept while the database is unchanged
   * (kept-answers.ts): the request is authenticated already; a kept answer is looked up under the
   * snapshot scimAuthentication read first, before anything else was read.
   */
  const keptRead = (fn: (ctx: ScimContext, req: Request) => Promise<ScimResult>): RequestHandler =>
    async (req, res, next) => {
      try {
        const ctx = scimContext(res);
        const asker = scimAsker(res);
        const snapshot = scimSnapshot(res) ?? null;
        const request = requestKey(ctx.base, req.originalUrl, req.get('If-None-Match'));
        const key = asker && snapshot !== null ? answerKey(asker, request) : null;
        const kept = key === null ? null : answers.find(snapshot, key);
        if (kept) return sendKept(res, kept);
        const result = await fn(ctx, req);
        if (key === null || result.status !== 200 || result.body === undefined) return send(res, result);
        const answer: KeptAnswer = { body: JSON.stringify(result.body), ...(result.etag ? { etag: result.etag } : {}) };
        answers.keep(snapshot, key, request, answer);
        sendKept(res, answer);
      } catch (e) { next(e); }
    };
  /** One request, one transaction: every service call inside joins `unit`. */
  const tx = (fn: (ctx: ScimContext, req: Request, unit: Unit) => Promise<ScimResult>): RequestHandler =>
    async (req, res, next) => {
      try { send(res, await services.units.run((unit) => fn(scimContext(res), req, unit))); } catch (e) { next(e); }
    };

  // Discovery (RFC 7644 §4) is served without credentials: it describes the server, not the directory.
  const open = (fn: (base: string, req: Request) => Json): RequestHandler => (req, res, next) => {
    try { send(res, { status: 200, body: fn(baseUrl(req), req) }); } catch (e) { next(e); }
  };
  router.get('/ServiceProviderConfig', open((base) => discovery.serviceProviderConfig(config, base)));
  router.get('/ResourceTypes', open((base) => discovery.resourceTypes(base)));
  router.get('/ResourceTypes/:name', open((base, req) => discovery.resourceType(String(req.params.name), base)));
  router.get('/Schemas', open((base) => discovery.schemas(base)));
  router.get('/Schemas/:id', open((base, req) => discovery.schema(String(req.params.id), base)));

  router.get('/Users', foldedUsersList(services, answers));
  router.use(scimAuthentication(services));

  router.post('/Bulk', json(config.scim.bulkMaxPayload), checkText, tx((ctx, req, unit) => bulk(ctx, body(req), unit)));
  router.use(json(config.http.bodyLimit), checkText);

  router.post('/.search', read((ctx, req) => {
    const b = searchBody(req.body);
    return rootSearch(ctx, listParams(b, config, undefined, true), b);
  }));

  for (const endpoint of ['Users', 'Groups'] as const) {
    const type = endpoint === 'Users' ? USER_TYPE : GROUP_TYPE;
    const list = endpoint === 'Users' ? listUsersResponse : listGroupsResponse;
    const get = endpoint === 'Users' ? getUser : getGroup;
    const writeTo = (method: WriteMethod, withId: boolean) => tx((ctx, req, unit) => {
      const projection = req.query.attributes !== undefined || req.query.excludedAttributes !== undefined
        ? parseProjection(req.query.attributes, req.query.excludedAttributes, type) : undefined;
      return write(ctx, method, endpoint as Endpoint, withId ? String(req.params.id) : undefined, method === 'DELETE' ? undefined : body(req), preconditions(req), unit, projection);
    });
    router.get(`/${endpoint}`, keptRead((ctx, req) => list(ctx, listParams(req.query as Json, config, type))));
    router.post(`/${endpoint}/.search`, read((ctx, req) => list(ctx, listParams(searchBody(req.body), config, type, true))));
    router.post(`/${endpoint}`, writeTo('POST', false));
    router.get(`/${endpoint}/:id`, keptRead((ctx, req) => get(ctx, String(req.params.id), parseProjection(req.query.attributes, req.query.excludedAttributes, type), preconditions(req))));
    router.put(`/${endpoint}/:id`, writeTo('PUT', true));
    router.patch(`/${endpoint}/:id`, writeTo('PATCH', true));
    router.delete(`/${endpoint}/:id`, writeTo('DELETE', true));
    router.all([`/${endpoint}`, `/${endpoint}/:id`], (req, _res, next) => next(new ScimError(405, `${req.method} is not supported on ${req.path}`)));
  }
  router.all(['/Me', '/Me/*rest'], (_req, _res, next) => next(new ScimError(501, '/Me is not implemented: use /Users/{id}')));

  router.use((req: Request, _res: Response, next: NextFunction) => next(new ScimError(404, `no SCIM endpoint ${req.method} ${req.path}`)));
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const e = bodyError(err) ?? toScimError(err);
    if (e.status >= 500 && e.status !== 501 && e.status !== 503) log.error({ err, method: req.method, path: req.originalUrl }, 'SCIM request failed');
    for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
    if (e.status === 405) res.setHeader('Allow', req.path.split('/').filter(Boolean).length > 1 ? 'GET, PUT, PATCH, DELETE' : 'GET, POST');
    send(res, { status: e.status, body: errorBody(e) as unknown as Json });
  });
  return router;
}
