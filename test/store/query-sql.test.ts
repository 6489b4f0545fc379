import { expect } from 'chai';
import { InvalidQuery } from '../../src/domain/errors.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import type { EvalDirectory, EvalUser } from '../../src/query/evaluate.js';
import { filterRecords } from '../../src/query/evaluate.js';
import { ldapFilterToQuery } from '../../src/query/ldap-filter.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { parseOrdering } from '../../src/query/sql.js';
import { DEFAULT_QUERY_LIMITS, matchAll, matchNothing, restrict, validate } from '../../src/query/validate.js';
import type { Validated } from '../../src/query/validate.js';
import { compare } from '../../src/query/ast.js';
import {
  countGroups, countUsers, selectGroupRows, selectUserRows, streamUserRows,
} from '../../src/store/query-sql.js';
import { dialects, freshDatabase } from '../support/databases.js';
import type { TestDatabase } from '../support/databases.js';
import { writeDirectory } from '../support/query-directory.js';
import { ldapFilter } from '../support/query-ldap.js';

const L = DEFAULT_QUERY_LIMITS;
const BASE = 'dc=example,dc=com';
const id = (p: string, i: number) => `${p}${String(i).padStart(7, '0')}-0000-4000-8000-000000000000`;

function user(i: number, over: Partial<EvalUser>): EvalUser {
  return {
    id: id('1', i), seq: i + 1, username: `user${i}`, name: `User ${i}`, email: `user${i}@example.com`, path: 'users',
    type: 'internal', is_active: true, last_login: null, created_at: `2024-01-0${(i % 9) + 1}T00:00:00.000Z`,
    updated_at: '2024-02-01T00:00:00.000Z', external_id: null, attributes: {}, ...over,
  };
}

const DIR: EvalDirectory = {
  users: [
    user(0, { username: 'Jdoe', name: 'Jane Doe', email: 'Jane@Example.com', attributes: { department: 'R&D', "a'b": 'x', level: 3 } }),
    user(1, { username: 'bob', name: 'Bob 50%_off', email: null, is_active: false, path: 'users/contractors' }),
    user(2, { username: 'Ünïcode', name: 'Zoë Ünïcode', email: 'zoe@example.com', attributes: { department: 'Sales', nested: { k: 'v' } } }),
    user(3, {
      username: 'carol', name: 'Carol', email: 'carol@example.com', type: 'service_account', last_login: '2024-03-01T10:00:00.000Z',
      attributes: {
        emails: [{ value: 'carol@example.com', type: 'work', primary: true }, { value: 'C.Home@Mail.test', type: 'home' }],
        addresses: [{ type: 'work', locality: 'Hollywood', postalCode: '91608' }, { type: 'home', locality: 'Paris' }],
        name: { formatted: 'Ms. Carol Q. Public' },
      },
    }),
    user(4, { username: 'dave', name: 'Dave', email: '', attributes: { level: 10 } }),
  ],
  groups: [
    { id: id('2', 0), seq: 1, name: 'admins', is_superuser: true, external_id: null, created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z', attributes: {} },
    { id: id('2', 1), seq: 2, name: 'Engineering', is_superuser: false, external_id: 'ext-1', created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z', attributes: {} },
    { id: id('2', 2), seq: 3, name: 'backend', is_superuser: false, external_id: null, created_at: '2024-01-01T00:00:00.000Z', updated_at: '2024-01-01T00:00:00.000Z', attributes: {} },
  ],
  members: [
    { group_id: id('2', 0), user_id: id('1', 0) },
    { group_id: id('2', 2), user_id: id('1', 2) },
    { group_id: id('2', 1), user_id: id('1', 3) },
  ],
  parents: [{ group_id: id('2', 2), parent_id: id('2', 1) }],
  roles: [{ id: id('3', 0), name: 'Helpdesk' }],
  userRoles: [{ user_id: id('1', 4), role_id: id('3', 0) }],
  groupRoles: [{ group_id: id('2', 1), role_id: id('3', 0) }],
};

for (const dialect of dialects()) {
  describe(`query SQL executed on ${dialect}`, function () {
    this.timeout(30000);
    let t: TestDatabase;
    before(async () => {
      t = await freshDatabase(dialect);
      await writeDirectory(t.db, DIR);
    });
    after(async () => { await t?.drop(); });

    const byLower = (a: string, b: string) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0);
    const names = async (v: Validated) => {
      const rows = v.entity === 'users' ? await selectUserRows(t.db, v) : await selectGroupRows(t.db, v);
      const got = rows.map((r) => String(r.username ?? r.name)).sort(byLower);
      const want = filterRecords(v, DIR).map((r) => ('username' in r ? r.username : r.name)).sort(byLower);
      expect(got, 'SQL and evaluator').to.deep.equal(want);
      return got;
    };
    const admin = (text: string, entity: 'users' | 'groups' = 'users') => names(parseAdminQuery(text, entity, L));
    const scim = (text: string) => names(parseScimFilter(text, 'users', L));
    const ldap = (text: string, entity: 'users' | 'groups' = 'users') => names(ldapFilterToQuery(ldapFilter(text), entity, { baseDn: BASE, limits: L }));

    it('admin queries', async () => {
      expect(await admin('username = "JDOE"')).to.deep.equal(['Jdoe']);
      expect(await admin('email != "jane@example.com"')).to.deep.equal(['bob', 'carol', 'dave', 'Ünïcode']);
      expect(await admin('email = None')).to.deep.equal(['bob', 'dave']);
      expect(await admin('name ~ "50%_"')).to.deep.equal(['bob']);
      expect(await admin('name ~ "ünï"')).to.deep.equal(['Ünïcode']);
      expect(await admin('path startswith "USERS/"')).to.deep.equal(['bob']);
      expect(await admin('attributes.department = "R&D" or attributes.level > 5')).to.deep.equal(['dave', 'Jdoe']);
      expect(await admin('attributes.nested.k = "v"')).to.deep.equal(['Ünïcode']);
      expect(await admin('groups.name = "ADMINS"')).to.deep.equal(['Jdoe']);
      expect(await admin('roles.name = "helpdesk"')).to.deep.equal(['carol', 'dave', 'Ünïcode']);
      expect(await admin('last_login > "2024-01-01" and type in ("service_account")')).to.deep.equal(['carol']);
      expect(await admin('is_active = False')).to.deep.equal(['bob']);
      expect(await admin('members.username = "zoe" or parent.name = "engineering"', 'groups')).to.deep.equal(['backend']);
    });

    it('SCIM filters', async () => {
      expect(await scim('userName eq "jdoe" or emails[value ew "@EXAMPLE.com" and type eq "work"]')).to.deep.equal(['carol', 'Jdoe', 'Ünïcode']);
      expect(await scim('active eq "False"')).to.deep.equal(['bob']);
      expect(await scim(`groups eq "${id('2', 1)}"`)).to.deep.equal(['carol']);
      expect(await scim('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "r&d"')).to.deep.equal(['Jdoe']);
      // Any element matches (RFC 7644 §3.4.2.2), the primary email from its column included.
      expect(await scim('emails.value eq "c.home@mail.TEST"')).to.deep.equal(['carol']);
      expect(await scim('emails.value eq "jane@example.com"')).to.deep.equal(['Jdoe']);
      expect(await scim('emails[type eq "home"]')).to.deep.equal(['carol']);
      expect(await scim('emails[type eq "home" and value sw "carol"]')).to.deep.equal([]);
      expect(await scim('emails[primary eq true and value ew "example.com"]')).to.deep.equal(['carol', 'Jdoe', 'Ünïcode']);
      expect(await scim('not (emails pr)')).to.deep.equal(['bob', 'dave']);
      expect(await scim('addresses[type eq "work" and locality eq "paris"]')).to.deep.equal([]);
      expect(await scim('addresses[type eq "home" and locality eq "paris"]')).to.deep.equal(['carol']);
      expect(await scim('name.formatted eq "ms. carol q. public"')).to.deep.equal(['carol']);
      expect(await scim('name pr')).to.deep.equal(['carol']);
    });

    it('LDAP filters with three-valued logic and transitive membership', async () => {
      expect(await ldap('(!(foo=bar))')).to.deep.equal([]);
      expect(await ldap('(!(mail=jane@example.com))')).to.deep.equal(['bob', 'carol', 'dave', 'Ünïcode']);
      expect(await ldap(`(memberOf=cn=engineering,ou=groups,${BASE})`)).to.deep.equal(['carol']);
      expect(await ldap(`(memberOf:1.2.840.113556.1.4.1941:=cn=Engineering,ou=groups,${BASE})`)).to.deep.equal(['carol', 'Ünïcode']);
      expect(await ldap('(&(objectClass=posixAccount)(uidNumber>=10003))')).to.deep.equal(['carol', 'dave', 'Ünïcode']);
      expect(await ldap('(dirgateSuperuser=TRUE)')).to.deep.equal(['Jdoe']);
      expect(await ldap('(department=r&d)')).to.deep.equal(['Jdoe']);
      expect(await ldap('(!(department=r&d))')).to.deep.equal(['Ünïcode']);
      expect(await ldap('(cn=*o*e)')).to.deep.equal(['Jdoe', 'Ünïcode']);
      expect(await ldap(`(member:1.2.840.113556.1.4.1941:=cn=zoe,ou=users,${BASE})`, 'groups')).to.deep.equal([]);
      expect(await ldap(`(member:1.2.840.113556.1.4.1941:=cn=Ünïcode,ou=users,${BASE})`, 'groups')).to.deep.equal(['backend', 'Engineering']);
    });

    it('treats injection attempts as literal values', async () => {
      expect(await admin('username = "\\"; drop table users; --"')).to.deep.equal([]);
      expect(() => parseScimFilter('urn:ietf:params:scim:schemas:extension:dirgate:2.0:User:attributes.a\'b eq "x"', 'users', L)).to.throw(InvalidQuery);
      expect(await names(validate(compare("attributes.a'b", 'eq', 'x'), 'users', L))).to.deep.equal(['Jdoe']);
      expect(await names(validate(compare("attributes.x') or 1=1 --", 'eq', 'x'), 'users', L))).to.deep.equal([]);
      expect(await ldap('(uid=*\\29\\28|\\28uid=*)')).to.deep.equal([]);
      expect(await countUsers(t.db, matchAll('users'))).to.equal(5);
    });

    it('counts, restricts and refuses the wrong entity', async () => {
      expect(await countUsers(t.db, parseAdminQuery('email != None', 'users', L))).to.equal(3);
      expect(await countGroups(t.db, matchAll('groups'))).to.equal(3);
      expect(await countUsers(t.db, matchNothing('users'))).to.equal(0);
      expect(await names(restrict(matchAll('users'), compare('id', 'eq', id('1', 3))))).to.deep.equal(['carol']);
      let error: unknown;
      await selectGroupRows(t.db, matchAll('users')).catch((e: unknown) => { error = e; });
      expect(error).to.be.instanceOf(InvalidQuery);
    });

    it('pages by offset and by keyset, and streams in batches', async () => {
      const ordering = parseOrdering('-is_active,email,-username', 'users');
      const all = (await selectUserRows(t.db, matchAll('users'), { ordering })).map((r) => r.username);
      expect(all).to.have.length(5);
      const offsetPages = [
        ...(await selectUserRows(t.db, matchAll('users'), { ordering, limit: 2 })),
        ...(await selectUserRows(t.db, matchAll('users'), { ordering, limit: 2, offset: 2 })),
        ...(await selectUserRows(t.db, matchAll('users'), { ordering, limit: 2, offset: 4 })),
      ].map((r) => r.username);
      expect(offsetPages).to.deep.equal(all);
      const streamed: unknown[] = [];
      for await (const row of streamUserRows(t.db, matchAll('users'), ordering, 2)) streamed.push(row.username);
      expect(streamed).to.deep.equal(all);
      const firstPage = await selectUserRows(t.db, matchAll('users'), { ordering, limit: 3 });
      const rest = await selectUserRows(t.db, matchAll('users'), { ordering, after: firstPage[2]! });
      expect([...firstPage, ...rest].map((r) => r.username)).to.deep.equal(all);
    });
  });
}
