/**
 * A user's multi-valued complex attributes (SCIM's emails, phoneNumbers, addresses, ims, photos,
 * entitlements, roles, x509Certificates): each a list of elements with sub-attributes, kept as
 * sent under `attributes.<name>`. The one exception is the primary email, which lives in the
 * `email` column (admin `email`, LDAP `mail`): `emailElements` puts the two back together, so
 * every door, the query engine's SQL and its reference evaluator see the same list.
 *
 * The store writes one `user_values` row per element (migration 0006) with each searchable
 * sub-attribute lowercased, so "any value matches" filters (RFC 7644 §3.4.2.2) are index lookups.
 */
import type { JsonObject } from './types.js';

/** The multi-valued attributes, by the key they live under in `attributes`. */
export const MULTI_VALUED_ATTRIBUTES = ['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'entitlements', 'roles', 'x509Certificates'] as const;
export type MultiValuedAttribute = (typeof MULTI_VALUED_ATTRIBUTES)[number];

/** Searchable sub-attributes and the `user_values` column each is kept in (lowercased text, or a boolean). */
export const ELEMENT_SUB_ATTRIBUTES: Readonly<Record<string, { readonly column: string; readonly type: 'string' | 'boolean' }>> = {
  value: { column: 'value_ci', type: 'string' },
  display: { column: 'display_ci', type: 'string' },
  type: { column: 'type_ci', type: 'string' },
  primary: { column: 'is_primary', type: 'boolean' },
  formatted: { column: 'formatted_ci', type: 'string' },
  streetAddress: { column: 'street_address_ci', type: 'string' },
  locality: { column: 'locality_ci', type: 'string' },
  region: { column: 'region_ci', type: 'string' },
  postalCode: { column: 'postal_code_ci', type: 'string' },
  country: { column: 'country_ci', type: 'string' },
};

/** Which sub-attributes each attribute has (RFC 7643 §4.1.2, §8.7.1). */
export const SUB_ATTRIBUTES_OF: Readonly<Record<MultiValuedAttribute, readonly string[]>> = {
  emails: ['value', 'display', 'type', 'primary'],
  phoneNumbers: ['value', 'display', 'type', 'primary'],
  ims: ['value', 'display', 'type', 'primary'],
  photos: ['value', 'display', 'type', 'primary'],
  addresses: ['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country', 'type', 'primary'],
  entitlements: ['value', 'display', 'type', 'primary'],
  roles: ['value', 'display', 'type', 'primary'],
  x509Certificates: ['value', 'display', 'type', 'primary'],
};

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The stored elements of `attributes[name]`: objects only (anything else a door let through is not an element). */
export function storedElements(attributes: JsonObject, name: string): JsonObject[] {
  const v = attributes[name];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

/**
 * The emails list: the stored list when its primary (or first) address is still the user's
 * email; otherwise (the email was changed through another door) the email first, as primary,
 * then the other stored addresses.
 */
export function emailElements(column: string | null, attributes: JsonObject): JsonObject[] {
  // An empty email is no email (the query engine's "absent" rule).
  const email = column === '' ? null : column;
  const stored = storedElements(attributes, 'emails');
  const main = stored.find((e) => e.primary === true) ?? stored[0];
  const same = (e: JsonObject | undefined) => typeof e?.value === 'string' && email !== null && e.value.toLowerCase() === email.toLowerCase();
  if (email === null) return stored.filter((e) => e !== main).map((e) => ({ ...e, primary: false }));
  if (same(main)) return stored.map((e) => ({ ...e }));
  const others = stored.filter((e) => e !== main && !same(e)).map((e) => ({ ...e, primary: false }));
  return [{ value: email, type: typeof main?.type === 'string' ? main.type : 'work', primary: true }, ...others];
}

/** Every element of every multi-valued attribute of a user, in list order. */
export function userElements(email: string | null, attributes: JsonObject): Array<{ attr: MultiValuedAttribute; position: number; element: JsonObject }> {
  const out: Array<{ attr: MultiValuedAttribute; position: number; element: JsonObject }> = [];
  for (const attr of MULTI_VALUED_ATTRIBUTES) {
    const list = attr === 'emails' ? emailElements(email, attributes) : storedElements(attributes, attr);
    list.forEach((element, position) => out.push({ attr, position, element }));
  }
  return out;
}

/**
 * The searchable columns of one element: string sub-attributes lowercased (JavaScript's
 * `toLowerCase`, as every `_ci` column), `primary` true only when it is the JSON `true`.
 */
export function elementColumns(element: JsonObject): Record<string, string | boolean | null> {
  const out: Record<string, string | boolean | null> = {};
  for (const [name, { column, type }] of Object.entries(ELEMENT_SUB_ATTRIBUTES)) {
    const v = element[name];
    out[column] = type === 'boolean' ? v === true : typeof v === 'string' && v !== '' ? v.toLowerCase() : null;
  }
  return out;
}
