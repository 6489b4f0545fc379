/**
 * Incoming SCIM JSON in canonical form: attribute names spelled as the schema spells them
 * (RFC 7643 §2.1: names are case-insensitive), extension objects under their exact URN, and
 * the value shapes the big provisioners send smoothed out. Everything after this step can
 * compare keys exactly.
 */
import { badRequest } from './errors.js';
import { findAttr, schemaById, type AttrDef, type ResourceTypeDef, topLevelAttributes } from './schemas.js';

export type Json = Record<string, unknown>;

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A SCIM boolean. Microsoft Entra ID sends booleans as the strings "True" / "False" (its
 * known SCIM compliance issue with `active` and `primary`), so those are accepted too.
 */
export function scimBoolean(v: unknown, name: string): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw badRequest('invalidValue', `${name} must be true or false`);
}

/** The extension URN of `type` spelled like `name` (ignoring case), if it is one. */
export function extensionUrn(type: ResourceTypeDef, name: string): string | undefined {
  const lower = name.toLowerCase();
  return type.extensions.find((u) => u.toLowerCase() === lower);
}

/**
 * Canonical copy of a resource body (POST, PUT, a PATCH value without path).
 * @throws ScimError 400 invalidValue for an unknown attribute or a value of the wrong shape.
 */
export function canonicalResource(body: Json, type: ResourceTypeDef): Json {
  const out: Json = {};
  const defs = topLevelAttributes(type);
  for (const [key, value] of Object.entries(body)) {
    if (key.toLowerCase() === 'schemas') { out.schemas = value; continue; }
    const urn = extensionUrn(type, key);
    if (urn) {
      if (!isObject(value)) throw badRequest('invalidValue', `${urn} must be an object`);
      out[urn] = canonicalObject(value, schemaById(urn)!.attributes, urn);
      continue;
    }
    if (key.toLowerCase() === type.schema.toLowerCase() && isObject(value)) {
      Object.assign(out, canonicalObject(value, defs, type.schema));
      continue;
    }
    const def = findAttr(defs, key);
    if (!def) throw badRequest('invalidValue', `unknown attribute "${key}" for ${type.id}`);
    out[def.name] = canonicalValue(value, def, def.name);
  }
  return out;
}

function canonicalObject(value: Json, defs: readonly AttrDef[], where: string): Json {
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    const def = findAttr(defs, key);
    if (!def) throw badRequest('invalidValue', `unknown attribute "${key}" in ${where}`);
    out[def.name] = canonicalValue(v, def, `${where}.${def.name}`);
  }
  return out;
}

/** Canonical value for one attribute (whole multi-valued lists included). */
export function canonicalValue(value: unknown, def: AttrDef, name: string): unknown {
  if (value === null || value === undefined) return null;
  if (def.multiValued) {
    const list = Array.isArray(value) ? value : [value];
    return list.map((item, i) => {
      // `emails: [null]` has no element to map; every later step reads elements as values.
      if (item === null || item === undefined) throw badRequest('invalidValue', `${name}[${i}] must be ${def.type === 'complex' ? 'an object' : `a ${def.type}`}, not null`);
      return canonicalElement(item, def, name);
    });
  }
  return canonicalElement(value, def, name);
}

/** Canonical value of one element of `def` (one list item for a multi-valued attribute). */
export function canonicalElement(value: unknown, def: AttrDef, name: string): unknown {
  if (value === null || value === undefined) return null;
  if (def.type === 'complex') {
    // The enterprise `manager` is complex, but Microsoft Entra ID sends the manager's id as a
    // plain string (its known SCIM compliance issue); treat it as {value}.
    if (typeof value === 'string' && findAttr(def.subAttributes, 'value')) return { value };
    if (!isObject(value)) throw badRequest('invalidValue', `${name} must be an object`);
    // A complex attribute without declared sub-attributes (the dirgate `attributes`) is free JSON.
    if (!def.subAttributes || def.subAttributes.length === 0) return value;
    return canonicalObject(value, def.subAttributes, name);
  }
  return canonicalScalar(value, def, name);
}

/** A simple attribute's value, checked against its type. */
export function canonicalScalar(value: unknown, def: AttrDef, name: string): unknown {
  if (value === null || value === undefined) return null;
  switch (def.type) {
    case 'boolean': return scimBoolean(value, name);
    case 'integer':
    case 'decimal':
      if (typeof value !== 'number') throw badRequest('invalidValue', `${name} must be a number`);
      return value;
    default:
      if (typeof value !== 'string') throw badRequest('invalidValue', `${name} must be a string`);
      return value;
  }
}
