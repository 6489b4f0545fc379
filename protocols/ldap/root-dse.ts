/**
 * The root DSE (RFC 4512 §5.1): what `ldapsearch -b "" -s base` shows. It lists exactly the
 * controls, extensions and features this listener implements — clients (SSSD, Apache Directory
 * Studio) decide what to send from it. SSSD expects a single `namingContexts` value.
 */
import { readFileSync } from 'node:fs';
import type { Dit } from './dit.js';
import { SUBSCHEMA_DN } from './dit.js';
import type { EntryAttribute } from './responses.js';

export const CONTROL = {
  PAGED_RESULTS: '1.2.840.113556.1.4.319',
  SORT_REQUEST: '1.2.840.113556.1.4.473',
  SORT_RESPONSE: '1.2.840.113556.1.4.474',
  /** RFC 4527 Pre-Read and Post-Read (Add, Modify, Delete, ModifyDN). */
  PRE_READ: '1.3.6.1.1.13.1',
  POST_READ: '1.3.6.1.1.13.2',
  /** draft-behera-ldap-password-policy: on binds (protocols/ldap/password-policy-control.ts). */
  PASSWORD_POLICY: '1.3.6.1.4.1.42.2.27.8.5.1',
} as const;

export const EXTENSION = {
  PASSWORD_MODIFY: '1.3.6.1.4.1.4203.1.11.1',
  WHO_AM_I: '1.3.6.1.4.1.4203.1.11.3',
  START_TLS: '1.3.6.1.4.1.1466.20037',
} as const;

export const FEATURE = {
  /** RFC 3673: `+` requests all operational attributes. */
  ALL_OPERATIONAL: '1.3.6.1.4.1.4203.1.5.1',
  /** RFC 4526: absolute true `(&)` and false `(|)` filters. */
  ABSOLUTE_FILTERS: '1.3.6.1.4.1.4203.1.5.3',
} as const;

function readVersion(): string {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const v = (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string });
      if (v.name === 'dirgate' && v.version) return v.version;
    } catch { /* try the next location */ }
  }
  return 'unknown';
}

export const VENDOR_VERSION = readVersion();

/** All attributes of the root DSE; `tls` says whether StartTLS is offered. */
export function rootDse(dit: Dit, tls: boolean): EntryAttribute[] {
  const extensions: string[] = [EXTENSION.PASSWORD_MODIFY, EXTENSION.WHO_AM_I];
  if (tls) extensions.push(EXTENSION.START_TLS);
  return [
    ['objectClass', ['top', 'extensibleObject']],
    ['namingContexts', [dit.baseDn]],
    ['defaultNamingContext', [dit.baseDn]],
    ['supportedLDAPVersion', ['3']],
    ['supportedControl', [CONTROL.PAGED_RESULTS, CONTROL.SORT_REQUEST, CONTROL.PRE_READ, CONTROL.POST_READ, CONTROL.PASSWORD_POLICY]],
    ['supportedExtension', extensions],
    ['supportedFeatures', [FEATURE.ALL_OPERATIONAL, FEATURE.ABSOLUTE_FILTERS]],
    ['subschemaSubentry', [SUBSCHEMA_DN]],
    ['vendorName', ['dirgate']],
    ['vendorVersion', [`dirgate ${VENDOR_VERSION}`]],
  ];
}
