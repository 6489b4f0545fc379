/**
 * RFC 4511 §4.6 value arithmetic for one attribute: add (each value must be new), delete
 * (listed values must be present; no values removes the attribute, which must exist),
 * replace (the new set, possibly empty). Pure, so Modify can apply every change of a request
 * to a copy of the entry and write nothing when one of them fails.
 */
import { LdapError } from './errors.js';
import { RESULT } from './result-codes.js';

export interface ValueRules {
  /** Values compare ignoring case (cn, mail, displayName, sn …). */
  readonly caseIgnore: boolean;
  /** At most one value. */
  readonly single: boolean;
}

/**
 * The attribute's values after one change.
 * @throws LdapError 20 (value exists), 16 (no such value or attribute), 19 (single-valued), 53 (increment)
 */
export function applyValues(
  attribute: string, current: readonly string[], operation: 'add' | 'delete' | 'replace' | 'increment', values: readonly string[], rules: ValueRules,
): string[] {
  const key = (v: string) => (rules.caseIgnore ? v.toLowerCase() : v);
  const unique = (list: readonly string[]) => {
    const seen = new Set<string>();
    for (const v of list) {
      if (seen.has(key(v))) throw new LdapError(RESULT.attributeOrValueExists, `${attribute}: the value ${v} is given twice`);
      seen.add(key(v));
    }
    return list;
  };
  let next: string[];
  switch (operation) {
    case 'add': {
      if (values.length === 0) throw new LdapError(RESULT.protocolError, `${attribute}: an add needs at least one value`);
      const have = new Set(current.map(key));
      for (const v of unique(values)) {
        if (have.has(key(v))) throw new LdapError(RESULT.attributeOrValueExists, `${attribute}: the value ${v} is already present`);
      }
      next = [...current, ...values];
      break;
    }
    case 'delete': {
      if (current.length === 0) throw new LdapError(RESULT.noSuchAttribute, `${attribute}: the entry has no such attribute`);
      if (values.length === 0) return [];
      const drop = new Set(unique(values).map(key));
      const have = new Set(current.map(key));
      for (const v of values) if (!have.has(key(v))) throw new LdapError(RESULT.noSuchAttribute, `${attribute}: the entry has no value ${v}`);
      next = current.filter((v) => !drop.has(key(v)));
      break;
    }
    case 'replace':
      next = [...unique(values)];
      break;
    case 'increment':
      throw new LdapError(RESULT.unwillingToPerform, `${attribute}: increment (RFC 4525) is not supported`);
  }
  if (rules.single && next.length > 1) throw new LdapError(RESULT.constraintViolation, `${attribute}: holds a single value`);
  return next;
}
