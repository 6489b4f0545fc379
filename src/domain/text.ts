/**
 * What text dirgate accepts, decided once for every door: no NUL character and no unpaired
 * UTF-16 surrogate, in any string, key or value. PostgreSQL refuses both (text cannot hold
 * U+0000; jsonb refuses `\u0000` and a lone `\ud800`) while SQLite stores them, so accepting
 * them would make the two backends disagree and an LDAP DN or a SCIM value unrepresentable.
 * The doors call these checks on everything they read (HTTP bodies, query strings and path
 * parameters; LDAP DNs, attribute names and values) and answer in their own language.
 */
import { InvalidValue } from './errors.js';

/** Deepest nesting of a JSON request body or value the doors walk (bodies deeper are refused). */
export const JSON_MAX_DEPTH = 64;

// eslint-disable-next-line no-control-regex
const BAD_TEXT = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `s` is not acceptable text, or undefined when it is. */
export function textProblem(s: string): string | undefined {
  if (!BAD_TEXT.test(s)) return undefined;
  return s.includes('\u0000') ? 'must not contain NUL characters' : 'must not contain unpaired UTF-16 surrogates (invalid Unicode)';
}

/**
 * An InvalidValue whose cause is text no backend stores alike: the doors answer it as any
 * invalid value (400, SCIM invalidValue); LDAP answers invalidAttributeSyntax (21) for it.
 */
export class InvalidText extends InvalidValue {
  constructor(field: string, problem: string) {
    super(`${field}: ${problem}`, { [field]: problem });
  }
}

/** `v` when it is a string of acceptable text (non-strings pass). @throws InvalidText naming `field` */
export function checkText<T>(v: T, field: string): T {
  if (typeof v === 'string') {
    const problem = textProblem(v);
    if (problem) throw new InvalidText(field, problem);
  }
  return v;
}

/** A problem found in a JSON value: the field path (`emails[0].value`) and what is wrong. */
export interface JsonProblem {
  readonly field: string;
  readonly problem: string;
}

/**
 * The first bad string (key or value) in a JSON value, or a nesting deeper than `maxDepth`.
 * Iterative, so a hostile body cannot exhaust the stack. `root` names the value itself.
 */
export function findJsonProblem(value: unknown, root = '', maxDepth = JSON_MAX_DEPTH): JsonProblem | undefined {
  const stack: Array<{ v: unknown; path: string; depth: number }> = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return { field: path || 'body', problem };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { field: path || 'body', problem: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], path: `${path}[${i}]`, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(v);
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const at = path ? `${path}.${k}` : k;
      const problem = textProblem(k);
      if (problem) return { field: path ? `${path} (a key)` : 'a key', problem };
      stack.push({ v: (v as Record<string, unknown>)[k], path: at, depth: depth + 1 });
    }
  }
  return undefined;
}

/** @throws InvalidValue (InvalidText for bad text) naming the field of the first problem in `value`. */
export function checkJson(value: unknown, root = '', maxDepth = JSON_MAX_DEPTH): void {
  const p = findJsonProblem(value, root, maxDepth);
  if (p) throw p.problem.startsWith('nests') ? InvalidValue.field(p.field, p.problem) : new InvalidText(p.field, p.problem);
}
