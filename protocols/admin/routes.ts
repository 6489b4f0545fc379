/**
 * The route registrar of the admin API: every endpoint under /api/v1 is declared through
 * `defineRoute`, which
 *   1. authenticates (401 problem JSON when the route needs a caller and there is none),
 *   2. checks the permission (403 naming it) BEFORE anything else — so the permission matrix
 *      test, generated from this table, sees 403 on every protected route even with junk input,
 *   3. validates the JSON body against `requestSchema` (400 with a message per field),
 *   4. runs the async handler and sends what it returns as JSON (`status`, default 200;
 *      returning `undefined` sends 204; a handler that wrote the response itself is left alone),
 *   5. records the route in the router's table, from which `GET /api/v1/schema` (OpenAPI 3.1)
 *      and the permission-matrix test are generated.
 *
 * How an extension module (protocols/admin/extensions.ts, `mountExtensions(router, services, log)`)
 * adds routes — it receives the same router, after the bearer middleware has run:
 *
 *   import { defineRoute, defineComponent } from './routes.js';
 *   const Export = defineComponent('Export', { type: 'object', properties: {...}, required: [...] });
 *   defineRoute(router, {
 *     method: 'post', path: '/users/export', permission: 'user.export', status: 202,
 *     summary: 'Start a CSV export', tag: 'exports',
 *     requestSchema: { type: 'object', properties: { search: { type: 'string' } }, additionalProperties: false },
 *     responseSchema: Export,
 *     handler: async ({ body, actor, auth }) => services.exports.start(body, actor),
 *   });
 *
 * `permission` is one of: a Permission (`services.access.require`), `'self'` (any authenticated
 * caller; the handler scopes the work to `auth.user`), or `null` (public: no token needed).
 * A permission a role may hold on one object (user.view, user.change, …, group.delete) is
 * checked on the route's object: `/users/:id…` with a `user.*` permission and `/groups/:id…`
 * with a `group.*` one name it by default (id or name); `objects(ctx)` names others (a body
 * field, a session's owner); `'any'` (lists) passes a holder on at least one object, and the
 * handler restricts what it shows; `'global'` asks for the permission on every object.
 * `self(ctx)` may waive a Permission when the target is the caller's own (own sessions, tokens).
 * Request schemas must be self-contained (no `$ref`); response schemas may use the `$ref`s that
 * `defineComponent` returns. Use express path syntax (`/users/:id`); OpenAPI gets `{id}`.
 * Throw dirgate errors (src/domain/errors.ts); errors.ts turns them into problem JSON.
 */
import type { Request, Response, Router } from 'express';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { InvalidValue } from '../../src/domain/errors.js';
import { textProblem } from '../../src/domain/text.js';
import { UUID } from '../../src/domain/validation.js';
import { isPermission, type Permission } from '../../src/domain/permissions.js';
import { checkJson } from '../../src/domain/text.js';
import { objectTypeOf, type ObjectRef, type ObjectType } from '../../src/services/access.js';
import type { Actor } from '../../src/domain/types.js';
import type { AuthContext } from '../../src/services/auth.js';
import type { Services } from '../../src/services/index.js';
import { requireAuth } from './authenticate.js';

export type JsonSchema = Record<string, unknown>;
export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type RoutePermission = Permission | 'self' | null;
/** A user or group as a request names it: by id or by name. */
export interface ObjectName {
  readonly type: ObjectType;
  readonly ref: string;
}

export interface RouteContext {
  readonly req: Request;
  readonly res: Response;
  /** The caller; throws Unauthenticated on a public route called without a token. */
  readonly auth: AuthContext;
  readonly actor: Actor;
  readonly params: Record<string, string>;
  /** The parsed (and, with requestSchema, validated) JSON body; `{}` when none. */
  readonly body: Record<string, unknown>;
  readonly query: Record<string, unknown>;
}

export interface QueryParam {
  readonly schema: JsonSchema;
  readonly description?: string;
  readonly required?: boolean;
}

export interface RouteSpec {
  readonly method: HttpMethod;
  readonly path: string;
  readonly permission: RoutePermission;
  /** When it returns true the permission is waived (the caller acts on its own things). */
  readonly self?: (ctx: RouteContext) => boolean | Promise<boolean>;
  /** The objects an object-capable permission is checked on (see the header); default from the path. */
  readonly objects?: 'any' | 'global' | ((ctx: RouteContext) => Promise<ObjectName[]>);
  readonly summary: string;
  readonly tag?: string;
  readonly query?: Readonly<Record<string, QueryParam>>;
  readonly requestSchema?: JsonSchema;
  /** Body content types the OpenAPI document lists (default application/json). */
  readonly requestContentTypes?: readonly string[];
  readonly responseSchema?: JsonSchema;
  /** A success body that is not JSON (a CSV download): content type → schema, for the OpenAPI document. */
  readonly responseContent?: Readonly<Record<string, JsonSchema>>;
  /** Success status; default 200 (204 when the handler returns nothing). */
  readonly status?: number;
  readonly handler: (ctx: RouteContext) => Promise<unknown>;
}

const tables = new WeakMap<Router, RouteSpec[]>();
const servicesOf = new WeakMap<Router, Services>();
const components = new Map<string, JsonSchema>();

// ajv-formats is CommonJS; under NodeNext its default export arrives as the module object.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv) => Ajv;
const ajv = addFormats(new Ajv({ allErrors: true, strict: false }));

/** Binds a router to the services its permission checks use; adminRouter calls it first. */
export function attachServices(router: Router, services: Services): void {
  servicesOf.set(router, services);
  if (!tables.has(router)) tables.set(router, []);
}

/** Every route declared on a router, in declaration order. */
export function routesOf(router: Router): readonly RouteSpec[] {
  return tables.get(router) ?? [];
}

/** Registers a named schema for `components.schemas`; returns the `$ref` to use in responses. */
export function defineComponent(name: string, schema: JsonSchema): JsonSchema {
  components.set(name, schema);
  return { $ref: `#/components/schemas/${name}` };
}

export function componentSchemas(): Record<string, JsonSchema> {
  return Object.fromEntries(components);
}

/** Declares one endpoint; see the header of this file. */
export function defineRoute(router: Router, spec: RouteSpec): void {
  const services = servicesOf.get(router);
  if (!services) throw new Error('defineRoute: call attachServices(router, services) first');
  if (spec.permission !== null && spec.permission !== 'self' && !isPermission(spec.permission)) {
    throw new Error(`defineRoute ${spec.method} ${spec.path}: unknown permission ${String(spec.permission)}`);
  }
  const key = (r: RouteSpec) => `${r.method} ${r.path.replace(/:[A-Za-z_][A-Za-z0-9_]*/g, ':')}`;
  if (tables.get(router)!.some((r) => key(r) === key(spec))) {
    throw new Error(`defineRoute: ${spec.method.toUpperCase()} ${spec.path} is already defined`);
  }
  const validate = spec.requestSchema ? ajv.compile(spec.requestSchema) : null;
  tables.get(router)!.push(spec);
  const resolveRef = referenceResolver(spec.path, services);
  router[spec.method](spec.path, async (req: Request, res: Response) => {
    if (resolveRef) await resolveRef(req.params as Record<string, string>);
    const ctx = contextOf(req, res);
    if (spec.permission !== null) {
      const auth = requireAuth(req);
      if (spec.permission !== 'self' && !(spec.self && (await spec.self(ctx)))) {
        await checkPermission(services, spec, spec.permission, ctx);
      }
    }
    // Text every backend can store (src/domain/text.ts), before anything reads it: path
    // parameters, the query string and the body, each problem named by its field.
    checkJson(ctx.params);
    checkJson(ctx.query);
    checkJson(ctx.body);
    if (validate && !validate(ctx.body)) throw validationError(validate);
    const result = await spec.handler(ctx);
    if (res.headersSent || res.writableEnded) return;
    if (result === undefined) res.status(204).end();
    else res.status(spec.status ?? 200).json(result);
  });
}

/**
 * Paths that name a user or a group (`/users/:id…`, `/groups/:id…`) take its id or its name
 * (DESIGN.md). A name is replaced by the id before anything else runs; a name that matches
 * nothing is left as it is, so the permission check still comes first and the handler's own
 * lookup answers 404 after it.
 */
function referenceResolver(path: string, services: Services): ((params: Record<string, string>) => Promise<void>) | null {
  const find = path.startsWith('/users/:id')
    ? (ref: string) => services.users.findByUsername(ref)
    : path.startsWith('/groups/:id') ? (ref: string) => services.groups.findByName(ref) : null;
  if (!find) return null;
  return async (params) => {
    const ref = params.id;
    // Broken text is left for the path check to refuse with 400 (it never reaches the database).
    if (!ref || UUID.test(ref) || textProblem(ref) !== undefined) return;
    const found = await find(ref);
    if (found) params.id = found.id;
  };
}

/** The default objects of a route: the path's `:id` under /users or /groups. */
function pathObjects(path: string, type: ObjectType, params: Record<string, string>): ObjectName[] | 'any' {
  const prefix = type === 'user' ? '/users/:id' : '/groups/:id';
  if ((path === prefix || path.startsWith(`${prefix}/`)) && params.id) return [{ type, ref: params.id }];
  return 'any';
}

/** @throws PermissionDenied naming the permission */
async function checkPermission(services: Services, spec: RouteSpec, permission: Permission, ctx: RouteContext): Promise<void> {
  const actor = ctx.auth.actor;
  const type = objectTypeOf(permission);
  if (type === null || spec.objects === 'global') return services.access.require(actor, permission);
  // The global permission covers every object: one prepared statement, as before object grants.
  if (await services.access.hasPermission(actor.userId, permission)) return;
  const named = spec.objects === 'any' ? 'any' : spec.objects ? await spec.objects(ctx) : pathObjects(spec.path, type, ctx.params);
  if (named === 'any') {
    if (!(await services.access.holdsAnywhere(actor.userId, permission))) await services.access.require(actor, permission);
    return;
  }
  const objects: ObjectRef[] = [];
  for (const n of named) {
    const id = await services.access.resolveObjectId(n.type, n.ref);
    // An unknown object can only be acted on with the global permission (then the handler's 404).
    if (id === null) return services.access.require(actor, permission);
    objects.push({ type: n.type, id });
  }
  await services.access.requireOnAll(actor, permission, objects);
}

function contextOf(req: Request, res: Response): RouteContext {
  const rawBody: unknown = req.body;
  const body = rawBody && typeof rawBody === 'object' ? (rawBody as Record<string, unknown>) : {};
  return {
    req,
    res,
    get auth() { return requireAuth(req); },
    get actor() { return req.auth ? req.auth.actor : { userId: null, username: null, clientIp: req.ip ?? null }; },
    params: req.params as Record<string, string>,
    body,
    query: req.query as Record<string, unknown>,
  };
}

/** ajv's errors as `{field: message}`; the field is the top-level property path. */
function validationError(validate: ValidateFunction): InvalidValue {
  const fields: Record<string, string> = Object.create(null);
  for (const e of validate.errors ?? []) {
    const [field, message] = describeAjvError(e);
    if (!Object.hasOwn(fields, field)) fields[field] = message;
  }
  const message = Object.entries(fields).map(([k, v]) => `${k}: ${v}`).join('; ') || 'invalid request body';
  return new InvalidValue(message, fields);
}

function describeAjvError(e: ErrorObject): [string, string] {
  const path = e.instancePath.split('/').slice(1).join('.');
  if (e.keyword === 'required') {
    const p = (e.params as { missingProperty: string }).missingProperty;
    return [path ? `${path}.${p}` : p, 'is required'];
  }
  if (e.keyword === 'additionalProperties') {
    const p = (e.params as { additionalProperty: string }).additionalProperty;
    return [path ? `${path}.${p}` : p, 'is not a known field'];
  }
  return [path || 'body', e.message ?? 'is invalid'];
}
