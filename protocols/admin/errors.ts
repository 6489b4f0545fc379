import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import {
  AlreadyExists, DirgateError, InvalidQuery, InvalidValue, LimitExceeded, PermissionDenied, Unauthenticated, type ErrorCode,
} from '../../src/domain/errors.js';

/**
 * The admin door's error language: RFC 9457 problem details (`application/problem+json`).
 * This file is the only place a dirgate error becomes an HTTP status.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Per-field messages for validation failures. */
  errors?: Record<string, string>;
  /** The permission that was missing (403). */
  permission?: string;
  /** 1-based column of a query error. */
  column?: number;
  /** Which configured limit was exceeded. */
  limit?: string;
  /** Why a sign-in was refused, when the client can act on it (`mfa_required`, `password_expired`…). */
  reason?: string;
  /**
   * The rule that refused: a password policy rule (400 `min_length`, `history`, `strength`…) or a
   * delegation rule (403 `no_path_to_superuser`, 409 `last_superuser`, …).
   */
  rule?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The detail of the 401 for a request with no credentials at all (RFC 6750 §3.1: no error code then). */
export const NO_TOKEN_DETAIL = 'this endpoint needs Authorization: Bearer <token>';

const STATUS: Record<ErrorCode, [number, string]> = {
  invalid_value: [400, 'Invalid value'],
  invalid_query: [400, 'Invalid query'],
  immutable: [400, 'Immutable field'],
  limit_exceeded: [400, 'Limit exceeded'],
  unauthenticated: [401, 'Unauthenticated'],
  permission_denied: [403, 'Permission denied'],
  not_found: [404, 'Not found'],
  already_exists: [409, 'Already exists'],
  conflict: [409, 'Conflict'],
  gone: [410, 'Gone'],
  precondition_failed: [412, 'Precondition failed'],
  bad_gateway: [502, 'Bad gateway'],
  unavailable: [503, 'Service unavailable'],
};

/** A stable problem `type` URI per error code. */
export function problemType(code: string): string {
  return `urn:dirgate:problem:${code}`;
}

/** Translates any thrown value into a problem; unknown errors become an opaque 500. */
export function toProblem(err: unknown): Problem {
  if (err instanceof DirgateError) {
    const [status, title] = STATUS[err.code];
    const p: Problem = { type: problemType(err.code), title, status, detail: err.message };
    if (err instanceof InvalidValue && Object.keys(err.fields).length > 0) p.errors = { ...err.fields };
    if (err instanceof AlreadyExists && err.field) p.errors = { [err.field]: err.message };
    if (err instanceof PermissionDenied && err.permission) p.permission = err.permission;
    if (err instanceof Unauthenticated && err.reason) p.reason = err.reason;
    // The rule that refused: a password policy rule (400), a delegation rule (403, 409).
    const rule = (err as { rule?: unknown }).rule;
    if (typeof rule === 'string') p.rule = rule;
    if (err instanceof InvalidQuery) {
      if (err.position !== undefined) p.column = err.position;
      // Once: most messages name their column already (the number is in `column` for programs).
      const named = err.position === undefined || /\bcolumn \d+/.test(err.message);
      p.errors = { search: named ? err.message : `${err.message} (column ${err.position})` };
    }
    if (err instanceof LimitExceeded) {
      if (err.limit) p.limit = err.limit;
      if (err.position !== undefined) p.column = err.position;
    }
    return p;
  }
  // body-parser (express.json) errors carry `type` and `status`.
  const bp = err as { type?: string; status?: number; message?: string };
  if (bp && typeof bp === 'object' && typeof bp.status === 'number' && bp.status >= 400 && bp.status < 500) {
    if (bp.type === 'entity.parse.failed') {
      return { type: problemType('malformed_json'), title: 'Malformed JSON', status: 400, detail: 'the request body is not valid JSON' };
    }
    if (bp.type === 'entity.too.large') {
      return { type: problemType('too_large'), title: 'Payload too large', status: 413, detail: 'the request body is too large' };
    }
    return { type: problemType('bad_request'), title: 'Bad request', status: bp.status, detail: bp.message ?? 'bad request' };
  }
  return { type: problemType('internal'), title: 'Internal server error', status: 500, detail: 'internal server error' };
}

/** Writes a problem response (with `WWW-Authenticate` on 401, as RFC 6750 §3 asks). */
export function sendProblem(res: Response, problem: Problem): void {
  if (problem.status === 401) {
    const desc = problem.detail.replace(/["\\]/g, '');
    res.set('WWW-Authenticate', problem.detail === NO_TOKEN_DETAIL
      ? 'Bearer realm="dirgate"'
      : `Bearer realm="dirgate", error="invalid_token", error_description="${desc}"`);
  }
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** The express error middleware of /api/v1: every error leaves as problem JSON, never a stack. */
export function problemHandler(log: Logger) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const problem = toProblem(err);
    if (problem.status >= 500) log.error({ err, method: req.method, path: req.originalUrl }, 'admin API error');
    if (res.headersSent) {
      res.end();
      return;
    }
    sendProblem(res, problem);
  };
}

/** 404 for a path under /api/v1 that no route serves. */
export function notFoundHandler(req: Request, res: Response): void {
  sendProblem(res, { type: problemType('not_found'), title: 'Not found', status: 404, detail: `no endpoint ${req.method} ${req.baseUrl}${req.path}` });
}
