/**
 * fast-check arbitraries for the query engine's property tests: small random directories
 * (Unicode, NULLs, nested attributes, nested and cyclic groups) and random ASTs whose values are
 * drawn from the same pools, so that comparisons actually hit.
 */
import fc from 'fast-check';
import { and, any, compare, hasMember, inList, memberOf, not, or, present, substring, FALSE, TRUE } from '../../src/query/ast.js';
import type { CompareOp, QueryNode } from '../../src/query/ast.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { USER_TYPES } from '../../src/domain/catalogue.js';
import type { EvalDirectory, EvalGroup, EvalUser } from '../../src/query/evaluate.js';

const uuid = (prefix: string, i: number) => `${prefix}${String(i).padStart(3, '0')}-0000-4000-8000-000000000000`;
export const USER_IDS = Array.from({ length: 8 }, (_, i) => uuid('0000a', i));
export const GROUP_IDS = Array.from({ length: 6 }, (_, i) => uuid('0000b', i));
const ROLE_IDS = Array.from({ length: 3 }, (_, i) => uuid('0000c', i));

/** Characters chosen to trip up case folding, LIKE/GLOB escaping and collation. */
const CHARS = ['a', 'A', 'b', 'B', 'z', 'é', 'É', 'ß', 'İ', 'ı', 'Σ', 'ς', '😀', '%', '_', '\\', '*', '?', '[', ']', "'", '"', ' ', '-', '.', '0', '9'];
const text = fc.array(fc.constantFrom(...CHARS), { maxLength: 4 }).map((cs) => cs.join(''));
const textOrUnicode = fc.oneof({ weight: 5, arbitrary: text }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }).map((s) => s.replace(/\u0000/g, '')) });
const DATES = ['2020-01-01T00:00:00.000Z', '2021-06-15T12:30:00.500Z', '2024-02-29T23:59:59.999Z', '1999-12-31T00:00:00.000Z'];
const date = fc.constantFrom(...DATES);
const KEYS = ['a', 'b', 'sn', 'givenName', 'dept'];
const PATHS = ['users', 'users/a', 'Users/A', 'users/b%', ''];

const scalarJson: fc.Arbitrary<unknown> = fc.oneof(text, fc.integer({ min: -3, max: 3 }), fc.constantFrom(1.5, -0.25), fc.boolean(), fc.constant(null));
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: scalarJson },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...KEYS), scalarJson, { maxKeys: 3 }) },
  { weight: 1, arbitrary: fc.array(scalarJson, { maxLength: 2 }) },
);
const attributes = fc.dictionary(fc.constantFrom(...KEYS), jsonValue, { maxKeys: 4 });

/** Elements of multi-valued attributes: typed, primary or not ("True" is not JSON true), sometimes not an object at all. */
const TYPES = ['work', 'home', 'Work', 'other'];
const element = fc.oneof(
  { weight: 6, arbitrary: fc.record({ value: fc.option(text, { nil: undefined }), type: fc.option(fc.constantFrom(...TYPES), { nil: undefined }), primary: fc.option(fc.constantFrom<unknown>(true, false, 'True'), { nil: undefined }), display: fc.option(text, { nil: undefined }) }, { requiredKeys: [] }) },
  { weight: 2, arbitrary: fc.record({ locality: fc.option(text, { nil: undefined }), postalCode: fc.option(text, { nil: undefined }), type: fc.option(fc.constantFrom(...TYPES), { nil: undefined }) }, { requiredKeys: [] }) },
  { weight: 1, arbitrary: fc.oneof(text, fc.constant(null), fc.integer()) },
);
const userAttributes = fc.tuple(attributes, fc.dictionary(fc.constantFrom('emails', 'addresses', 'phoneNumbers'), fc.array(element, { maxLength: 3 }), { maxKeys: 2 }))
  .map(([a, lists]) => ({ ...a, ...lists }));

/** Distinct by lowercase, as the unique `_ci` columns demand. */
function uniqueCi(names: string[], fallback: string): string[] {
  const seen = new Set<string>();
  return names.map((n, i) => {
    let v = n === '' ? `${fallback}${i}` : n;
    while (seen.has(v.toLowerCase())) v += `${i}`;
    seen.add(v.toLowerCase());
    return v;
  });
}

export const directoryArb: fc.Arbitrary<EvalDirectory> = fc.record({
  nUsers: fc.integer({ min: 0, max: USER_IDS.length }),
  nGroups: fc.integer({ min: 0, max: GROUP_IDS.length }),
  nRoles: fc.integer({ min: 0, max: ROLE_IDS.length }),
  users: fc.array(fc.record({
    username: textOrUnicode, name: textOrUnicode, email: fc.option(textOrUnicode), path: fc.constantFrom(...PATHS),
    type: fc.constantFrom(...USER_TYPES), is_active: fc.boolean(), last_login: fc.option(date), created_at: date, updated_at: date,
    external_id: fc.option(text), attributes: userAttributes,
  }), { minLength: USER_IDS.length, maxLength: USER_IDS.length }),
  groups: fc.array(fc.record({ name: textOrUnicode, is_superuser: fc.boolean(), external_id: fc.option(text), created_at: date, attributes }), { minLength: GROUP_IDS.length, maxLength: GROUP_IDS.length }),
  roleNames: fc.array(text, { minLength: ROLE_IDS.length, maxLength: ROLE_IDS.length }),
  links: fc.array(fc.tuple(fc.nat(20), fc.nat(20), fc.constantFrom('member', 'parent', 'userRole', 'groupRole')), { maxLength: 24 }),
}).map((r): EvalDirectory => {
  const usernames = uniqueCi(r.users.slice(0, r.nUsers).map((u) => u.username), 'u');
  const users: EvalUser[] = r.users.slice(0, r.nUsers).map((u, i) => ({ ...u, id: USER_IDS[i]!, seq: i + 1, username: usernames[i]! }));
  const groupNames = uniqueCi(r.groups.slice(0, r.nGroups).map((g) => g.name), 'g');
  const groups: EvalGroup[] = r.groups.slice(0, r.nGroups).map((g, i) => ({ ...g, id: GROUP_IDS[i]!, seq: i + 1, name: groupNames[i]!, updated_at: g.created_at }));
  const roleNames = uniqueCi(r.roleNames.slice(0, r.nRoles), 'r');
  const roles = roleNames.map((name, i) => ({ id: ROLE_IDS[i]!, name }));
  const pairs = new Set<string>();
  const members: { group_id: string; user_id: string }[] = [];
  const parents: { group_id: string; parent_id: string }[] = [];
  const userRoles: { user_id: string; role_id: string }[] = [];
  const groupRoles: { group_id: string; role_id: string }[] = [];
  for (const [a, b, kind] of r.links) {
    const key = `${kind}:${a}:${b}`;
    const g = groups[a % Math.max(1, groups.length)];
    if (pairs.has(key)) continue;
    pairs.add(key);
    if (kind === 'member' && groups.length && users.length) {
      const row = { group_id: g!.id, user_id: users[b % users.length]!.id };
      if (!members.some((m) => m.group_id === row.group_id && m.user_id === row.user_id)) members.push(row);
    } else if (kind === 'parent' && groups.length > 1) {
      const p = groups[b % groups.length]!;
      if (p.id !== g!.id && !parents.some((x) => x.group_id === g!.id && x.parent_id === p.id)) parents.push({ group_id: g!.id, parent_id: p.id });
    } else if (kind === 'userRole' && roles.length && users.length) {
      const row = { user_id: users[a % users.length]!.id, role_id: roles[b % roles.length]!.id };
      if (!userRoles.some((x) => x.user_id === row.user_id && x.role_id === row.role_id)) userRoles.push(row);
    } else if (kind === 'groupRole' && roles.length && groups.length) {
      const row = { group_id: g!.id, role_id: roles[b % roles.length]!.id };
      if (!groupRoles.some((x) => x.group_id === row.group_id && x.role_id === row.role_id)) groupRoles.push(row);
    }
  }
  return { users, groups, members, parents, roles, userRoles, groupRoles };
});

const TEXT_OPS: CompareOp[] = ['eq', 'ne', 'contains', 'startswith', 'endswith', 'gt', 'ge', 'lt', 'le'];
const ORDER_OPS: CompareOp[] = ['eq', 'ne', 'gt', 'ge', 'lt', 'le'];

/** Strings of a directory, and pieces of them, so that generated comparisons hit. */
export function valuePool(dir: EvalDirectory): string[] {
  const out = new Set<string>();
  const add = (s: unknown) => {
    if (typeof s !== 'string' || s === '') return;
    out.add(s);
    const cps = Array.from(s);
    out.add(cps.slice(1).join(''));
    out.add(cps.slice(0, -1).join(''));
    out.add(s.toUpperCase());
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'string') add(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  for (const u of dir.users) [u.username, u.name, u.email, u.path, u.type, u.external_id].forEach(add), walk(u.attributes);
  for (const g of dir.groups) [g.name, g.external_id].forEach(add), walk(g.attributes);
  for (const r of dir.roles) add(r.name);
  return [...out].filter((s) => s !== '');
}

let pooled: fc.Arbitrary<string> = textOrUnicode;

const textLeaf = (field: string) => fc.oneof(
  fc.tuple(fc.constantFrom(...TEXT_OPS), pooled, fc.boolean()).map(([op, v, ic]) => compare(field, op, v, { ignoreCase: ic })),
  fc.constant(present(field)),
  fc.array(pooled, { maxLength: 3 }).map((vs) => inList(field, vs)),
  fc.record({ initial: fc.option(pooled), any: fc.array(text, { maxLength: 2 }), final: fc.option(pooled), ic: fc.boolean() })
    .map((p) => substring(field, { ...(p.initial !== null ? { initial: p.initial } : {}), any: p.any, ...(p.final !== null ? { final: p.final } : {}) }, { ignoreCase: p.ic })),
);

const jsonLeaf = fc.tuple(fc.constantFrom(...KEYS), fc.option(fc.constantFrom(...KEYS), { nil: undefined })).chain(([k1, k2]) => {
  const field = k2 ? `attributes.${k1}.${k2}` : `attributes.${k1}`;
  return fc.oneof(
    textLeaf(field),
    fc.tuple(fc.constantFrom(...ORDER_OPS), fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom(1.5, -0.25))).map(([op, v]) => compare(field, op, v)),
    fc.tuple(fc.constantFrom<CompareOp>('eq', 'ne'), fc.boolean()).map(([op, v]) => compare(field, op, v)),
  );
});

const dateLeaf = (field: string) => fc.tuple(fc.constantFrom(...ORDER_OPS), date).map(([op, v]) => compare(field, op, v));
const boolLeaf = (field: string) => fc.tuple(fc.constantFrom<CompareOp>('eq', 'ne'), fc.boolean()).map(([op, v]) => compare(field, op, v));
const intLeaf = (field: string, base: number) => fc.tuple(fc.constantFrom(...ORDER_OPS), fc.integer({ min: base - 1, max: base + 9 })).map(([op, v]) => compare(field, op, v));
const groupRef = fc.oneof(
  fc.constantFrom(...GROUP_IDS).map((value) => ({ by: 'id' as const, value })),
  textOrUnicode.map((value) => ({ by: 'name' as const, value })),
);

/** `any` over a multi-valued attribute: small trees of sub-field leaves, all about one element. */
function elementLeaf(): fc.Arbitrary<QueryNode> {
  return fc.constantFrom('emails', 'addresses', 'phoneNumbers').chain((field) => {
    const subs = field === 'addresses' ? ['locality', 'postalCode', 'type'] : ['value', 'type', 'display'];
    const leaf = fc.oneof(
      ...subs.map((sub) => textLeaf(sub)),
      boolLeaf('primary'),
      fc.constant(TRUE),
    );
    const where = fc.oneof(
      { weight: 3, arbitrary: leaf },
      { weight: 1, arbitrary: fc.array(leaf, { minLength: 2, maxLength: 2 }).map((xs) => and(...xs)) },
      { weight: 1, arbitrary: fc.array(leaf, { minLength: 2, maxLength: 2 }).map((xs) => or(...xs)) },
      { weight: 1, arbitrary: leaf.map((x) => not(x)) },
    );
    return fc.oneof({ weight: 4, arbitrary: where.map((w) => any(field, w)) }, { weight: 1, arbitrary: fc.constant(present(field)) });
  });
}

function leafArb(entity: Entity, names: fc.Arbitrary<string>): fc.Arbitrary<QueryNode> {
  const byName = names.map((value) => ({ by: 'name' as const, value }));
  const group = fc.oneof(groupRef, byName);
  if (entity === 'users') {
    return fc.oneof(
      textLeaf('username'), textLeaf('name'), textLeaf('email'), textLeaf('path'), textLeaf('type'), textLeaf('external_id'),
      textLeaf('groups.name'), textLeaf('roles.name'), jsonLeaf, jsonLeaf, elementLeaf(), elementLeaf(),
      dateLeaf('last_login'), dateLeaf('date_joined'), dateLeaf('updated_at'),
      boolLeaf('is_active'), boolLeaf('is_superuser'), intLeaf('uid_number', 10000), intLeaf('gid_number', 10000),
      fc.tuple(fc.constantFrom<CompareOp>('eq', 'ne'), fc.constantFrom(...USER_IDS)).map(([op, v]) => compare('id', op, v)),
      fc.tuple(group, fc.boolean()).map(([g, t]) => memberOf(g, t)),
    );
  }
  return fc.oneof(
    textLeaf('name'), textLeaf('external_id'), textLeaf('parent.name'), textLeaf('members.username'), textLeaf('children.name'), jsonLeaf,
    dateLeaf('created_at'), dateLeaf('updated_at'), boolLeaf('is_superuser'), intLeaf('gid_number', 1010000),
    fc.tuple(fc.constantFrom<CompareOp>('eq', 'ne'), fc.constantFrom(...GROUP_IDS)).map(([op, v]) => compare('id', op, v)),
    fc.tuple(group, fc.boolean()).map(([g, t]) => memberOf(g, t)),
    fc.tuple(fc.constantFrom(...USER_IDS), fc.boolean()).map(([value, t]) => hasMember({ entity: 'users', by: 'id', value }, t)),
    fc.tuple(pooled, fc.boolean()).map(([value, t]) => hasMember({ entity: 'users', by: 'username', value }, t)),
    fc.tuple(group, fc.boolean()).map(([g, t]) => hasMember(g.by === 'id' ? { entity: 'groups', by: 'id', value: g.value } : { entity: 'groups', by: 'name', value: g.value }, t)),
  );
}

/** Random query trees for an entity, depth ≤ 4. `names` feeds group-name values that exist. */
export function queryArb(entity: Entity, pool: readonly string[] = []): fc.Arbitrary<QueryNode> {
  pooled = pool.length ? fc.oneof(textOrUnicode, fc.constantFrom(...pool), fc.constantFrom(...pool)) : textOrUnicode;
  const names = pooled;
  const { tree } = fc.letrec<{ tree: QueryNode }>((tie) => ({
    tree: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      { weight: 40, arbitrary: leafArb(entity, names) },
      { weight: 10, arbitrary: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((xs) => and(...xs)) },
      { weight: 10, arbitrary: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }).map((xs) => or(...xs)) },
      { weight: 10, arbitrary: tie('tree').map((x) => not(x)) },
      { weight: 1, arbitrary: fc.constantFrom(TRUE, FALSE) },
    ),
  }));
  return tree;
}
