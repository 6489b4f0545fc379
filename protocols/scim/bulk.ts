/**
 * `POST /Bulk` (RFC 7644 §3.7): operations run in order, each in a savepoint of the request's
 * transaction, so a failed operation leaves no trace while the others stand. `bulkId:<id>`
 * references (in paths and anywhere in data) resolve to resources created earlier in the same
 * request — a group created with a member created just before it. Stops after `failOnErrors`
 * errors. `maxOperations` and `maxPayloadSize` are those ServiceProviderConfig advertises.
 */
import { isObject, type Json } from './canonical.js';
import type { ScimContext, ScimResult, Unit } from './context.js';
import { write, type Endpoint, type WriteMethod } from './dispatch.js';
import { ScimError, badRequest, errorBody, toScimError } from './errors.js';
import { BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA } from './schemas.js';

interface BulkOperation {
  readonly method: WriteMethod;
  readonly path: string;
  readonly bulkId?: string;
  readonly version?: string;
  readonly data?: unknown;
}

function operations(body: unknown, maxOperations: number): { ops: BulkOperation[]; failOnErrors: number } {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a BulkRequest object');
  if (body.schemas !== undefined && !(Array.isArray(body.schemas) && body.schemas.some((s) => typeof s === 'string' && s.toLowerCase() === BULK_REQUEST_SCHEMA.toLowerCase()))) {
    throw badRequest('invalidSyntax', `schemas must contain ${BULK_REQUEST_SCHEMA}`);
  }
  const list = body.Operations ?? body.operations;
  if (!Array.isArray(list) || list.length === 0) throw badRequest('invalidSyntax', 'Operations must be a non-empty list');
  if (list.length > maxOperations) throw new ScimError(413, `a bulk request may hold at most ${maxOperations} operations (maxOperations); this one has ${list.length}`);
  const fail = body.failOnErrors;
  if (fail !== undefined && fail !== null && (typeof fail !== 'number' || !Number.isInteger(fail) || fail < 1)) {
    throw badRequest('invalidValue', 'failOnErrors must be a positive integer');
  }
  const ops = list.map((raw, i): BulkOperation => {
    if (!isObject(raw)) throw badRequest('invalidSyntax', `Operations[${i}] must be an object`);
    const method = typeof raw.method === 'string' ? raw.method.toUpperCase() : '';
    if (!['POST', 'PUT', 'PATCH', 'DELETE'].includes(method)) throw badRequest('invalidSyntax', `Operations[${i}].method must be POST, PUT, PATCH or DELETE`);
    if (typeof raw.path !== 'string') throw badRequest('invalidSyntax', `Operations[${i}].path is required`);
    if (raw.bulkId !== undefined && typeof raw.bulkId !== 'string') throw badRequest('invalidSyntax', `Operations[${i}].bulkId must be a string`);
    if (method === 'POST' && typeof raw.bulkId !== 'string') throw badRequest('invalidSyntax', `Operations[${i}]: POST needs a bulkId`);
    if (raw.version !== undefined && typeof raw.version !== 'string') throw badRequest('invalidSyntax', `Operations[${i}].version must be a string`);
    return {
      method: method as WriteMethod, path: raw.path,
      ...(typeof raw.bulkId === 'string' ? { bulkId: raw.bulkId } : {}),
      ...(typeof raw.version === 'string' ? { version: raw.version } : {}),
      ...(raw.data !== undefined ? { data: raw.data } : {}),
    };
  });
  return { ops, failOnErrors: typeof fail === 'number' ? fail : Infinity };
}

/** Replaces every `bulkId:<id>` string. @throws ScimError 409 for a bulkId not (successfully) created before. */
function resolve(value: unknown, ids: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    if (!value.startsWith('bulkId:')) return value;
    const id = ids.get(value.slice('bulkId:'.length));
    if (id === undefined) throw new ScimError(409, `${value} names no resource created earlier in this request`, 'invalidValue');
    return id;
  }
  if (Array.isArray(value)) return value.map((v) => resolve(v, ids));
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, ids)]));
  return value;
}

function target(path: string, ids: ReadonlyMap<string, string>): { endpoint: Endpoint; id?: string } {
  const m = /^\/?(Users|Groups)(?:\/([^/]+))?\/?$/i.exec(path);
  if (!m) throw badRequest('invalidPath', `bulk path "${path}" must be /Users, /Groups, /Users/{id} or /Groups/{id}`);
  const endpoint: Endpoint = m[1]!.toLowerCase() === 'users' ? 'Users' : 'Groups';
  return m[2] === undefined ? { endpoint } : { endpoint, id: resolve(decodeURIComponent(m[2]), ids) as string };
}

export async function bulk(ctx: ScimContext, body: unknown, unit: Unit): Promise<ScimResult> {
  const { ops, failOnErrors } = operations(body, ctx.services.config.scim.bulkMaxOperations);
  const created = new Map<string, string>();
  const results: Json[] = [];
  let errors = 0;
  for (const op of ops) {
    const entry: Json = { method: op.method, ...(op.bulkId !== undefined ? { bulkId: op.bulkId } : {}) };
    try {
      const result = await ctx.services.units.savepoint(unit, async (savepoint) => {
        const { endpoint, id } = target(op.path, created);
        const data = op.data === undefined ? undefined : resolve(op.data, created) as Json;
        return write(ctx, op.method, endpoint, id, data, op.version ? { ifMatch: op.version } : {}, savepoint);
      });
      if (op.method === 'POST' && op.bulkId !== undefined && typeof result.body?.id === 'string') created.set(op.bulkId, result.body.id);
      Object.assign(entry, {
        ...(result.location ? { location: result.location } : {}),
        ...(result.etag ? { version: result.etag } : {}),
        status: String(result.status),
      });
    } catch (e) {
      const err = toScimError(e);
      if (err.status >= 500) throw e;
      errors++;
      Object.assign(entry, { status: String(err.status), response: errorBody(err) });
    }
    results.push(entry);
    if (errors >= failOnErrors) break;
  }
  return { status: 200, body: { schemas: [BULK_RESPONSE_SCHEMA], Operations: results } };
}
