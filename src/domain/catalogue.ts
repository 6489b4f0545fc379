import { ELEMENT_SUB_ATTRIBUTES, MULTI_VALUED_ATTRIBUTES, SUB_ATTRIBUTES_OF } from './multi-valued.js';
import type { MultiValuedAttribute } from './multi-valued.js';
import { USER_TYPES, type Group, type User } from './types.js';
/**
 * The schema catalogue: one table of fields per entity, shared by every door. A field says
 * its type, whether it is multi-valued, whether case matters, how it is stored, and the name
 * each door gives it (`doors`: SCIM `userName`, LDAP `uid`, the admin query language, ordering,
 * the admin API's user shape and the export CSV). Every door's name map is derived from this
 * table (see the functions at the end), so adding a field is one entry here plus its tests;
 * the validator, the SQL compiler and the evaluator read only this.
 */


export type Entity = 'users' | 'groups';

export type FieldType = 'string' | 'boolean' | 'datetime' | 'uuid' | 'enum' | 'integer' | 'json' | 'relation' | 'complex';

/** How the related rows of a relation field are reached. */
export type RelationName =
  | 'user-groups'     // users → their direct groups (group_members)
  | 'user-roles'      // users → effective roles: direct, and through groups and the groups' parents
  | 'group-parents'   // groups → their direct parents (group_parents)
  | 'group-members'   // groups → their direct user members
  | 'group-children'; // groups → their direct child groups

export type Storage =
  /** A column; `ciColumn` is the lowercase shadow column a case-insensitive field compares. */
  | { readonly kind: 'column'; readonly column: string; readonly ciColumn?: string; readonly nullable: boolean }
  /** Keys below `column` (a JSON object), addressed as `<field>.<key>[.<key>…]`. */
  | { readonly kind: 'json'; readonly column: string }
  /** `column + offset` (POSIX uidNumber / gidNumber from `seq`). */
  | { readonly kind: 'offset'; readonly column: string; readonly offset: number }
  /** A value of related rows; `ciColumn` on the related table. */
  | { readonly kind: 'relation'; readonly relation: RelationName; readonly ciColumn: string }
  /** Users: member (at any depth) of a group with `is_superuser`. */
  | { readonly kind: 'superuser' }
  /**
   * A multi-valued complex attribute: its elements are `user_values` rows with `attr` = this
   * name; queried only through an `any` node, whose fields are the `subFields`.
   */
  | { readonly kind: 'elements'; readonly attr: MultiValuedAttribute };

/** What each door calls a field; a door that does not offer the field has no entry. */
export interface DoorNames {
  /** Searchable in the admin query language (and the export's `search`) under the catalogue name. */
  readonly query?: boolean;
  /** Orderable: admin and export `ordering=`, SCIM `sortBy` on the field's SCIM names. */
  readonly order?: boolean;
  /**
   * In the admin API's shape of the entity and in the export CSV, at position `at`; `property`
   * is the key of the domain record (src/domain/types.ts) that carries the value.
   */
  readonly shape?: { readonly property: keyof User | keyof Group; readonly at: number };
  /** SCIM attribute paths of the core schema that mean this field (filter, and sortBy when orderable). */
  readonly scim?: readonly string[];
  /**
   * SCIM paths `sortBy` accepts for this field although their filters mean something else
   * (`emails` filters every address element, `name.formatted` the name as sent).
   */
  readonly scimSortOnly?: readonly string[];
  /** SCIM compares this field ignoring case although it is case-exact (`userType`). */
  readonly scimIgnoreCase?: boolean;
  /** SCIM attribute names of the dirgate extension schema that mean this field. */
  readonly scimExtension?: readonly string[];
  /** LDAP attribute names (as RFC 4519 / RFC 2307 spell them) that mean this field in filters. */
  readonly ldap?: readonly string[];
  /** Of those, the ones LDAP server-side sorting (RFC 2891) sorts by. */
  readonly ldapSort?: readonly string[];
  /** LDAP filters also accept the catalogue name itself (`(username=x)`, `(email=x)`). */
  readonly ldapAlias?: boolean;
}

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** For a relation: the type of the related value. */
  readonly valueType?: 'string';
  readonly multiValued: boolean;
  readonly caseExact: boolean;
  readonly storage: Storage;
  readonly description: string;
  readonly examples: readonly (string | number | boolean)[];
  /** Enum fields: the allowed values. */
  readonly values?: readonly string[];
  /** Complex fields: the sub-attributes of one element (columns of `user_values`). */
  readonly subFields?: ReadonlyMap<string, FieldDef>;
  readonly doors: DoorNames;
}

/** uidNumber = POSIX_ID_BASE + users.seq; a user's gidNumber equals its uidNumber (private group). */
export const POSIX_ID_BASE = 10000;
/** gidNumber of a group = POSIX_ID_BASE + GROUP_GID_OFFSET + groups.seq. */
export const GROUP_GID_OFFSET = 1000000;

export { USER_TYPES };


const col = (column: string, nullable = false, ciColumn?: string): Storage =>
  ciColumn ? { kind: 'column', column, ciColumn, nullable } : { kind: 'column', column, nullable };

function field(name: string, type: FieldType, storage: Storage, description: string, examples: FieldDef['examples'], doors: DoorNames, extra: Partial<FieldDef> = {}): FieldDef {
  const caseExact = !(storage.kind === 'column' && storage.ciColumn) && storage.kind !== 'relation';
  return Object.freeze({ name, type, multiValued: false, caseExact, storage, description, examples, doors: Object.freeze(doors), ...extra });
}

const shape = (property: keyof User, at: number) => ({ shape: { property, at } });
// Complex SCIM attributes and their sub-attributes are reached through SCIM's element paths (scim-filter.ts).
const NO_DOOR_NAMES: DoorNames = Object.freeze({});

/** The `user_values` alias the SQL compiler gives an element row. */
export const ELEMENT_ALIAS = 'uv';

/** A sub-attribute of an element: a lowercased `user_values` column (or the `is_primary` boolean). */
function subField(name: string): FieldDef {
  const { column, type } = ELEMENT_SUB_ATTRIBUTES[name]!;
  const storage: Storage = type === 'boolean' ? col(column) : col(column, true, column);
  return Object.freeze({ name, type, multiValued: false, caseExact: false, storage, description: `${name} of one element`, examples: type === 'boolean' ? [true] : ['work'], doors: NO_DOOR_NAMES });
}

function complexField(attr: MultiValuedAttribute): FieldDef {
  const subFields = new Map(SUB_ATTRIBUTES_OF[attr].map((n) => [n, subField(n)]));
  const def: FieldDef = {
    name: attr, type: 'complex', multiValued: true, caseExact: false, storage: { kind: 'elements', attr },
    description: `every element of ${attr} (a filter matches when any element does)`, examples: [`${attr}.value`], subFields, doors: NO_DOOR_NAMES,
  };
  return Object.freeze(def);
}

// Users, in the order of DESIGN.md "Query language" (the shape has its own order: `shape.at`).
const USER_FIELDS: readonly FieldDef[] = [
  field('id', 'uuid', col('id'), 'user id (UUID)', ['8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f'],
    { order: true, ...shape('id', 0), scim: ['id'], ldap: ['entryUUID'] }),
  field('username', 'string', col('username', false, 'username_ci'), 'login name, case-insensitive', ['jdoe'],
    { query: true, order: true, ...shape('username', 1), scim: ['userName'], ldap: ['uid', 'cn'], ldapSort: ['uid', 'cn'], ldapAlias: true }),
  field('name', 'string', col('name', false, 'name_ci'), 'display name, case-insensitive', ['Jane Doe'],
    { query: true, order: true, ...shape('name', 2), scim: ['displayName'], scimSortOnly: ['name.formatted'], ldap: ['displayName'], ldapSort: ['displayName'], ldapAlias: true }),
  field('email', 'string', col('email', true, 'email_ci'), 'email address, case-insensitive', ['jane@example.com'],
    { query: true, order: true, ...shape('email', 3), scimSortOnly: ['emails', 'emails.value'], ldap: ['mail'], ldapSort: ['mail'], ldapAlias: true }),
  field('path', 'string', col('path'), 'folder-like path', ['users', 'users/contractors'],
    { query: true, order: true, ...shape('path', 4), scimExtension: ['path'] }),
  field('is_active', 'boolean', col('is_active'), 'whether the user may log in', [true, false],
    { query: true, order: true, ...shape('isActive', 6), scim: ['active'], ldap: ['dirgateActive'] }),
  field('type', 'enum', col('type'), 'user type', [...USER_TYPES],
    { query: true, order: true, ...shape('type', 5), scim: ['userType'], scimIgnoreCase: true, scimExtension: ['type'] }, { values: USER_TYPES }),
  field('last_login', 'datetime', col('last_login', true), 'last successful login', ['2024-01-31T12:00:00Z'],
    { query: true, order: true, ...shape('lastLogin', 8) }),
  field('date_joined', 'datetime', col('created_at'), 'creation time', ['2024-01-01'],
    { query: true, order: true, ...shape('createdAt', 9), scim: ['meta.created'], ldap: ['createTimestamp'] }),
  field('updated_at', 'datetime', col('updated_at'), 'last modification time', ['2024-01-01'],
    { order: true, scim: ['meta.lastModified'], ldap: ['modifyTimestamp'] }),
  field('external_id', 'string', col('external_id', true), 'id at the provisioning identity provider', ['00u1abcd'],
    { order: true, scim: ['externalId'] }),
  field('uid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE }, 'POSIX uidNumber', [10001],
    { ldap: ['uidNumber'] }),
  field('gid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE }, 'POSIX gidNumber (private group)', [10001],
    { ldap: ['gidNumber'] }),
  field('is_superuser', 'boolean', { kind: 'superuser' }, 'member of a superuser group (at any depth)', [true],
    { ldap: ['dirgateSuperuser'] }),
  field('attributes', 'json', { kind: 'json', column: 'attributes' }, 'custom attributes: attributes.<key>[.<key>…]', ['attributes.department'],
    { query: true, ...shape('attributes', 7) }),
  field('groups.name', 'relation', { kind: 'relation', relation: 'user-groups', ciColumn: 'name_ci' }, 'name of a direct group', ['admins'],
    { query: true, scim: ['groups.display'] }, { multiValued: true, valueType: 'string' }),
  field('roles.name', 'relation', { kind: 'relation', relation: 'user-roles', ciColumn: 'name_ci' }, 'name of a role held directly or through groups', ['helpdesk'],
    { query: true }, { multiValued: true, valueType: 'string' }),
  ...MULTI_VALUED_ATTRIBUTES.map(complexField),
];

const GROUP_FIELDS: readonly FieldDef[] = [
  field('id', 'uuid', col('id'), 'group id (UUID)', ['8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f'],
    { order: true, scim: ['id'], ldap: ['entryUUID'] }),
  field('name', 'string', col('name', false, 'name_ci'), 'group name, case-insensitive', ['admins'],
    { query: true, order: true, scim: ['displayName'], ldap: ['cn'], ldapSort: ['cn'], ldapAlias: true }),
  field('is_superuser', 'boolean', col('is_superuser'), 'members are superusers', [true, false],
    { query: true, order: true, ldap: ['dirgateSuperuser'] }),
  field('external_id', 'string', col('external_id', true), 'id at the provisioning identity provider', ['00g1abcd'],
    { order: true, scim: ['externalId'] }),
  field('created_at', 'datetime', col('created_at'), 'creation time', ['2024-01-01'],
    { order: true, scim: ['meta.created'], ldap: ['createTimestamp'] }),
  field('updated_at', 'datetime', col('updated_at'), 'last modification time', ['2024-01-01'],
    { order: true, scim: ['meta.lastModified'], ldap: ['modifyTimestamp'] }),
  field('gid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE + GROUP_GID_OFFSET }, 'POSIX gidNumber', [1010001],
    { ldap: ['gidNumber'] }),
  field('attributes', 'json', { kind: 'json', column: 'attributes' }, 'custom attributes: attributes.<key>[.<key>…]', ['attributes.costcenter'],
    { query: true }),
  field('parent.name', 'relation', { kind: 'relation', relation: 'group-parents', ciColumn: 'name_ci' }, 'name of a direct parent group', ['engineering'],
    { query: true }, { multiValued: true, valueType: 'string' }),
  field('children.name', 'relation', { kind: 'relation', relation: 'group-children', ciColumn: 'name_ci' }, 'name of a direct child group', ['backend'],
    {}, { multiValued: true, valueType: 'string' }),
  field('members.username', 'relation', { kind: 'relation', relation: 'group-members', ciColumn: 'username_ci' }, 'username of a direct member', ['jdoe'],
    { query: true }, { multiValued: true, valueType: 'string' }),
];

const CATALOGUES: Readonly<Record<Entity, ReadonlyMap<string, FieldDef>>> = {
  users: new Map(USER_FIELDS.map((f) => [f.name, f])),
  groups: new Map(GROUP_FIELDS.map((f) => [f.name, f])),
};

/** The table an entity lives in. */
export const ENTITY_TABLE: Readonly<Record<Entity, string>> = { users: 'users', groups: 'groups' };

/** Every field of an entity, in catalogue order. */
export function fieldsOf(entity: Entity): readonly FieldDef[] {
  return [...CATALOGUES[entity].values()];
}

/** A field reference resolved against the catalogue: the field and, for JSON, the key path. */
export interface ResolvedField {
  readonly def: FieldDef;
  readonly path: readonly string[];
}

/**
 * Resolves a catalogue name (`email`, `attributes.a.b`) for an entity; undefined when unknown.
 * JSON keys may not be empty, nor contain `"` or `\` (they could not be addressed on SQLite).
 */
export function resolveField(entity: Entity, name: string): ResolvedField | undefined {
  const direct = CATALOGUES[entity].get(name);
  if (direct) return direct.type === 'json' ? undefined : { def: direct, path: [] };
  const dot = name.indexOf('.');
  if (dot < 0) return undefined;
  const base = CATALOGUES[entity].get(name.slice(0, dot));
  if (!base || base.type !== 'json') return undefined;
  const path = name.slice(dot + 1).split('.');
  if (path.some((k) => !isValidJsonKey(k))) return undefined;
  return { def: base, path };
}

/** A sub-field of one element of the complex field `def` (`value`, `type`, …); undefined when it has none such. */
export function resolveSubField(def: FieldDef, name: string): ResolvedField | undefined {
  const sub = def.subFields?.get(name);
  return sub ? { def: sub, path: [] } : undefined;
}

/** Whether a JSON key can be addressed in a query. */
export function isValidJsonKey(key: string): boolean {
  return key.length > 0 && key.length <= 200 && !/["\\\u0000-\u001f]/.test(key);
}

/** Closest catalogue name for a "did you mean" hint, if one is near enough. */
export function suggestField(candidates: readonly string[], name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) { best = c; bestDistance = d; }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(name.length / 3)) ? best : undefined;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: "emial" → "email" is 1). */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

// ---- The door name maps, derived from the table above -------------------------------------

const lower = (names: readonly string[] | undefined): string[] => (names ?? []).map((n) => n.toLowerCase());

/** Fields of the admin query language (DESIGN.md "Query language"), in catalogue order. */
export function queryFields(entity: Entity): readonly FieldDef[] {
  return fieldsOf(entity).filter((f) => f.doors.query);
}

/** Fields `ordering=` accepts (admin API, export), in catalogue order. */
export function orderFields(entity: Entity): readonly FieldDef[] {
  return fieldsOf(entity).filter((f) => f.doors.order);
}

/** Fields of the admin API's shape of the entity and of the export CSV, in column order. */
export function shapeFields(entity: Entity): readonly FieldDef[] {
  return fieldsOf(entity).filter((f) => f.doors.shape).sort((a, b) => a.doors.shape!.at - b.doors.shape!.at);
}

/** The column a field sorts by (its case-insensitive shadow column when it has one) and whether it may be NULL. */
export function sortColumnOf(def: FieldDef): { readonly column: string; readonly nullable: boolean } {
  if (def.storage.kind !== 'column') throw new Error(`field ${def.name} is not stored in a column and cannot be ordered by`);
  return { column: def.storage.ciColumn ?? def.storage.column, nullable: def.storage.nullable };
}

/** SCIM core attribute path (lowercase) → field, for filters. */
export function scimNames(entity: Entity): ReadonlyMap<string, FieldDef> {
  return new Map(fieldsOf(entity).flatMap((f) => lower(f.doors.scim).map((n) => [n, f] as const)));
}

/** SCIM dirgate-extension attribute name (lowercase) → field. */
export function scimExtensionNames(entity: Entity): ReadonlyMap<string, FieldDef> {
  return new Map(fieldsOf(entity).flatMap((f) => lower(f.doors.scimExtension).map((n) => [n, f] as const)));
}

/** SCIM `sortBy` attribute path (lowercase) → field: the SCIM names of orderable fields. */
export function scimSortNames(entity: Entity): ReadonlyMap<string, FieldDef> {
  return new Map(orderFields(entity).flatMap((f) => [...lower(f.doors.scim), ...lower(f.doors.scimSortOnly)].map((n) => [n, f] as const)));
}

/** LDAP attribute name (lowercase) → field, for filters; the catalogue name too where `ldapAlias`. */
export function ldapNames(entity: Entity): ReadonlyMap<string, FieldDef> {
  return new Map(fieldsOf(entity).flatMap((f) => [...lower(f.doors.ldap), ...(f.doors.ldapAlias ? [f.name] : [])].map((n) => [n, f] as const)));
}

/** LDAP attribute name (lowercase) → field, for server-side sorting. */
export function ldapSortNames(entity: Entity): ReadonlyMap<string, FieldDef> {
  return new Map(fieldsOf(entity).flatMap((f) => lower(f.doors.ldapSort).map((n) => [n, f] as const)));
}
