/**
 * The SCIM schemas dirgate serves (RFC 7643 §7): core User and Group, the enterprise User
 * extension and dirgate's own User extension. Discovery publishes these definitions, and the
 * PATCH engine and the attribute projection read them too, so what is advertised is what is
 * implemented.
 */

export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const DIRGATE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:dirgate:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
export const SEARCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';
export const BULK_REQUEST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
export const BULK_RESPONSE_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
export const SPC_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';
export const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
export const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';

export type Mutability = 'readOnly' | 'readWrite' | 'immutable' | 'writeOnly';
export type Returned = 'always' | 'never' | 'default' | 'request';
export type AttrType = 'string' | 'boolean' | 'decimal' | 'integer' | 'dateTime' | 'reference' | 'binary' | 'complex';

/** An attribute definition as RFC 7643 §7 publishes it. */
export interface AttrDef {
  readonly name: string;
  readonly type: AttrType;
  readonly multiValued: boolean;
  readonly description: string;
  readonly required: boolean;
  readonly caseExact: boolean;
  readonly mutability: Mutability;
  readonly returned: Returned;
  readonly uniqueness: 'none' | 'server' | 'global';
  readonly subAttributes?: readonly AttrDef[];
  readonly canonicalValues?: readonly string[];
  readonly referenceTypes?: readonly string[];
}

type AttrOptions = Partial<Omit<AttrDef, 'name' | 'type' | 'description'>>;

function attr(name: string, type: AttrType, description: string, o: AttrOptions = {}): AttrDef {
  return Object.freeze({
    name, type, multiValued: false, description, required: false, caseExact: false,
    mutability: 'readWrite' as Mutability, returned: 'default' as Returned, uniqueness: 'none' as const, ...o,
  });
}

const str = (name: string, description: string, o: AttrOptions = {}): AttrDef => attr(name, 'string', description, o);

/** The sub-attributes RFC 7643 §2.4 gives every multi-valued attribute. */
function multi(name: string, description: string, types: readonly string[], valueType: AttrType = 'string', extra: readonly AttrDef[] = []): AttrDef {
  // RFC 7643 §7: a reference lists the resource types it may point at (§8.7.1: photos are "external").
  const value = valueType === 'reference' ? attr('value', valueType, `the ${name} value`, { referenceTypes: ['external'] }) : attr('value', valueType, `the ${name} value`);
  return attr(name, 'complex', description, {
    multiValued: true,
    subAttributes: [
      value,
      str('display', 'a human-readable name'),
      str('type', 'a label for the value', { canonicalValues: types }),
      attr('primary', 'boolean', 'the primary value'),
      ...extra,
    ],
  });
}

const USER_ATTRIBUTES: readonly AttrDef[] = [
  str('userName', 'unique login name, case-insensitive (dirgate username)', { required: true, uniqueness: 'server' }),
  attr('name', 'complex', 'the parts of the name', {
    subAttributes: [
      str('formatted', 'full name, kept as sent (displayName is the dirgate name)'),
      str('familyName', 'family name'),
      str('givenName', 'given name'),
      str('middleName', 'middle name'),
      str('honorificPrefix', 'e.g. Ms.'),
      str('honorificSuffix', 'e.g. III'),
    ],
  }),
  str('displayName', 'display name (dirgate name)'),
  str('nickName', 'casual name'),
  attr('profileUrl', 'reference', 'profile page', { referenceTypes: ['external'] }),
  str('title', 'job title'),
  str('userType', 'dirgate user type', { canonicalValues: ['internal', 'external', 'service_account', 'internal_service_account'], caseExact: true }),
  str('preferredLanguage', 'e.g. en-US'),
  str('locale', 'e.g. en-US'),
  str('timezone', 'e.g. Europe/Berlin'),
  attr('active', 'boolean', 'whether the user may log in; false revokes every session'),
  str('password', 'write-only; stored hashed, never returned', { mutability: 'writeOnly', returned: 'never', caseExact: true }),
  multi('emails', 'email addresses; the primary (or first) one is the dirgate email', ['work', 'home', 'other']),
  multi('phoneNumbers', 'phone numbers', ['work', 'home', 'mobile', 'fax', 'pager', 'other']),
  multi('ims', 'instant messaging addresses', ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo']),
  multi('photos', 'photo URLs', ['photo', 'thumbnail'], 'reference'),
  attr('addresses', 'complex', 'physical mailing addresses', {
    multiValued: true,
    subAttributes: [
      str('formatted', 'full address'), str('streetAddress', 'street'), str('locality', 'city'), str('region', 'state or region'),
      str('postalCode', 'postal code'), str('country', 'ISO 3166-1 alpha-2 country code'),
      str('type', 'a label', { canonicalValues: ['work', 'home', 'other'] }), attr('primary', 'boolean', 'the primary address'),
    ],
  }),
  attr('groups', 'complex', 'groups the user is a direct member of (change them through Group members)', {
    multiValued: true, mutability: 'readOnly',
    subAttributes: [
      str('value', 'group id', { mutability: 'readOnly' }),
      // RFC 7643 §8.7.1 lists both (a group reached through a nested group is still a Group).
      attr('$ref', 'reference', 'group URI', { mutability: 'readOnly', referenceTypes: ['User', 'Group'] }),
      str('display', 'group name', { mutability: 'readOnly' }),
      str('type', 'direct', { mutability: 'readOnly', canonicalValues: ['direct', 'indirect'] }),
    ],
  }),
  multi('entitlements', 'entitlements', []),
  multi('roles', 'roles (kept as data; dirgate roles are assigned through the admin API)', []),
  multi('x509Certificates', 'certificates', [], 'binary'),
];

const ENTERPRISE_ATTRIBUTES: readonly AttrDef[] = [
  str('employeeNumber', 'employee number'),
  str('costCenter', 'cost center'),
  str('organization', 'organization'),
  str('division', 'division'),
  str('department', 'department'),
  attr('manager', 'complex', 'the user\'s manager (value: the manager\'s id)', {
    subAttributes: [
      str('value', 'id of the manager'),
      attr('$ref', 'reference', 'URI of the manager', { referenceTypes: ['User'] }),
      str('displayName', 'name of the manager', { mutability: 'readOnly' }),
    ],
  }),
];

const DIRGATE_ATTRIBUTES: readonly AttrDef[] = [
  str('path', 'folder-like path, slash-separated (default "users")', { caseExact: true }),
  str('type', 'user type', { canonicalValues: ['internal', 'external', 'service_account', 'internal_service_account'], caseExact: true }),
  attr('attributes', 'complex', 'custom attributes: any JSON object (keys SCIM maps elsewhere are not listed here)', { subAttributes: [] }),
];

const GROUP_ATTRIBUTES: readonly AttrDef[] = [
  str('displayName', 'group name, unique ignoring case', { required: true, uniqueness: 'server' }),
  attr('members', 'complex', 'users and groups (nested) that are direct members', {
    multiValued: true,
    subAttributes: [
      str('value', 'id of the member', { mutability: 'immutable' }),
      attr('$ref', 'reference', 'URI of the member', { mutability: 'immutable', referenceTypes: ['User', 'Group'] }),
      str('display', 'userName or group name', { mutability: 'readOnly' }),
      str('type', 'User or Group', { mutability: 'immutable', canonicalValues: ['User', 'Group'] }),
    ],
  }),
];

/** The common attributes of every resource (RFC 7643 §3.1); not listed in the schemas themselves. */
export const COMMON_ATTRIBUTES: readonly AttrDef[] = [
  str('id', 'identifier assigned by dirgate (UUID)', { mutability: 'readOnly', returned: 'always', caseExact: true, uniqueness: 'server' }),
  str('externalId', 'identifier at the provisioning client', { caseExact: true }),
  attr('meta', 'complex', 'resource metadata', {
    mutability: 'readOnly',
    subAttributes: [
      str('resourceType', 'User or Group', { mutability: 'readOnly' }),
      attr('created', 'dateTime', 'creation time', { mutability: 'readOnly' }),
      attr('lastModified', 'dateTime', 'last change', { mutability: 'readOnly' }),
      attr('location', 'reference', 'URI of the resource', { mutability: 'readOnly' }),
      str('version', 'weak ETag of the resource', { mutability: 'readOnly', caseExact: true }),
    ],
  }),
];

export interface SchemaDef {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly attributes: readonly AttrDef[];
}

export const SCHEMAS: readonly SchemaDef[] = [
  { id: USER_SCHEMA, name: 'User', description: 'User Account', attributes: USER_ATTRIBUTES },
  { id: GROUP_SCHEMA, name: 'Group', description: 'Group', attributes: GROUP_ATTRIBUTES },
  { id: ENTERPRISE_SCHEMA, name: 'EnterpriseUser', description: 'Enterprise User (kept in the user\'s attributes)', attributes: ENTERPRISE_ATTRIBUTES },
  { id: DIRGATE_SCHEMA, name: 'DirgateUser', description: 'dirgate User: path, type and custom attributes', attributes: DIRGATE_ATTRIBUTES },
];

/** A resource type: its core schema and the extensions it may carry. */
export interface ResourceTypeDef {
  readonly id: 'User' | 'Group';
  readonly endpoint: '/Users' | '/Groups';
  readonly schema: string;
  readonly extensions: readonly string[];
}

export const USER_TYPE: ResourceTypeDef = { id: 'User', endpoint: '/Users', schema: USER_SCHEMA, extensions: [ENTERPRISE_SCHEMA, DIRGATE_SCHEMA] };
export const GROUP_TYPE: ResourceTypeDef = { id: 'Group', endpoint: '/Groups', schema: GROUP_SCHEMA, extensions: [] };

export function schemaById(id: string): SchemaDef | undefined {
  return SCHEMAS.find((s) => s.id.toLowerCase() === id.toLowerCase());
}

/** Finds an attribute by name, ignoring case (RFC 7643 §2.1). */
export function findAttr(defs: readonly AttrDef[] | undefined, name: string): AttrDef | undefined {
  const lower = name.toLowerCase();
  return defs?.find((d) => d.name.toLowerCase() === lower);
}

/**
 * The attributes a resource type has: core and common ones at the top, each extension's
 * under its URN.
 */
export function topLevelAttributes(type: ResourceTypeDef): readonly AttrDef[] {
  return [...COMMON_ATTRIBUTES, ...schemaById(type.schema)!.attributes];
}

/**
 * Splits an attribute name that may carry its schema URN (RFC 7644 §3.10): the extension it
 * lives in (undefined for the core schema) and the rest (empty when the name is the URN
 * itself). Undefined when the URN is not one of the resource type's schemas.
 */
export function splitSchema(text: string, type: ResourceTypeDef): { extension?: string; rest: string } | undefined {
  if (!/^urn:/i.test(text)) return { rest: text };
  const lower = text.toLowerCase();
  const urn = [type.schema, ...type.extensions].find((u) => lower === u.toLowerCase() || lower.startsWith(`${u.toLowerCase()}:`));
  if (!urn) return undefined;
  const rest = text.slice(urn.length + 1);
  return urn === type.schema ? { rest } : { extension: urn, rest };
}
