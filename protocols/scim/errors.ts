/**
 * The only place dirgate errors become SCIM Error responses (RFC 7644 §3.12). Every failure
 * the SCIM door answers goes through `toScimError`, so each carries the right status and
 * `scimType`, and no driver message or stack trace reaches a client.
 */
import { isDirgateError } from '../../src/domain/errors.js';

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** The `scimType` values RFC 7644 §3.12 defines. */
export type ScimType =
  | 'invalidFilter' | 'tooMany' | 'uniqueness' | 'mutability' | 'invalidSyntax'
  | 'invalidPath' | 'noTarget' | 'invalidValue' | 'invalidVers' | 'sensitive';

/** A SCIM protocol error raised by the door itself (bad path, bad PATCH op, …). */
export class ScimError extends Error {
  constructor(readonly status: number, message: string, readonly scimType?: ScimType, readonly headers: Readonly<Record<string, string>> = {}) {
    super(message);
    this.name = 'ScimError';
  }
}

/** The JSON body of a SCIM Error: `status` is a string, as RFC 7644 §3.12 shows it. */
export interface ScimErrorBody {
  readonly schemas: readonly string[];
  readonly status: string;
  readonly scimType?: ScimType;
  readonly detail: string;
}

export function errorBody(e: ScimError): ScimErrorBody {
  return { schemas: [ERROR_SCHEMA], status: String(e.status), ...(e.scimType ? { scimType: e.scimType } : {}), detail: e.message };
}

const QUERY_LIMITS = new Set(['maxLength', 'maxDepth', 'maxNodes']);

/**
 * Translates anything thrown while serving a SCIM request. Unknown errors become a bare 500
 * (the caller logs the original).
 */
export function toScimError(e: unknown): ScimError {
  if (e instanceof ScimError) return e;
  if (!isDirgateError(e)) return new ScimError(500, 'internal server error');
  switch (e.code) {
    case 'not_found': return new ScimError(404, e.message);
    case 'already_exists': return new ScimError(409, e.message, 'uniqueness');
    case 'invalid_query': return new ScimError(400, e.message, 'invalidFilter');
    case 'invalid_value': return new ScimError(400, e.message, 'invalidValue');
    case 'immutable': return new ScimError(400, e.message, 'mutability');
    case 'unauthenticated': return new ScimError(401, e.message, undefined, { 'WWW-Authenticate': 'Bearer realm="dirgate"' });
    case 'permission_denied': return new ScimError(403, e.message);
    case 'limit_exceeded': {
      const limit = (e as { limit?: string }).limit;
      // A filter over the query engine's size limits is a bad filter; any other limit is tooMany.
      return new ScimError(400, e.message, limit && QUERY_LIMITS.has(limit) ? 'invalidFilter' : 'tooMany');
    }
    case 'precondition_failed': return new ScimError(412, e.message);
    case 'conflict': return new ScimError(409, e.message);
    case 'unavailable': return new ScimError(503, e.message);
    case 'gone': return new ScimError(410, e.message);
    case 'bad_gateway': return new ScimError(502, e.message);
    default: {
      const unhandled: never = e.code;
      return new ScimError(500, `internal server error (${String(unhandled)})`);
    }
  }
}

/** Shorthands for the errors the door raises most. */
export const badRequest = (scimType: ScimType, message: string): ScimError => new ScimError(400, message, scimType);
export const notFound = (message: string): ScimError => new ScimError(404, message);
