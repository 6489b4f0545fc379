/** `meta` (RFC 7643 §3.1) and ETags (RFC 7644 §3.14) from a record's version counter. */
import { ScimError } from './errors.js';

interface Versioned {
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

/** The weak ETag of a record: `W/"<version>"`. */
export function etagOf(r: { readonly version: number }): string {
  return `W/"${r.version}"`;
}

export function meta(resourceType: 'User' | 'Group', r: Versioned, location: string): Record<string, unknown> {
  return { resourceType, created: r.createdAt.toISOString(), lastModified: r.updatedAt.toISOString(), location, version: etagOf(r) };
}

/** The versions an `If-Match` / `If-None-Match` header names (`*` is any), ignoring weakness. */
function parseTags(header: string): { any: boolean; versions: Set<string> } {
  const versions = new Set<string>();
  let any = false;
  for (const raw of header.split(',')) {
    const t = raw.trim();
    if (t === '*') any = true;
    else if (t) versions.add(t.replace(/^W\//i, '').replace(/^"|"$/g, ''));
  }
  return { any, versions };
}

/**
 * The version an `If-Match` header pins, checked against the current record.
 * @throws ScimError 412 when the header names other versions.
 */
export function checkIfMatch(header: string | undefined, r: { readonly version: number }): void {
  if (!header) return;
  const { any, versions } = parseTags(header);
  if (any || versions.has(String(r.version))) return;
  throw new ScimError(412, `the resource is at version ${etagOf(r)}, not ${header}`);
}

/** True when an `If-None-Match` header already names the current version (answer 304). */
export function notModified(header: string | undefined, r: { readonly version: number }): boolean {
  if (!header) return false;
  const { any, versions } = parseTags(header);
  return any || versions.has(String(r.version));
}
