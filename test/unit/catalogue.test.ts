import { expect } from 'chai';
import {
  fieldsOf, ldapNames, ldapSortNames, orderFields, queryFields, scimExtensionNames, scimNames, scimSortNames,
  shapeFields, sortColumnOf, type Entity,
} from '../../src/domain/catalogue.js';
import { describeFields, parseAdminQuery } from '../../src/query/admin-query.js';
import { ldapFilterToQuery } from '../../src/query/ldap-filter.js';
import { orderableFields, parseOrdering } from '../../src/query/ordering.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { EXPORT_COLUMNS, userCsvRecord } from '../../src/services/export-csv.js';
import { rowToUser } from '../../src/store/rows.js';
import { loadConfig } from '../../src/config.js';
import { orderingFor as ldapOrderingFor } from '../../protocols/ldap/sort-control.js';
import { userJson, UserSchema } from '../../protocols/admin/present.js';
import { componentSchemas } from '../../protocols/admin/routes.js';

const LIMITS = loadConfig({}).query;
const ENTITIES: readonly Entity[] = ['users', 'groups'];
const BASE = { baseDn: 'dc=example,dc=com', limits: LIMITS };

/** Field names a validated query's AST mentions. */
function fieldsIn(node: unknown, out = new Set<string>()): Set<string> {
  if (Array.isArray(node)) node.forEach((n) => fieldsIn(n, out));
  else if (node && typeof node === 'object') {
    const n = node as Record<string, unknown>;
    if (typeof n.field === 'string') out.add(n.field);
    Object.values(n).forEach((v) => fieldsIn(v, out));
  }
  return out;
}

describe('the field catalogue (src/domain/catalogue.ts) and the door names derived from it', () => {
  it('holds the contract: the user shape and export columns of DESIGN.md, in order', () => {
    const shape = ['id', 'username', 'name', 'email', 'path', 'type', 'is_active', 'attributes', 'last_login', 'date_joined'];
    expect(shapeFields('users').map((f) => f.name)).to.deep.equal(shape);
    expect(shapeFields('users').map((f) => f.doors.shape!.at), 'positions').to.deep.equal(shape.map((_, i) => i));
    expect([...EXPORT_COLUMNS]).to.deep.equal(shape);
    const schema = componentSchemas().User as { required: string[]; properties: Record<string, unknown> };
    // The admin API's user also carries the lockout state (DESIGN.md: "users carry locked_until"); the export does not.
    expect(schema.required).to.deep.equal([...shape, 'locked_until']);
    expect(Object.keys(schema.properties)).to.deep.equal([...shape, 'locked_until']);
    expect(UserSchema).to.be.an('object');
  });

  it('holds the contract: the query language fields of DESIGN.md', () => {
    expect(queryFields('users').map((f) => f.name)).to.have.members(
      ['username', 'name', 'email', 'path', 'is_active', 'type', 'last_login', 'date_joined', 'attributes', 'groups.name', 'roles.name']);
    expect(queryFields('groups').map((f) => f.name)).to.have.members(['name', 'is_superuser', 'attributes', 'parent.name', 'members.username']);
    expect(describeFields('users').fields.map((f) => f.name)).to.deep.equal(
      queryFields('users').map((f) => (f.name === 'attributes' ? 'attributes.<key>' : f.name)));
  });

  it('holds the contract: the field meaning table of DESIGN.md (SCIM and LDAP names)', () => {
    const scim = (e: Entity, n: string) => scimNames(e).get(n.toLowerCase())?.name;
    const ldap = (e: Entity, n: string) => ldapNames(e).get(n.toLowerCase())?.name;
    expect([scim('users', 'id'), scim('users', 'userName'), scim('users', 'displayName'), scim('users', 'active'),
      scim('users', 'userType'), scim('users', 'externalId'), scim('users', 'meta.created'), scim('users', 'meta.lastModified'),
      scimExtensionNames('users').get('path')?.name])
      .to.deep.equal(['id', 'username', 'name', 'is_active', 'type', 'external_id', 'date_joined', 'updated_at', 'path']);
    // emails and name.formatted filter their own elements / the name as sent (scim-filter.ts); sortBy orders by the field.
    expect([scim('users', 'emails'), scim('users', 'name.formatted')]).to.deep.equal([undefined, undefined]);
    expect(['emails', 'emails.value', 'name.formatted'].map((n) => scimSortNames('users').get(n)?.name)).to.deep.equal(['email', 'email', 'name']);
    expect([ldap('users', 'entryUUID'), ldap('users', 'cn'), ldap('users', 'uid'), ldap('users', 'displayName'), ldap('users', 'mail'),
      ldap('users', 'dirgateActive'), ldap('users', 'createTimestamp'), ldap('users', 'modifyTimestamp'), ldap('groups', 'cn')])
      .to.deep.equal(['id', 'username', 'username', 'name', 'email', 'is_active', 'date_joined', 'updated_at', 'name']);
  });

  for (const entity of ENTITIES) {
    it(`gives each ${entity} door name to one field only (a second claim would be silently lost in the maps)`, () => {
      for (const [door, names] of [
        ['scim', (f: ReturnType<typeof fieldsOf>[number]) => f.doors.scim ?? []],
        ['scimSort', (f: ReturnType<typeof fieldsOf>[number]) => (f.doors.order ? [...(f.doors.scim ?? []), ...(f.doors.scimSortOnly ?? [])] : [])],
        ['scimExtension', (f: ReturnType<typeof fieldsOf>[number]) => f.doors.scimExtension ?? []],
        ['ldap', (f: ReturnType<typeof fieldsOf>[number]) => [...(f.doors.ldap ?? []), ...(f.doors.ldapAlias ? [f.name] : [])]],
      ] as const) {
        const all = fieldsOf(entity).flatMap((f) => names(f).map((n) => n.toLowerCase()));
        expect(all.length, `${door} names of ${entity}`).to.equal(new Set(all).size);
      }
    });

    it(`keeps the ${entity} door flags coherent: orderable fields have a column, LDAP sort names are LDAP names`, () => {
      for (const f of orderFields(entity)) expect(() => sortColumnOf(f), f.name).not.to.throw();
      for (const f of fieldsOf(entity)) {
        for (const a of f.doors.ldapSort ?? []) expect(f.doors.ldap ?? [], `${f.name} ldapSort ${a}`).to.include(a);
        if (f.doors.scimIgnoreCase) expect(f.doors.scim ?? [], f.name).not.to.be.empty;
      }
    });

    it(`derives every ${entity} door map from the catalogue: each name reaches its field`, () => {
      expect(orderableFields(entity)).to.deep.equal(orderFields(entity).map((f) => f.name));
      for (const f of orderFields(entity)) expect(parseOrdering(`-${f.name}`, entity).keys[0]!.column).to.equal(sortColumnOf(f).column);
      for (const f of queryFields(entity)) {
        const name = f.type === 'json' ? `${f.name}.k` : f.name;
        const value = f.type === 'boolean' ? 'True' : f.type === 'datetime' ? '"2024-01-01"' : f.type === 'enum' ? `"${f.values![0]}"` : '"x"';
        expect([...fieldsIn(parseAdminQuery(`${name} = ${value}`, entity, LIMITS))], `admin ${name}`).to.deep.equal([name]);
      }
      for (const [n, f] of scimNames(entity)) {
        const value = f.type === 'boolean' ? 'true' : f.type === 'datetime' ? '"2024-01-01T00:00:00Z"' : f.type === 'uuid' ? '"8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f"' : '"x"';
        expect([...fieldsIn(parseScimFilter(`${n} eq ${value}`, entity, LIMITS))], `scim ${n}`).to.deep.equal([f.name]);
      }
      for (const [n, f] of ldapNames(entity)) {
        // `mail` carries every address (DESIGN.md), so its filters reach the emails elements, not the primary column.
        const reached = n === 'mail' ? ['emails', 'value'] : [f.name];
        expect([...fieldsIn(ldapFilterToQuery({ type: 'present', attribute: n }, entity, BASE))].every((x) => reached.includes(x)), `ldap ${n}`).to.equal(true);
      }
      for (const [n, f] of ldapSortNames(entity)) {
        expect(ldapOrderingFor([{ attribute: n, reverse: true }], entity)).to.deep.equal({ ordering: `-${f.name}` });
      }
      expect([...scimSortNames(entity).values()].every((f) => f.doors.order)).to.equal(true);
    });
  }

  it('writes the user shape from the domain record, and the CSV from the raw row, field by field', () => {
    const row = {
      id: '8d2b7c1e-4f5a-4b6c-9d8e-0a1b2c3d4e5f', seq: 1, username: 'jdoe', name: 'Jane Doe', email: null, path: 'users', type: 'internal',
      is_active: 1, attributes: '{"a":1}', external_id: null, last_login: null, password_changed_at: null, password_hash: null,
      created_at: '2024-01-02T03:04:05.000Z', updated_at: '2024-01-02T03:04:05.000Z', version: 1,
    };
    expect(userJson(rowToUser(row))).to.deep.equal({
      id: row.id, username: 'jdoe', name: 'Jane Doe', email: null, path: 'users', type: 'internal', is_active: true,
      attributes: { a: 1 }, last_login: null, date_joined: '2024-01-02T03:04:05.000Z', locked_until: null,
    });
    expect(userCsvRecord(row)).to.deep.equal([row.id, 'jdoe', 'Jane Doe', '', 'users', 'internal', 'true', '{"a":1}', '', '2024-01-02T03:04:05.000Z']);
  });
});
