/**
 * PATCH (RFC 7644 §3.5.2) applied to a canonical SCIM document in memory: add, replace and
 * remove, with and without a path, value filters, sub-attributes and extension paths. The
 * caller turns the patched document back into a domain update, so PATCH and PUT share one
 * mapping. Group membership is handed to an interceptor instead, so it becomes a delta and
 * concurrent member changes never overwrite each other.
 */
import { isDeepStrictEqual } from 'node:util';
import { canonicalElement, canonicalValue, isObject, type Json } from './canonical.js';
import { badRequest } from './errors.js';
import { equalities, matchesElement, parsePath, type ScimPath } from './paths.js';
import { PATCH_SCHEMA, type ResourceTypeDef } from './schemas.js';

export type PatchOpName = 'add' | 'replace' | 'remove';

export interface PatchOp {
  readonly op: PatchOpName;
  readonly path?: string;
  readonly value?: unknown;
}

/** Takes over operations on some paths (Group `members`); returns true when it handled one. */
export type Interceptor = (op: PatchOpName, path: ScimPath, value: unknown) => boolean;

/**
 * The operations of a PatchOp request body.
 * @throws ScimError 400 invalidSyntax / invalidValue
 */
export function parsePatchRequest(body: unknown): PatchOp[] {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a PatchOp object');
  const schemas = body.schemas;
  if (schemas !== undefined && (!Array.isArray(schemas) || !schemas.some((s) => typeof s === 'string' && s.toLowerCase() === PATCH_SCHEMA.toLowerCase()))) {
    throw badRequest('invalidSyntax', `schemas must contain ${PATCH_SCHEMA}`);
  }
  const key = Object.keys(body).find((k) => k.toLowerCase() === 'operations');
  const ops = key ? body[key] : undefined;
  if (!Array.isArray(ops) || ops.length === 0) throw badRequest('invalidSyntax', 'Operations must be a non-empty list');
  return ops.map((raw, i) => {
    if (!isObject(raw)) throw badRequest('invalidSyntax', `Operations[${i}] must be an object`);
    const get = (name: string) => raw[Object.keys(raw).find((k) => k.toLowerCase() === name) ?? name];
    // Microsoft Entra ID capitalises op names ("Add", "Replace", "Remove"); RFC 7644 spells them
    // in lower case. Accept any case.
    const opName = typeof get('op') === 'string' ? (get('op') as string).toLowerCase() : '';
    if (opName !== 'add' && opName !== 'replace' && opName !== 'remove') {
      throw badRequest('invalidSyntax', `Operations[${i}].op must be add, replace or remove`);
    }
    const path = get('path');
    if (path !== undefined && path !== null && typeof path !== 'string') throw badRequest('invalidPath', `Operations[${i}].path must be a string`);
    const value = get('value');
    if (opName !== 'remove' && value === undefined) throw badRequest('invalidValue', `Operations[${i}] (${opName}) needs a value`);
    return { op: opName, ...(typeof path === 'string' && path !== '' ? { path } : {}), ...(value !== undefined ? { value } : {}) };
  });
}

/**
 * Applies `ops` to `doc` (mutated) in order.
 * @throws ScimError 400 invalidPath / noTarget / mutability / invalidValue / invalidFilter
 */
export function applyPatch(doc: Json, ops: readonly PatchOp[], type: ResourceTypeDef, intercept?: Interceptor): void {
  for (const op of ops) {
    if (op.path === undefined) {
      if (op.op === 'remove') throw badRequest('noTarget', 'remove needs a path');
      if (!isObject(op.value)) throw badRequest('invalidValue', `${op.op} without a path needs an object value`);
      // Okta sends `{"op":"replace","value":{"active":false}}` and Microsoft Entra ID sends
      // pathless replaces with dotted keys (`"name.givenName"`): each key is treated as a path
      // (an extension URN key names the extension object, whose members apply one by one).
      for (const [key, value] of Object.entries(op.value)) {
        if (key.toLowerCase() !== 'schemas') applyAt(doc, op.op, parsePath(key, type), value, type, intercept);
      }
    } else {
      applyAt(doc, op.op, parsePath(op.path, type), op.value, type, intercept);
    }
  }
}

function applyAt(doc: Json, op: PatchOpName, path: ScimPath, value: unknown, type: ResourceTypeDef, intercept?: Interceptor): void {
  if (intercept?.(op, path, value)) return;
  if (!path.attr) {
    const ext = path.extension!;
    if (op === 'remove') { delete doc[ext]; return; }
    if (!isObject(value)) throw badRequest('invalidValue', `the value for ${ext} must be an object`);
    for (const [k, v] of Object.entries(value)) applyAt(doc, op, parsePath(`${ext}:${k}`, type), v, type, intercept);
    return;
  }
  const container: Json = path.extension
    ? (isObject(doc[path.extension]) ? doc[path.extension] as Json : (doc[path.extension] = {}) as Json)
    : doc;
  const attr = path.attr;
  if (checkMutability(path, op, value, container[attr.name])) return;
  if (!attr.multiValued) applySingle(container, op, path, value);
  else applyMulti(container, op, path, value);
  if (path.extension && Object.keys(container).length === 0) delete doc[path.extension];
}

/** Returns true when the operation is a no-op on a read-only attribute (Okta echoes `id`). */
function checkMutability(path: ScimPath, op: PatchOpName, value: unknown, current: unknown): boolean {
  const attr = path.attr!;
  const readOnly = attr.mutability === 'readOnly' || path.sub?.def?.mutability === 'readOnly';
  if (readOnly) {
    // Okta includes the resource's own `id` in pathless replaces; the same value changes nothing.
    if (op !== 'remove' && !path.sub && !path.filter && isDeepStrictEqual(value, current)) return true;
    throw badRequest('mutability', `${path.text} is read-only`);
  }
  if (attr.mutability === 'immutable' && current !== undefined && current !== null && !isDeepStrictEqual(value, current)) {
    throw badRequest('mutability', `${path.text} is immutable`);
  }
  return false;
}

function setOrDelete(obj: Json, key: string, value: unknown): void {
  if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) delete obj[key];
  else obj[key] = value;
}

function subValue(path: ScimPath, value: unknown): unknown {
  const sub = path.sub!;
  return sub.def ? canonicalValue(value, sub.def, `${path.attr!.name}.${sub.name}`) : value;
}

function applySingle(container: Json, op: PatchOpName, path: ScimPath, value: unknown): void {
  const attr = path.attr!;
  if (path.sub) {
    const current = container[attr.name];
    if (op === 'remove') {
      if (isObject(current)) {
        delete current[path.sub.name];
        if (Object.keys(current).length === 0) delete container[attr.name];
      }
      return;
    }
    const obj = isObject(current) ? current : (container[attr.name] = {}) as Json;
    setOrDelete(obj, path.sub.name, subValue(path, value));
    if (Object.keys(obj).length === 0) delete container[attr.name];
    return;
  }
  if (op === 'remove') { delete container[attr.name]; return; }
  const v = canonicalValue(value, attr, attr.name);
  const current = container[attr.name];
  // RFC 7644 §3.5.2.1/.3: a complex value adds or replaces the sub-attributes it names and
  // leaves the others alone.
  if (attr.type === 'complex' && isObject(v) && isObject(current) && attr.subAttributes && attr.subAttributes.length > 0) {
    for (const [k, x] of Object.entries(v)) setOrDelete(current, k, x);
    if (Object.keys(current).length === 0) delete container[attr.name];
  } else {
    setOrDelete(container, attr.name, v);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  const va = isObject(a) ? a.value : a;
  const vb = isObject(b) ? b.value : b;
  if (typeof va === 'string' && typeof vb === 'string') return va.toLowerCase() === vb.toLowerCase();
  return isDeepStrictEqual(va, vb);
}

/** Only one element may be primary (RFC 7643 §2.4): the last one set wins. */
function onePrimary(list: Json[], chosen: readonly Json[]): void {
  const winner = [...chosen].reverse().find((el) => el.primary === true);
  if (!winner) return;
  for (const el of list) if (el !== winner && el.primary === true) el.primary = false;
}

function applyMulti(container: Json, op: PatchOpName, path: ScimPath, value: unknown): void {
  const attr = path.attr!;
  let list: Json[] = Array.isArray(container[attr.name]) ? (container[attr.name] as Json[]) : [];
  const store = () => setOrDelete(container, attr.name, list);
  if (!path.filter) {
    if (path.sub) {
      const v = op === 'remove' ? undefined : subValue(path, value);
      for (const el of list) setOrDelete(el, path.sub.name, v);
      store();
      return;
    }
    const items = value === undefined || value === null ? [] : (canonicalValue(value, attr, attr.name) as Json[]);
    if (op === 'remove') {
      // Microsoft Entra ID removes members as {"op":"Remove","path":"members","value":[{"value":"<id>"}]}
      // rather than with a value filter: with a value, remove just the listed values.
      list = items.length > 0 ? list.filter((el) => !items.some((d) => sameValue(d, el))) : [];
    } else if (op === 'add') {
      for (const item of items) {
        const existing = list.find((el) => sameValue(el, item));
        if (existing) Object.assign(existing, item);
        else list.push(item);
      }
      onePrimary(list, items);
    } else {
      list = items;
      onePrimary(list, items);
    }
    store();
    return;
  }
  const matches = list.filter((el) => matchesElement(path.filter!, el));
  if (op === 'remove') {
    if (path.sub) for (const el of matches) delete el[path.sub.name];
    else list = list.filter((el) => !matches.includes(el));
    store();
    return;
  }
  if (matches.length === 0) {
    const eqs = equalities(path.filter);
    if (!eqs || !path.sub) throw badRequest('noTarget', `no value of ${attr.name} matches ${path.text}`);
    // Microsoft Entra ID adds and replaces `emails[type eq "work"].value` (and phoneNumbers,
    // addresses alike) whether or not such an element exists: create it from the filter.
    const el = canonicalElement({ ...eqs, [path.sub.name]: value }, attr, attr.name) as Json;
    list.push(el);
    onePrimary(list, [el]);
    store();
    return;
  }
  if (path.sub) {
    const v = subValue(path, value);
    for (const el of matches) setOrDelete(el, path.sub.name, v);
  } else {
    const v = canonicalElement(value, attr, attr.name);
    if (!isObject(v)) throw badRequest('invalidValue', `the value for ${path.text} must be an object`);
    for (const el of matches) Object.assign(el, v);
  }
  onePrimary(list, matches);
  store();
}
