/** LDAP result codes (RFC 4511 §4.1.9 and Appendix A) used by this listener. */
export const RESULT = {
  success: 0,
  operationsError: 1,
  protocolError: 2,
  timeLimitExceeded: 3,
  sizeLimitExceeded: 4,
  compareFalse: 5,
  compareTrue: 6,
  authMethodNotSupported: 7,
  strongerAuthRequired: 8,
  adminLimitExceeded: 11,
  unavailableCriticalExtension: 12,
  confidentialityRequired: 13,
  noSuchAttribute: 16,
  undefinedAttributeType: 17,
  constraintViolation: 19,
  attributeOrValueExists: 20,
  invalidAttributeSyntax: 21,
  noSuchObject: 32,
  invalidDNSyntax: 34,
  inappropriateAuthentication: 48,
  invalidCredentials: 49,
  insufficientAccessRights: 50,
  busy: 51,
  unavailable: 52,
  unwillingToPerform: 53,
  namingViolation: 64,
  objectClassViolation: 65,
  notAllowedOnNonLeaf: 66,
  notAllowedOnRDN: 67,
  entryAlreadyExists: 68,
  other: 80,
} as const;

export type ResultCode = (typeof RESULT)[keyof typeof RESULT];

const NAMES = new Map<number, string>(Object.entries(RESULT).map(([name, code]) => [code, name]));

/** The RFC 4511 name of a result code (`noSuchObject`), or its number for one we never send. */
export function resultName(code: number): string {
  return NAMES.get(code) ?? String(code);
}
