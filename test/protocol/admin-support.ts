import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'chai';

/**
 * A small admin API client over real HTTP that checks EVERY response it sees against the
 * OpenAPI document the server serves at /api/v1/schema (status documented, body valid) — so
 * the document is kept true by all the admin tests, not by a hand-picked few.
 */
export interface ApiResponse {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly body: any;
  readonly headers: Headers;
}

type Doc = { paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>> };

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;

export class OpenApiChecker {
  private readonly ajv = addFormats(new Ajv2020({ strict: false, allErrors: true }));
  private readonly cache = new Map<string, ValidateFunction>();
  private readonly templates: Array<{ re: RegExp; path: string }>;
  /** `METHOD path status` of every response checked. */
  readonly seen = new Set<string>();

  constructor(readonly doc: Doc) {
    this.ajv.addSchema(doc as object, 'openapi.json');
    this.templates = Object.keys(doc.paths)
      .map((path) => ({ path, re: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}$`) }))
      // Fixed segments beat parameters: /users/paths before /users/{id}.
      .sort((a, b) => (a.path.match(/\{/g)?.length ?? 0) - (b.path.match(/\{/g)?.length ?? 0));
  }

  /** Asserts the response is documented for the operation and matches its schema. */
  check(method: string, urlPath: string, r: ApiResponse): void {
    const path = urlPath.split('?')[0]!;
    const t = this.templates.find((x) => x.re.test(path) && this.doc.paths[x.path]![method.toLowerCase()]);
    if (!t) {
      expect(r.status, `${method} ${path} is not in the OpenAPI document, so it must be 404`).to.equal(404);
      return;
    }
    const op = this.doc.paths[t.path]![method.toLowerCase()]!;
    const key = op.responses[String(r.status)] ? String(r.status) : 'default';
    const response = op.responses[key];
    expect(response, `${method} ${t.path} ${r.status} is not documented`).to.not.equal(undefined);
    this.seen.add(`${method.toUpperCase()} ${t.path} ${r.status}`);
    if (r.status === 204 || !response!.content) {
      expect(r.body, `${method} ${t.path} ${r.status} documents no body`).to.equal(null);
      return;
    }
    const ctype = (r.headers.get('content-type') ?? '').split(';')[0]!;
    expect(Object.keys(response!.content), `${method} ${t.path} ${r.status} content type`).to.include(ctype);
    const pointer = `openapi.json#/paths/${t.path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method.toLowerCase()}/responses/${key}/content/${ctype.replace(/\//g, '~1')}/schema`;
    // Many operations share a schema (every 401 is a Problem): compile each distinct one once.
    const schema = (response!.content[ctype] as { schema: unknown }).schema;
    const cacheKey = JSON.stringify(schema);
    let validate = this.cache.get(cacheKey);
    if (!validate) {
      validate = this.ajv.compile({ $ref: pointer });
      this.cache.set(cacheKey, validate);
    }
    if (!validate(r.body)) {
      throw new Error(`${method} ${t.path} ${r.status}: response does not match the OpenAPI schema: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(r.body).slice(0, 500)}`);
    }
  }
}

export class AdminClient {
  constructor(readonly base: string, readonly token: string | null, readonly checker: OpenApiChecker | null) {}

  /** The same client as another caller. */
  as(token: string | null): AdminClient {
    return new AdminClient(this.base, token, this.checker);
  }

  async call(method: string, path: string, body?: unknown, init: { raw?: string; headers?: Record<string, string> } = {}): Promise<ApiResponse> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (init.raw !== undefined) payload = init.raw;
    else if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] ??= 'application/json';
    const res = await fetch(`${this.base}/api/v1${path}`, { method, headers, body: payload });
    const text = await res.text();
    let parsed: unknown = null;
    // JSON bodies are parsed; anything else (a CSV download) is kept as text for the checker.
    if (text !== '') parsed = /json/.test(res.headers.get('content-type') ?? 'application/json') ? JSON.parse(text) : text;
    const r: ApiResponse = { status: res.status, body: parsed, headers: res.headers };
    this.checker?.check(method, path, r);
    return r;
  }

  get(path: string) { return this.call('GET', path); }
  post(path: string, body?: unknown) { return this.call('POST', path, body ?? {}); }
  patch(path: string, body: unknown) { return this.call('PATCH', path, body); }
  delete(path: string) { return this.call('DELETE', path); }

  /** Asserts the status; returns the body. */
  async expect(status: number, method: string, path: string, body?: unknown) {
    const r = await this.call(method, path, body);
    expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).to.equal(status);
    return r.body;
  }
}

/** A client for a booted server, checking responses against its own /api/v1/schema. */
export async function adminClient(http: string, token: string): Promise<AdminClient> {
  const res = await fetch(`${http}/api/v1/schema`);
  expect(res.status).to.equal(200);
  return new AdminClient(http, token, new OpenApiChecker((await res.json()) as Doc));
}

/** Asserts a problem JSON response. */
export function expectProblem(r: ApiResponse, status: number, fields: string[] = []): void {
  expect(r.status, JSON.stringify(r.body)).to.equal(status);
  expect(r.headers.get('content-type')).to.match(/^application\/problem\+json/);
  expect(r.body).to.include.keys('type', 'title', 'status', 'detail');
  expect(r.body.status).to.equal(status);
  for (const f of fields) expect(r.body.errors ?? {}, `errors should name ${f}`).to.have.property(f);
}
