/**
 * The LDAP password policy control (draft-behera-ldap-password-policy-10 §6.1–6.2,
 * 1.3.6.1.4.1.42.2.27.8.5.1), as `ldapwhoami -e ppolicy`, SSSD and pam_ldap send it on a bind:
 * the response control carries a warning (time before expiration) and/or an error (expired,
 * locked, change after reset). Encoded as OpenLDAP does: warning `[0]` constructed holding
 * `[0] timeBeforeExpiration` or `[1] graceAuthNsRemaining`; error `[1]` ENUMERATED.
 */
import { BerWriter } from './ber.js';
import type { Control } from './messages.js';
import type { ResponseControl } from './responses.js';
import { CONTROL } from './root-dse.js';

export const PASSWORD_POLICY_OID = CONTROL.PASSWORD_POLICY;

export const PPOLICY_ERROR = {
  passwordExpired: 0,
  accountLocked: 1,
  changeAfterReset: 2,
  passwordModNotAllowed: 3,
  mustSupplyOldPassword: 4,
  insufficientPasswordQuality: 5,
  passwordTooShort: 6,
  passwordTooYoung: 7,
  passwordInHistory: 8,
} as const;

export type PpolicyError = (typeof PPOLICY_ERROR)[keyof typeof PPOLICY_ERROR];

export interface PpolicyResponse {
  readonly timeBeforeExpiration?: number;
  readonly graceAuthNsRemaining?: number;
  readonly error?: PpolicyError;
}

/** Whether the request asked for the control (its value is empty by definition). */
export function wantsPasswordPolicy(controls: readonly Control[]): boolean {
  return controls.some((c) => c.oid === PASSWORD_POLICY_OID);
}

/** The response control for `r`. */
export function passwordPolicyControl(r: PpolicyResponse): ResponseControl {
  const w = new BerWriter(32);
  w.startSequence();
  if (r.timeBeforeExpiration !== undefined || r.graceAuthNsRemaining !== undefined) {
    w.startSequence(0xa0);
    if (r.timeBeforeExpiration !== undefined) w.writeInt(Math.max(0, r.timeBeforeExpiration), 0x80);
    else w.writeInt(Math.max(0, r.graceAuthNsRemaining!), 0x81);
    w.endSequence();
  }
  if (r.error !== undefined) w.writeInt(r.error, 0x81);
  w.endSequence();
  return { oid: PASSWORD_POLICY_OID, value: Buffer.from(w.toBuffer()) };
}
