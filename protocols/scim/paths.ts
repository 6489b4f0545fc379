/**
 * PATCH paths (RFC 7644 §3.5.2: `attrPath [ "[" valFilter "]" ] [ "." subAttr ]`, optionally
 * URN-qualified) resolved against the schema, and value filters evaluated on the elements of
 * a multi-valued attribute (`emails[type eq "work"]`, `members[value eq "…"]`).
 */
import { parse, type Filter } from 'scim2-parse-filter';
import { isObject, type Json } from './canonical.js';
import { badRequest } from './errors.js';
import { findAttr, schemaById, splitSchema, topLevelAttributes, type AttrDef, type ResourceTypeDef } from './schemas.js';

/** A resolved PATCH path. `attr` undefined means the whole extension object `extension`. */
export interface ScimPath {
  readonly text: string;
  /** The extension URN the attribute lives under, or undefined for core/common attributes. */
  readonly extension?: string;
  readonly attr?: AttrDef;
  readonly filter?: Filter;
  /** A sub-attribute of `attr` (its definition, or a free key of the dirgate `attributes`). */
  readonly sub?: { readonly name: string; readonly def?: AttrDef };
}

/** @throws ScimError 400 invalidPath / invalidFilter */
export function parsePath(text: string, type: ResourceTypeDef): ScimPath {
  const split = splitSchema(text.trim(), type);
  if (!split) throw badRequest('invalidPath', `unknown schema in path "${text}"`);
  const { extension, rest } = split;
  if (rest === '') {
    if (!extension) throw badRequest('invalidPath', `path "${text}" names no attribute`);
    return { text, extension };
  }
  let filter: Filter | undefined;
  let subName: string | undefined;
  const open = rest.indexOf('[');
  let name: string;
  if (open >= 0) {
    const close = rest.lastIndexOf(']');
    if (close < open) throw badRequest('invalidPath', `unbalanced "[" in path "${text}"`);
    name = rest.slice(0, open);
    try {
      filter = parse(rest.slice(open + 1, close));
    } catch (e) {
      throw badRequest('invalidFilter', `invalid filter in path "${text}": ${(e as Error).message}`);
    }
    const after = rest.slice(close + 1);
    if (after !== '') {
      if (!after.startsWith('.')) throw badRequest('invalidPath', `unexpected "${after}" in path "${text}"`);
      subName = after.slice(1);
    }
  } else {
    const dot = rest.indexOf('.');
    name = dot >= 0 ? rest.slice(0, dot) : rest;
    if (dot >= 0) subName = rest.slice(dot + 1);
  }
  const defs = extension ? schemaById(extension)!.attributes : topLevelAttributes(type);
  const attr = findAttr(defs, name);
  if (!attr) throw badRequest('invalidPath', `unknown attribute "${name}" in path "${text}"`);
  if (filter && !attr.multiValued) throw badRequest('invalidPath', `"${attr.name}" is not multi-valued; a filter does not apply`);
  let sub: ScimPath['sub'];
  if (subName !== undefined) {
    if (attr.type !== 'complex') throw badRequest('invalidPath', `"${attr.name}" has no sub-attributes`);
    const free = !attr.subAttributes || attr.subAttributes.length === 0;
    const def = findAttr(attr.subAttributes, subName);
    if (!def && !free) throw badRequest('invalidPath', `unknown sub-attribute "${subName}" of "${attr.name}"`);
    if (subName === '' || subName.includes('.')) throw badRequest('invalidPath', `invalid sub-attribute in path "${text}"`);
    sub = def ? { name: def.name, def } : { name: subName };
  }
  return { text, ...(extension ? { extension } : {}), attr, ...(filter ? { filter } : {}), ...(sub ? { sub } : {}) };
}

function field(el: Json, name: string): unknown {
  const lower = name.toLowerCase();
  for (const [k, v] of Object.entries(el)) if (k.toLowerCase() === lower) return v;
  return undefined;
}

function cmp(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'string' && typeof b === 'string') {
    const x = a.toLowerCase();
    const y = b.toLowerCase();
    return x < y ? -1 : x > y ? 1 : 0;
  }
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' || typeof b === 'boolean') {
    const norm = (v: unknown) => (typeof v === 'string' && /^(true|false)$/i.test(v) ? v.toLowerCase() === 'true' : v);
    return norm(a) === norm(b) ? 0 : undefined;
  }
  return undefined;
}

/**
 * Whether one element of a multi-valued attribute matches a value filter. Sub-attribute names
 * ignore case and so do string values (the sub-attributes we filter on are not caseExact).
 */
export function matchesElement(f: Filter, el: unknown): boolean {
  const obj: Json = isObject(el) ? el : { value: el };
  const node = f as { op: string; attrPath?: string; compValue?: unknown; filters?: Filter[]; filter?: Filter };
  switch (node.op.toLowerCase()) {
    case 'and': return node.filters!.every((x) => matchesElement(x, obj));
    case 'or': return node.filters!.some((x) => matchesElement(x, obj));
    case 'not': return !matchesElement(node.filter!, obj);
    case 'pr': {
      const v = field(obj, node.attrPath!);
      return v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);
    }
    case '[]': throw badRequest('invalidFilter', 'value paths cannot nest');
    default: {
      const v = field(obj, node.attrPath!);
      const op = node.op.toLowerCase();
      const c = cmp(v, node.compValue);
      const s = typeof v === 'string' && typeof node.compValue === 'string' ? [v.toLowerCase(), node.compValue.toLowerCase()] as const : undefined;
      switch (op) {
        case 'eq': return c === 0 || (v === undefined && node.compValue === null);
        case 'ne': return c !== 0;
        case 'co': return !!s && s[0].includes(s[1]);
        case 'sw': return !!s && s[0].startsWith(s[1]);
        case 'ew': return !!s && s[0].endsWith(s[1]);
        case 'gt': return c !== undefined && c > 0;
        case 'ge': return c !== undefined && c >= 0;
        case 'lt': return c !== undefined && c < 0;
        case 'le': return c !== undefined && c <= 0;
        default: throw badRequest('invalidFilter', `unknown operator "${node.op}"`);
      }
    }
  }
}

/**
 * The sub-attribute values a filter pins with `eq` (`type eq "work" and primary eq true`), so
 * an element can be created from it; undefined when the filter says more than that.
 */
export function equalities(f: Filter): Json | undefined {
  const node = f as { op: string; attrPath?: string; compValue?: unknown; filters?: Filter[] };
  const op = node.op.toLowerCase();
  if (op === 'eq' && node.attrPath && !node.attrPath.includes('.')) return { [node.attrPath]: node.compValue };
  if (op === 'and') {
    const out: Json = {};
    for (const x of node.filters!) {
      const part = equalities(x);
      if (!part) return undefined;
      Object.assign(out, part);
    }
    return out;
  }
  return undefined;
}

/** The ids a members filter names, when it is `value eq "…"` or an `or` of those. */
export function memberIdsOf(f: Filter): string[] | undefined {
  const node = f as { op: string; attrPath?: string; compValue?: unknown; filters?: Filter[] };
  const op = node.op.toLowerCase();
  if (op === 'eq' && node.attrPath?.toLowerCase() === 'value' && typeof node.compValue === 'string') return [node.compValue];
  if (op === 'or') {
    const out: string[] = [];
    for (const x of node.filters!) {
      const ids = memberIdsOf(x);
      if (!ids) return undefined;
      out.push(...ids);
    }
    return out;
  }
  return undefined;
}
