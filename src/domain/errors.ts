/**
 * The one error taxonomy of dirgate's core. `src/` throws only these; each door translates
 * them (protocols/scim/errors, protocols/ldap/errors, protocols/admin/errors).
 */
export type ErrorCode =
  | 'not_found'
  | 'already_exists'
  | 'invalid_query'
  | 'invalid_value'
  | 'immutable'
  | 'unauthenticated'
  | 'permission_denied'
  | 'limit_exceeded'
  | 'unavailable'
  | 'precondition_failed'
  | 'conflict'
  | 'gone'
  | 'bad_gateway';

export abstract class DirgateError extends Error {
  abstract readonly code: ErrorCode;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

export class NotFound extends DirgateError {
  readonly code = 'not_found' as const;
}

export class AlreadyExists extends DirgateError {
  readonly code = 'already_exists' as const;
  constructor(message: string, readonly field?: string) {
    super(message);
  }
}

/** A query that does not parse or does not fit the schema; `position` is the 1-based column. */
export class InvalidQuery extends DirgateError {
  readonly code = 'invalid_query' as const;
  constructor(message: string, readonly position?: number) {
    super(message);
  }
}

/** One or more fields carry bad values; `fields` maps a field name to its problem. */
export class InvalidValue extends DirgateError {
  readonly code = 'invalid_value' as const;
  readonly fields: Readonly<Record<string, string>>;
  constructor(message: string, fields: Record<string, string> = {}) {
    super(message);
    this.fields = fields;
  }
  static field(field: string, problem: string): InvalidValue {
    return new InvalidValue(`${field}: ${problem}`, { [field]: problem });
  }
}

export class Immutable extends DirgateError {
  readonly code = 'immutable' as const;
}

export class Unauthenticated extends DirgateError {
  readonly code = 'unauthenticated' as const;
  /** Why, when the client can act on it (`mfa_required`, `password_expired`…). */
  constructor(message: string, readonly reason?: string) {
    super(message);
  }
}

/** Refused: `permission` names a missing permission, `rule` a delegation rule (src/services/delegation-rules.ts). */
export class PermissionDenied extends DirgateError {
  readonly code = 'permission_denied' as const;
  constructor(message: string, readonly permission?: string, readonly rule?: string) {
    super(message);
  }
}

/** A query or request over a configured limit; `limit` names which one. */
export class LimitExceeded extends DirgateError {
  readonly code = 'limit_exceeded' as const;
  constructor(message: string, readonly limit?: string, readonly position?: number) {
    super(message);
  }
}

export class Unavailable extends DirgateError {
  readonly code = 'unavailable' as const;
}

/** An `If-Match` style version check failed. */
export class PreconditionFailed extends DirgateError {
  readonly code = 'precondition_failed' as const;
}

/** The request conflicts with the current state (e.g. a group cycle). */
export class Conflict extends DirgateError {
  readonly code = 'conflict' as const;
  /** The rule that refused, when one did (e.g. `last_superuser`). */
  constructor(message: string, readonly rule?: string) {
    super(message);
  }
}

/** Something that existed is no longer usable (an expired or used recovery link). */
export class Gone extends DirgateError {
  readonly code = 'gone' as const;
}

/** An upstream server (SMTP) refused or failed. */
export class BadGateway extends DirgateError {
  readonly code = 'bad_gateway' as const;
}

export function isDirgateError(e: unknown): e is DirgateError {
  return e instanceof DirgateError;
}
