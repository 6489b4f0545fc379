import { componentSchemas, type JsonSchema, type RouteSpec } from './routes.js';

/** The problem JSON every error response carries (errors.ts). */
export const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: { type: 'object', additionalProperties: { type: 'string' } },
    permission: { type: 'string' },
    rule: { type: 'string', description: 'the rule that refused: a password policy rule, or a delegation rule (no_path_to_superuser, grant_only_what_you_hold, impersonation_session, last_superuser)' },
    column: { type: 'integer' },
    limit: { type: 'string' },
  },
};

/** `/users/:id` → `/users/{id}` and its parameter names. */
export function openApiPath(expressPath: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = expressPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    params.push(name);
    return `{${name}}`;
  });
  return { path, params };
}

function problemResponse(description: string): JsonSchema {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

function operation(route: RouteSpec, params: string[]): JsonSchema {
  const parameters: JsonSchema[] = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  for (const [name, q] of Object.entries(route.query ?? {})) {
    parameters.push({ name, in: 'query', required: !!q.required, schema: q.schema, ...(q.description ? { description: q.description } : {}) });
  }
  const content: Record<string, JsonSchema> | null = route.responseSchema
    ? { 'application/json': { schema: route.responseSchema } }
    : route.responseContent ? Object.fromEntries(Object.entries(route.responseContent).map(([type, schema]) => [type, { schema }])) : null;
  const status = String(route.status ?? (content ? 200 : 204));
  const responses: Record<string, JsonSchema> = {
    [status]: content ? { description: 'success', content } : { description: 'success, no content' },
    400: problemResponse('invalid input'),
    default: problemResponse('an error'),
  };
  if (route.permission !== null) responses['401'] = problemResponse('missing, expired or revoked token');
  if (route.permission !== null && route.permission !== 'self') responses['403'] = problemResponse(`requires ${route.permission}`);
  const op: JsonSchema = {
    summary: route.summary,
    operationId: `${route.method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    tags: [route.tag ?? route.path.split('/')[1] ?? 'api'],
    parameters,
    responses,
    security: route.permission === null ? [] : [{ bearer: [] }],
    'x-permission': route.permission,
  };
  if (route.requestSchema) {
    const types = route.requestContentTypes ?? ['application/json'];
    op.requestBody = { required: false, content: Object.fromEntries(types.map((t) => [t, { schema: route.requestSchema }])) };
  }
  return op;
}

/** The OpenAPI 3.1 document of the admin API, generated from the route table. */
export function openApiDocument(routes: readonly RouteSpec[], serverUrl = '/api/v1'): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const { path, params } = openApiPath(route.path);
    (paths[path] ??= {})[route.method] = operation(route, params);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'dirgate admin API',
      version: '1',
      description: 'Users, groups, roles, sessions, tokens, applications, settings and events. '
        + 'Each operation names the permission it needs in `x-permission` (`self`: any authenticated caller, null: public).',
    },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API token (dgt_…) or a session token (dgs_…)' } },
      schemas: { Problem: PROBLEM_SCHEMA, ...componentSchemas() },
    },
    paths,
  };
}
