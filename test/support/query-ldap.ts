/**
 * Test support: parses an RFC 4515 filter string with ldapjs and converts it to our plain
 * `LdapFilter`, the way protocols/ldap does (src/ never imports ldapjs).
 */
import ldap from 'ldapjs';
import type { LdapFilter } from '../../src/query/ldap-filter.js';

interface LdapjsFilter {
  readonly type: string;
  readonly attribute?: string;
  readonly value?: unknown;
  readonly filters?: readonly LdapjsFilter[];
  readonly filter?: LdapjsFilter;
  readonly initial?: string;
  readonly any?: readonly string[];
  readonly final?: string;
  readonly matchingRule?: string;
  readonly dnAttributes?: boolean;
}

/**
 * ldapjs keeps RFC 4515 escapes (`\2a`) in values parsed from a string; filters decoded from
 * BER carry raw values. Our `LdapFilter` takes raw values, so undo the escapes here.
 */
function unescape(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === '\\' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(s[i]!, 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function str(v: unknown): string {
  return Buffer.isBuffer(v) ? v.toString('utf8') : unescape(String(v ?? ''));
}

/** Converts an ldapjs filter object to `LdapFilter`. */
export function fromLdapjs(f: LdapjsFilter): LdapFilter {
  switch (f.type) {
    case 'AndFilter': return { type: 'and', filters: (f.filters ?? []).map(fromLdapjs) };
    case 'OrFilter': return { type: 'or', filters: (f.filters ?? []).map(fromLdapjs) };
    case 'NotFilter': return { type: 'not', filter: fromLdapjs(f.filter!) };
    case 'EqualityFilter': return { type: 'equal', attribute: f.attribute!, value: str(f.value) };
    case 'GreaterThanEqualsFilter': return { type: 'ge', attribute: f.attribute!, value: str(f.value) };
    case 'LessThanEqualsFilter': return { type: 'le', attribute: f.attribute!, value: str(f.value) };
    case 'ApproximateFilter': return { type: 'approx', attribute: f.attribute!, value: str(f.value) };
    case 'PresenceFilter': return { type: 'present', attribute: f.attribute! };
    case 'SubstringFilter': return {
      type: 'substring', attribute: f.attribute!, any: (f.any ?? []).map(str),
      ...(f.initial ? { initial: str(f.initial) } : {}), ...(f.final ? { final: str(f.final) } : {}),
    };
    case 'ExtensibleFilter': return {
      type: 'ext', value: str(f.value),
      ...(f.attribute ? { attribute: f.attribute } : {}),
      ...(f.matchingRule ? { rule: f.matchingRule } : {}),
      ...(f.dnAttributes ? { dnAttributes: true } : {}),
    };
    default: throw new Error(`unknown ldapjs filter ${f.type}`);
  }
}

/** `(uid=x)` → `LdapFilter`. */
export function ldapFilter(text: string): LdapFilter {
  return fromLdapjs(ldap.parseFilter(text) as unknown as LdapjsFilter);
}
