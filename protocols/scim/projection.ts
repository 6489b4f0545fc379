/**
 * `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9): which attributes a response
 * carries. `id` and `schemas` are always returned. Names ignore case and may carry their
 * schema URN; names that match no attribute select nothing.
 */
import { isObject, type Json } from './canonical.js';
import { findAttr, schemaById, splitSchema, topLevelAttributes, type ResourceTypeDef } from './schemas.js';

interface AttrName {
  readonly extension?: string;
  /** Undefined: the whole extension object. */
  readonly attr?: string;
  readonly sub?: string;
}

export interface Projection {
  readonly attributes?: readonly AttrName[];
  readonly excluded?: readonly AttrName[];
}

function listOf(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(listOf);
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter((s) => s !== '') : [];
}

function resolveName(text: string, type: ResourceTypeDef): AttrName | undefined {
  const split = splitSchema(text, type);
  if (!split) return undefined;
  const { extension, rest } = split;
  if (rest === '') return extension ? { extension } : undefined;
  const [name, subName] = rest.split('.', 2) as [string, string | undefined];
  const defs = extension ? schemaById(extension)!.attributes : topLevelAttributes(type);
  const def = findAttr(defs, name);
  if (!def) return undefined;
  const sub = subName === undefined ? undefined : (findAttr(def.subAttributes, subName)?.name ?? subName);
  return { ...(extension ? { extension } : {}), attr: def.name, ...(sub ? { sub } : {}) };
}

/** Parses the two query parameters (or SearchRequest members), comma-separated or lists. */
export function parseProjection(attributes: unknown, excluded: unknown, type: ResourceTypeDef): Projection {
  const a = listOf(attributes).map((n) => resolveName(n, type)).filter((n): n is AttrName => !!n);
  const x = listOf(excluded).map((n) => resolveName(n, type)).filter((n): n is AttrName => !!n);
  const hasAttributes = listOf(attributes).length > 0;
  return { ...(hasAttributes ? { attributes: a } : {}), ...(x.length ? { excluded: x } : {}) };
}

/** Whether a top-level core attribute is part of the response (so it is worth loading). */
export function wants(p: Projection, attr: string): boolean {
  if (p.attributes) return p.attributes.some((n) => !n.extension && n.attr === attr);
  return !(p.excluded ?? []).some((n) => !n.extension && n.attr === attr && !n.sub);
}

function copySelected(from: Json, to: Json, n: AttrName): void {
  const value = from[n.attr!];
  if (value === undefined) return;
  if (!n.sub) { to[n.attr!] = value; return; }
  if (Array.isArray(value)) {
    const prev = Array.isArray(to[n.attr!]) ? to[n.attr!] as Json[] : value.map(() => ({}));
    to[n.attr!] = value.map((el, i) => (isObject(el) && el[n.sub!] !== undefined ? { ...prev[i], [n.sub!]: el[n.sub!] } : prev[i]));
  } else if (isObject(value) && value[n.sub] !== undefined) {
    to[n.attr!] = { ...(isObject(to[n.attr!]) ? to[n.attr!] as Json : {}), [n.sub]: value[n.sub] };
  }
}

function removeSelected(obj: Json, n: AttrName): void {
  if (!n.sub) { delete obj[n.attr!]; return; }
  const value = obj[n.attr!];
  if (Array.isArray(value)) obj[n.attr!] = value.map((el) => { if (!isObject(el)) return el; const c = { ...el }; delete c[n.sub!]; return c; });
  else if (isObject(value)) { const c = { ...value }; delete c[n.sub]; obj[n.attr!] = c; }
}

/** The response form of a full resource document. */
export function project(doc: Json, p: Projection): Json {
  if (p.attributes) {
    const out: Json = { schemas: doc.schemas, id: doc.id };
    for (const n of p.attributes) {
      if (n.extension) {
        const ext = doc[n.extension];
        if (!isObject(ext)) continue;
        if (!n.attr) { out[n.extension] = ext; continue; }
        const target = isObject(out[n.extension]) ? out[n.extension] as Json : {};
        copySelected(ext, target, n);
        if (Object.keys(target).length > 0) out[n.extension] = target;
      } else if (n.attr !== 'id') {
        copySelected(doc, out, n);
      }
    }
    return withSchemas(doc, out);
  }
  if (!p.excluded) return doc;
  const out: Json = { ...doc };
  for (const n of p.excluded) {
    if (n.extension) {
      if (!n.attr) { delete out[n.extension]; continue; }
      if (!isObject(out[n.extension])) continue;
      const ext = { ...(out[n.extension] as Json) };
      removeSelected(ext, n);
      out[n.extension] = ext;
    } else if (n.attr !== 'id') {
      removeSelected(out, n);
    }
  }
  return withSchemas(doc, out);
}

/** `schemas` lists the core schema and only the extensions the response still carries. */
function withSchemas(doc: Json, out: Json): Json {
  if (Array.isArray(doc.schemas)) out.schemas = (doc.schemas as string[]).filter((s) => !(s in doc) || s in out);
  return out;
}
