/**
 * Test support: an RFC 4515 filter string → our plain `LdapFilter`, the way the server gets
 * it: ldapts (a real client) writes the filter's BER, and the production decoder
 * (protocols/ldap/filters.ts) reads it.
 */
import { BerWriter, FilterParser } from 'ldapts';
import { BerReader } from '../../protocols/ldap/ber.js';
import { decodeFilter } from '../../protocols/ldap/filters.js';
import type { LdapFilter } from '../../src/query/ldap-filter.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';

/** The BER a client sends for `text`. */
export function filterBer(text: string): Buffer {
  const w = new BerWriter();
  FilterParser.parseString(text).write(w);
  return w.buffer;
}

/** `(uid=x)` → `LdapFilter`, through the server's own BER decoder. */
export function ldapFilter(text: string): LdapFilter {
  return decodeFilter(new BerReader(filterBer(text)), DEFAULT_QUERY_LIMITS);
}
