import { ELEMENT_SUB_ATTRIBUTES, MULTI_VALUED_ATTRIBUTES, SUB_ATTRIBUTES_OF } from './multi-valued.js';
import type { MultiValuedAttribute } from './multi-valued.js';
import { USER_TYPES } from './types.js';
/**
 * The schema catalogue: one table of fields per entity, shared by every door. A field says
 * its type, whether it is multi-valued, whether case matters, and how it is stored. The doors
 * map their own names (SCIM `userName`, LDAP `uid`) onto these; the validator, the SQL compiler
 * and the evaluator read only this.
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
}

/** uidNumber = POSIX_ID_BASE + users.seq; a user's gidNumber equals its uidNumber (private group). */
export const POSIX_ID_BASE = 10000;
/** gidNumber of a group = POSIX_ID_BASE + GROUP_GID_OFFSET + groups.seq. */
export const GROUP_GID_OFFSET = 1000000;

export { USER_TYPES };


const col = (column: string, nullable = false, ciColumn?: string): Storage =>
  ciColumn ? { kind: 'column', column, ciColumn, nullable } : { kind: 'column', column, nullable };

function field(name: string, type: FieldType, storage: Storage, description: string, examples: FieldDef['examples'], extra: Partial<FieldDef> = {}): FieldDef {
  const caseExact = !(storage.kind === 'column' && storage.ciColumn) && storage.kind !== 'relation';
  return Object.freeze({ name, type, multiValued: false, caseExact, storage, description, examples, ...extra });
}

/** The `user_values` alias the SQL compiler gives an element row. */
export const ELEMENT_ALIAS = 'uv';

/** A sub-attribute of an element: a lowercased `user_values` column (or the `is_primary` boolean). */
function subField(name: string): FieldDef {
  const { column, type } = ELEMENT_SUB_ATTRIBUTES[name]!;
  const storage: Storage = type === 'boolean' ? col(column) : col(column, true, column);
  return Object.freeze({ name, type, multiValued: false, caseExact: false, storage, description: `${name} of one element`, examples: type === 'boolean' ? [true] : ['work'] });
}

function complexField(attr: MultiValuedAttribute): FieldDef {
  const subFields = new Map(SUB_ATTRIBUTES_OF[attr].map((n) => [n, subField(n)]));
  const def: FieldDef = {
    name: attr, type: 'complex', multiValued: true, caseExact: false, storage: { kind: 'elements', attr },
    description: `every element of ${attr} (a filter matches when any element does)`, examples: [`${attr}.value`], subFields,
  };
  return Object.freeze(def);
}

const USER_FIELDS: readonly FieldDef[] = [
  field('id', 'uuid', col('id'), 'user id (UUID)', ['8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f']),
  field('username', 'string', col('username', false, 'username_ci'), 'login name, case-insensitive', ['jdoe']),
  field('name', 'string', col('name', false, 'name_ci'), 'display name, case-insensitive', ['Jane Doe']),
  field('email', 'string', col('email', true, 'email_ci'), 'email address, case-insensitive', ['jane@example.com']),
  field('path', 'string', col('path'), 'folder-like path', ['users', 'users/contractors']),
  field('is_active', 'boolean', col('is_active'), 'whether the user may log in', [true, false]),
  field('type', 'enum', col('type'), 'user type', [...USER_TYPES], { values: USER_TYPES }),
  field('last_login', 'datetime', col('last_login', true), 'last successful login', ['2024-01-31T12:00:00Z']),
  field('date_joined', 'datetime', col('created_at'), 'creation time', ['2024-01-01']),
  field('updated_at', 'datetime', col('updated_at'), 'last modification time', ['2024-01-01']),
  field('external_id', 'string', col('external_id', true), 'id at the provisioning identity provider', ['00u1abcd']),
  field('uid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE }, 'POSIX uidNumber', [10001]),
  field('gid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE }, 'POSIX gidNumber (private group)', [10001]),
  field('is_superuser', 'boolean', { kind: 'superuser' }, 'member of a superuser group (at any depth)', [true]),
  field('attributes', 'json', { kind: 'json', column: 'attributes' }, 'custom attributes: attributes.<key>[.<key>…]', ['attributes.department']),
  field('groups.name', 'relation', { kind: 'relation', relation: 'user-groups', ciColumn: 'name_ci' }, 'name of a direct group', ['admins'], { multiValued: true, valueType: 'string' }),
  field('roles.name', 'relation', { kind: 'relation', relation: 'user-roles', ciColumn: 'name_ci' }, 'name of a role held directly or through groups', ['helpdesk'], { multiValued: true, valueType: 'string' }),
  ...MULTI_VALUED_ATTRIBUTES.map(complexField),
];

const GROUP_FIELDS: readonly FieldDef[] = [
  field('id', 'uuid', col('id'), 'group id (UUID)', ['8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f']),
  field('name', 'string', col('name', false, 'name_ci'), 'group name, case-insensitive', ['admins']),
  field('is_superuser', 'boolean', col('is_superuser'), 'members are superusers', [true, false]),
  field('external_id', 'string', col('external_id', true), 'id at the provisioning identity provider', ['00g1abcd']),
  field('created_at', 'datetime', col('created_at'), 'creation time', ['2024-01-01']),
  field('updated_at', 'datetime', col('updated_at'), 'last modification time', ['2024-01-01']),
  field('gid_number', 'integer', { kind: 'offset', column: 'seq', offset: POSIX_ID_BASE + GROUP_GID_OFFSET }, 'POSIX gidNumber', [1010001]),
  field('attributes', 'json', { kind: 'json', column: 'attributes' }, 'custom attributes: attributes.<key>[.<key>…]', ['attributes.costcenter']),
  field('parent.name', 'relation', { kind: 'relation', relation: 'group-parents', ciColumn: 'name_ci' }, 'name of a direct parent group', ['engineering'], { multiValued: true, valueType: 'string' }),
  field('children.name', 'relation', { kind: 'relation', relation: 'group-children', ciColumn: 'name_ci' }, 'name of a direct child group', ['backend'], { multiValued: true, valueType: 'string' }),
  field('members.username', 'relation', { kind: 'relation', relation: 'group-members', ciColumn: 'username_ci' }, 'username of a direct member', ['jdoe'], { multiValued: true, valueType: 'string' }),
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
