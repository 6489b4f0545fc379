/**
 * dirgate errors → LDAP result codes with a diagnostic message: the only place this happens
 * for the LDAP door (STYLE.md rule 5). A driver error never reaches the wire with its own code:
 * the store translates every one (connection failures arrive as Unavailable).
 */
import { isDirgateError } from '../../src/domain/errors.js';
import { InvalidText } from '../../src/domain/text.js';
import { BerError } from './ber.js';
import { RESULT, type ResultCode } from './result-codes.js';

/** An error that already knows its LDAP result (thrown inside protocols/ldap). */
export class LdapError extends Error {
  constructor(readonly resultCode: ResultCode, message: string, readonly matchedDn = '') {
    super(message);
  }
}

export interface Translated {
  readonly code: ResultCode;
  readonly message: string;
  readonly matchedDn: string;
  /** True when the cause was unexpected and worth logging. */
  readonly unexpected: boolean;
}

/** Maps anything thrown while serving an operation to a result code and message. */
export function toLdapResult(e: unknown): Translated {
  const r = (code: ResultCode, message: string, unexpected = false, matchedDn = ''): Translated => ({ code, message, matchedDn, unexpected });
  if (e instanceof LdapError) return r(e.resultCode, e.message, false, e.matchedDn);
  if (e instanceof BerError) return r(RESULT.protocolError, e.message);
  if (isDirgateError(e)) {
    switch (e.code) {
      case 'not_found': return r(RESULT.noSuchObject, e.message);
      case 'already_exists': return r(RESULT.entryAlreadyExists, e.message);
      // NUL in a value (src/domain/text.ts) is a syntax no attribute has: 21, as RFC 4511 §4.1.9 names it.
      case 'invalid_value': return r(e instanceof InvalidText ? RESULT.invalidAttributeSyntax : RESULT.constraintViolation, e.message);
      case 'invalid_query': return r(RESULT.unwillingToPerform, e.message);
      case 'limit_exceeded': return r(RESULT.adminLimitExceeded, e.message);
      case 'unauthenticated': return r(RESULT.invalidCredentials, e.message);
      case 'permission_denied': return r(RESULT.insufficientAccessRights, e.message);
      case 'unavailable': return r(RESULT.unavailable, e.message);
      case 'immutable': case 'precondition_failed': case 'conflict': case 'gone':
        return r(RESULT.unwillingToPerform, e.message);
      case 'bad_gateway': return r(RESULT.other, e.message, true);
    }
  }
  return r(RESULT.other, 'internal error', true);
}
