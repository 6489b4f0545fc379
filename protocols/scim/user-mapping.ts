/**
 * User ↔ SCIM User, as the DESIGN.md mapping table says: userName ↔ username, displayName ↔
 * name (name.formatted when no displayName is sent), name.formatted kept as sent in
 * `attributes.name.formatted`, the primary (or first) email ↔ email, active ↔ is_active,
 * userType ↔ type, externalId ↔ external_id. What has no column of its own lives in
 * `attributes` under the keys the query engine filters on (scim-filter.ts): name parts, every
 * multi-valued attribute with its elements as sent, …, and the enterprise extension
 * (`attributes.department`, `attributes.manager` holding the manager's id).
 */
import type { UserInput } from '../../src/services/users.js';
import { emailElements, MULTI_VALUED_ATTRIBUTES } from '../../src/domain/multi-valued.js';
import type { Group, JsonObject, User } from '../../src/domain/types.js';
import { isObject, type Json } from './canonical.js';
import { badRequest } from './errors.js';
import { meta } from './resource-meta.js';
import { DIRGATE_SCHEMA, ENTERPRISE_SCHEMA, USER_SCHEMA } from './schemas.js';

const NAME_PARTS = ['givenName', 'familyName', 'middleName', 'honorificPrefix', 'honorificSuffix'] as const;
const CORE_STRINGS = ['nickName', 'profileUrl', 'title', 'preferredLanguage', 'locale', 'timezone'] as const;
const CORE_LISTS = MULTI_VALUED_ATTRIBUTES;
const ENTERPRISE_STRINGS = ['employeeNumber', 'costCenter', 'organization', 'division', 'department'] as const;

/** Keys of `attributes` that SCIM shows as named attributes; the rest are dirgate's custom attributes. */
export const SCIM_MANAGED_KEYS: ReadonlySet<string> = new Set<string>([...NAME_PARTS, ...CORE_STRINGS, ...CORE_LISTS, ...ENTERPRISE_STRINGS, 'manager', 'name']);

const filled = (v: unknown): boolean => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0);

/** The custom attributes: everything in `attributes` SCIM does not show elsewhere. */
export function customAttributes(a: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(a)) if (!SCIM_MANAGED_KEYS.has(k)) out[k] = v;
  return out;
}

/** The full SCIM representation of a user; `groups` omitted when not loaded. */
export function userToScim(user: User, groups: readonly Pick<Group, 'id' | 'name'>[] | undefined, base: string): Json {
  const a = user.attributes;
  const doc: Json = { schemas: [USER_SCHEMA], id: user.id };
  if (user.externalId) doc.externalId = user.externalId;
  doc.userName = user.username;
  const name: Json = {};
  const formatted = isObject(a.name) ? a.name.formatted : undefined;
  if (typeof formatted === 'string' && formatted !== '') name.formatted = formatted;
  for (const k of NAME_PARTS) if (typeof a[k] === 'string' && a[k] !== '') name[k] = a[k];
  if (Object.keys(name).length > 0) doc.name = name;
  if (user.name) doc.displayName = user.name;
  for (const k of CORE_STRINGS) if (filled(a[k])) doc[k] = a[k];
  doc.userType = user.type;
  doc.active = user.isActive;
  const emails = emailElements(user.email, a);
  if (emails.length > 0) doc.emails = emails;
  for (const k of CORE_LISTS) if (k !== 'emails' && Array.isArray(a[k]) && (a[k] as unknown[]).length > 0) doc[k] = a[k];
  if (groups) doc.groups = groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.name, type: 'direct' }));
  const enterprise: Json = {};
  for (const k of ENTERPRISE_STRINGS) if (filled(a[k])) enterprise[k] = a[k];
  const manager = isObject(a.manager) ? a.manager.value : a.manager;
  if (typeof manager === 'string' && manager !== '') enterprise.manager = { value: manager, $ref: `${base}/Users/${manager}` };
  if (Object.keys(enterprise).length > 0) {
    doc[ENTERPRISE_SCHEMA] = enterprise;
    (doc.schemas as string[]).push(ENTERPRISE_SCHEMA);
  }
  doc[DIRGATE_SCHEMA] = { path: user.path, type: user.type, attributes: customAttributes(a) };
  (doc.schemas as string[]).push(DIRGATE_SCHEMA);
  doc.meta = meta('User', user, `${base}/Users/${user.id}`);
  return doc;
}

function str(v: unknown, name: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest('invalidValue', `${name} must be a string`);
  return v;
}

/**
 * How a document becomes a user: `replace` for POST and PUT (the body is the resource, absent
 * attributes keep dirgate's defaults), `patch` for the patched current representation (an
 * attribute missing from it was removed by the PATCH).
 */
export type MappingMode = 'replace' | 'patch';

/**
 * The domain input for a canonical SCIM User that replaces `current` (or creates a user when
 * `current` is null). Read-only attributes (id, meta, groups) are ignored; custom attributes
 * and path are kept unless the dirgate extension names them.
 * @throws ScimError 400 invalidValue (a bad value; userType and the extension's type disagree),
 *   mutability (a PATCH removed userType, active, or the extension's path or type)
 */
export function userInputFromScim(doc: Json, current: User | null, mode: MappingMode = 'replace'): UserInput & { attributes: JsonObject } {
  const userName = str(doc.userName, 'userName');
  if (!userName) throw badRequest('invalidValue', 'userName is required');
  const name = isObject(doc.name) ? doc.name : {};
  const given = str(name.givenName, 'name.givenName');
  const family = str(name.familyName, 'name.familyName');
  const formatted = str(name.formatted, 'name.formatted');
  const displayName = displayNameOf(doc, current, mode, formatted, [given, family].filter((p) => p).join(' '));

  const ext = isObject(doc[DIRGATE_SCHEMA]) ? doc[DIRGATE_SCHEMA] as Json : {};
  if (mode === 'patch') refuseRemovals(doc, ext);
  let custom: JsonObject = current ? customAttributes(current.attributes) : {};
  if (ext.attributes !== undefined && ext.attributes !== null) {
    if (!isObject(ext.attributes)) throw badRequest('invalidValue', `${DIRGATE_SCHEMA}:attributes must be an object`);
    const clash = Object.keys(ext.attributes).find((k) => SCIM_MANAGED_KEYS.has(k));
    if (clash) throw badRequest('invalidValue', `attributes.${clash} is managed through its SCIM attribute, not ${DIRGATE_SCHEMA}:attributes`);
    custom = { ...ext.attributes };
  } else if (mode === 'patch') {
    // The PATCH removed the extension's `attributes`: no custom attributes are left.
    custom = {};
  }
  const attributes: JsonObject = { ...custom };
  for (const k of NAME_PARTS) { const v = str(name[k], `name.${k}`); if (v) attributes[k] = v; }
  if (formatted) attributes.name = { formatted };
  for (const k of CORE_STRINGS) { const v = str(doc[k], k); if (v) attributes[k] = v; }
  for (const k of CORE_LISTS) if (Array.isArray(doc[k]) && (doc[k] as unknown[]).length > 0) attributes[k] = doc[k];
  // One primary work address is exactly what the email column gives back: keep no copy of it.
  if (Array.isArray(doc.emails) && doc.emails.length === 1 && isPlainWorkEmail(doc.emails[0])) delete attributes.emails;
  const enterprise = isObject(doc[ENTERPRISE_SCHEMA]) ? doc[ENTERPRISE_SCHEMA] as Json : {};
  for (const k of ENTERPRISE_STRINGS) { const v = str(enterprise[k], k); if (v) attributes[k] = v; }
  const manager = isObject(enterprise.manager) ? str(enterprise.manager.value, 'manager.value') : undefined;
  if (manager) attributes.manager = manager;

  const emails = Array.isArray(doc.emails) ? (doc.emails as Json[]) : [];
  const primary = emails.find((e) => e.primary === true) ?? emails[0];
  const input: UserInput & { attributes: JsonObject } = {
    username: userName,
    name: displayName,
    email: primary ? str(primary.value, 'emails.value') ?? null : null,
    externalId: str(doc.externalId, 'externalId') ?? null,
    attributes,
  };
  if (doc.active !== undefined && doc.active !== null) input.isActive = doc.active;
  const type = typeOf(doc, ext, current, mode);
  if (type !== undefined) input.type = type;
  else if (!current) input.type = 'internal';
  const path = str(ext.path, `${DIRGATE_SCHEMA}:path`);
  if (path !== undefined) input.path = path;
  if (doc.password !== undefined && doc.password !== null) input.password = str(doc.password, 'password');
  return input;
}

/**
 * displayName, or what stands in for it. A POST or PUT without one takes name.formatted, else
 * "given family" (Entra ID's default mappings send both). In a PATCH a missing displayName was
 * removed, so the name becomes empty, unless the user never had one.
 */
function displayNameOf(doc: Json, current: User | null, mode: MappingMode, formatted: string | undefined, parts: string): string {
  const sent = str(doc.displayName, 'displayName');
  if (sent !== undefined) return sent;
  if (mode === 'patch' && current && current.name !== '') return '';
  return formatted ?? parts;
}

/**
 * userType and the extension's `type` name the same column. POST/PUT: when both are sent they
 * must agree. PATCH: the one the request changed wins; changing both differently is refused.
 * @throws ScimError 400 invalidValue
 */
function typeOf(doc: Json, ext: Json, current: User | null, mode: MappingMode): string | undefined {
  const userType = str(doc.userType, 'userType');
  const extType = str(ext.type, `${DIRGATE_SCHEMA}:type`);
  if (userType !== undefined && extType !== undefined && userType !== extType) {
    if (mode === 'replace' || !current) throw badRequest('invalidValue', `userType "${userType}" and ${DIRGATE_SCHEMA}:type "${extType}" name the same field: send one, or the same value`);
    const changedUserType = userType !== current.type;
    const changedExt = extType !== current.type;
    if (changedUserType && changedExt) throw badRequest('invalidValue', `userType and ${DIRGATE_SCHEMA}:type name the same field: this PATCH sets them to different values`);
    return changedUserType ? userType : extType;
  }
  return userType ?? extType;
}

/**
 * Attributes every dirgate user has a value for cannot be removed by a PATCH (RFC 7644
 * §3.5.2.2 would leave them unassigned): answered 400 mutability rather than 200 with no change.
 * @throws ScimError 400 mutability
 */
function refuseRemovals(doc: Json, ext: Json): void {
  const removed = (what: string, why: string) => badRequest('mutability', `${what} cannot be removed: ${why}; replace it instead`);
  if (doc.userType === undefined || doc.userType === null) throw removed('userType', 'every dirgate user has a type');
  if (doc.active === undefined || doc.active === null) throw removed('active', 'every dirgate user is active or not');
  if (ext.path === undefined || ext.path === null) throw removed(`${DIRGATE_SCHEMA}:path`, 'every dirgate user lives in a folder');
  if (ext.type === undefined || ext.type === null) throw removed(`${DIRGATE_SCHEMA}:type`, 'every dirgate user has a type');
}

function isPlainWorkEmail(e: unknown): boolean {
  return isObject(e) && e.type === 'work' && e.primary === true && typeof e.value === 'string'
    && Object.keys(e).every((k) => k === 'value' || k === 'type' || k === 'primary');
}

/** Only the fields of `input` that differ from `user` (so an unchanged PUT writes nothing). */
export function userChanges(user: User, input: UserInput & { attributes: JsonObject }): UserInput {
  const out: UserInput = {};
  if (input.username !== undefined && input.username !== user.username) out.username = input.username;
  if (input.name !== undefined && input.name !== user.name) out.name = input.name;
  if (input.email !== undefined && (input.email ?? null) !== user.email) out.email = input.email;
  if (input.externalId !== undefined && (input.externalId ?? null) !== user.externalId) out.externalId = input.externalId;
  if (input.isActive !== undefined && input.isActive !== user.isActive) out.isActive = input.isActive;
  if (input.type !== undefined && input.type !== user.type) out.type = input.type;
  if (input.path !== undefined && input.path !== user.path) out.path = input.path;
  if (JSON.stringify(sortKeys(input.attributes)) !== JSON.stringify(sortKeys(user.attributes))) out.attributes = input.attributes;
  if (input.password !== undefined) out.password = input.password;
  return out;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k])]));
}
