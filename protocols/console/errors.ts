import { isDirgateError, type DirgateError } from '../../src/domain/errors.js';

/** A dirgate error as the console shows it: an HTTP status and the service's own text. */
export function describeError(e: DirgateError): { status: number; text: string } {
  switch (e.code) {
    case 'not_found': return { status: 404, text: e.message };
    case 'permission_denied': return { status: 403, text: `Not allowed: ${e.message}` };
    case 'unauthenticated': return { status: 401, text: e.message };
    case 'invalid_value':
    case 'invalid_query':
    case 'immutable':
    case 'limit_exceeded': return { status: 422, text: e.message };
    case 'already_exists':
    case 'conflict':
    case 'precondition_failed': return { status: 409, text: e.message };
    case 'gone': return { status: 410, text: e.message };
    case 'unavailable': return { status: 503, text: e.message };
    case 'bad_gateway': return { status: 502, text: e.message };
  }
}

/** Field problems of an InvalidValue / AlreadyExists, by field name. */
export function fieldErrors(e: unknown): Record<string, string> {
  if (!isDirgateError(e)) return {};
  if (e.code === 'invalid_value') return { ...(e as unknown as { fields: Record<string, string> }).fields };
  if (e.code === 'already_exists') {
    const f = (e as unknown as { field?: string }).field;
    return { [f ?? 'username']: e.message };
  }
  return {};
}
