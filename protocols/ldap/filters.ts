/**
 * Search filters (RFC 4511 §4.5.1.7): BER → the query engine's plain `LdapFilter`, and a tiny
 * matcher for the few fixed entries (base, ou=users, ou=groups, root DSE) that live in no table.
 * Users and groups are always matched in SQL through `ldapFilterToQuery`, never here.
 */
import type { QueryLimits } from '../../src/config.js';
import { LimitExceeded } from '../../src/domain/errors.js';
import { textProblem } from '../../src/domain/text.js';
import type { LdapFilter } from '../../src/query/ldap-filter.js';
import { BerError, BerReader, TAG } from './ber.js';
import type { EntryAttribute } from './responses.js';
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';

/** A filter's text as the one text rule has it (src/domain/text.ts). @throws LdapError invalidAttributeSyntax (21) */
function text(s: string, what: string): string {
  const problem = textProblem(s);
  if (problem) throw new LdapError(RESULT.invalidAttributeSyntax, `${what} in the filter ${problem}`);
  return s;
}

/**
 * Decodes a filter, refusing trees deeper or larger than the query limits before building them.
 * @throws BerError (malformed), LimitExceeded (too deep or too many terms)
 */
export function decodeFilter(r: BerReader, limits: QueryLimits): LdapFilter {
  const budget = { nodes: 0 };
  return decode(r, limits, 1, budget);
}

function decode(r: BerReader, limits: QueryLimits, depth: number, budget: { nodes: number }): LdapFilter {
  if (depth > limits.maxDepth) throw new LimitExceeded(`filter nests deeper than ${limits.maxDepth} levels`, 'maxDepth');
  if (++budget.nodes > limits.maxNodes) throw new LimitExceeded(`filter has more than ${limits.maxNodes} terms`, 'maxNodes');
  const { tag, content } = r.readElement();
  switch (tag) {
    case 0xa0:
    case 0xa1: {
      const filters: LdapFilter[] = [];
      while (content.hasMore()) filters.push(decode(content, limits, depth + 1, budget));
      return { type: tag === 0xa0 ? 'and' : 'or', filters };
    }
    case 0xa2:
      return { type: 'not', filter: decode(content, limits, depth + 1, budget) };
    case 0xa3: case 0xa5: case 0xa6: case 0xa8: {
      const attribute = text(content.readString(), 'an attribute name');
      const value = text(content.readString(), `the value for ${attribute}`);
      const type = tag === 0xa3 ? 'equal' : tag === 0xa5 ? 'ge' : tag === 0xa6 ? 'le' : 'approx';
      return { type, attribute, value };
    }
    case 0xa4: {
      const attribute = text(content.readString(), 'an attribute name');
      const parts = content.readSequence(TAG.SEQUENCE);
      let initial: string | undefined;
      let final: string | undefined;
      const any: string[] = [];
      while (parts.hasMore()) {
        const p = parts.readElement();
        const part = text(p.content.buf.toString('utf8', p.content.pos, p.content.end), `a substring of ${attribute}`);
        if (p.tag === 0x80) initial = part;
        else if (p.tag === 0x81) any.push(part);
        else if (p.tag === 0x82) final = part;
        else throw new BerError('bad substring choice');
      }
      return { type: 'substring', attribute, any, ...(initial !== undefined ? { initial } : {}), ...(final !== undefined ? { final } : {}) };
    }
    case 0x87:
      return { type: 'present', attribute: text(content.buf.toString('utf8', content.pos, content.end), 'an attribute name') };
    case 0xa9: {
      let rule: string | undefined;
      let attribute: string | undefined;
      let value = '';
      let dnAttributes = false;
      while (content.hasMore()) {
        const t = content.peekTag();
        if (t === 0x81) rule = content.readString(0x81);
        else if (t === 0x82) attribute = content.readString(0x82);
        else if (t === 0x83) value = content.readString(0x83);
        else if (t === 0x84) dnAttributes = content.readBool(0x84);
        else throw new BerError('bad extensible match');
      }
      text(value, 'a matching rule value');
      if (attribute !== undefined) text(attribute, 'an attribute name');
      if (rule !== undefined) text(rule, 'a matching rule');
      return { type: 'ext', value, dnAttributes, ...(rule !== undefined ? { rule } : {}), ...(attribute !== undefined ? { attribute } : {}) };
    }
    default:
      throw new BerError(`unknown filter choice 0x${tag.toString(16)}`);
  }
}

/** The attribute names a filter mentions (lowercased), to decide which fixed entries it can match. */
export function filterAttributes(f: LdapFilter, out = new Set<string>()): Set<string> {
  switch (f.type) {
    case 'and': case 'or': for (const x of f.filters) filterAttributes(x, out); break;
    case 'not': filterAttributes(f.filter, out); break;
    default: if (f.attribute) out.add(f.attribute.toLowerCase());
  }
  return out;
}

/**
 * Three-valued match (RFC 4511 §4.5.1.7) of a fixed entry: true, false, or undefined for an
 * attribute the entry lacks or a rule we do not evaluate here. Comparison ignores case, which
 * suits every attribute such entries carry (objectClass, ou, dc, cn).
 */
export function matchEntry(f: LdapFilter, attrs: readonly EntryAttribute[]): boolean | undefined {
  switch (f.type) {
    case 'and': {
      let result: boolean | undefined = true;
      for (const x of f.filters) {
        const m = matchEntry(x, attrs);
        if (m === false) return false;
        if (m === undefined) result = undefined;
      }
      return result;
    }
    case 'or': {
      let result: boolean | undefined = false;
      for (const x of f.filters) {
        const m = matchEntry(x, attrs);
        if (m === true) return true;
        if (m === undefined) result = undefined;
      }
      return result;
    }
    case 'not': {
      const m = matchEntry(f.filter, attrs);
      return m === undefined ? undefined : !m;
    }
    case 'present':
      return f.attribute.toLowerCase() === 'objectclass' || valuesOf(attrs, f.attribute) !== undefined;
    case 'ext':
      return undefined;
    default: {
      const values = valuesOf(attrs, f.attribute);
      if (!values) return undefined;
      const lower = values.map((v) => v.toLowerCase());
      switch (f.type) {
        case 'equal': case 'approx': return lower.includes(f.value.toLowerCase());
        case 'ge': return lower.some((v) => v >= f.value.toLowerCase());
        case 'le': return lower.some((v) => v <= f.value.toLowerCase());
        case 'substring': return lower.some((v) => substringMatch(v, f.initial?.toLowerCase(), f.any.map((a) => a.toLowerCase()), f.final?.toLowerCase()));
      }
    }
  }
  return undefined;
}

function valuesOf(attrs: readonly EntryAttribute[], name: string): readonly string[] | undefined {
  const lower = name.toLowerCase();
  for (const [n, v] of attrs) if (n.toLowerCase() === lower) return v;
  return undefined;
}

function substringMatch(v: string, initial: string | undefined, any: readonly string[], final: string | undefined): boolean {
  let pos = 0;
  if (initial !== undefined) {
    if (!v.startsWith(initial)) return false;
    pos = initial.length;
  }
  for (const a of any) {
    const i = v.indexOf(a, pos);
    if (i < 0) return false;
    pos = i + a.length;
  }
  return final === undefined || (v.length - final.length >= pos && v.endsWith(final));
}
