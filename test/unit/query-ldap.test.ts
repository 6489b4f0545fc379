import { expect } from 'chai';
import { LimitExceeded } from '../../src/domain/errors.js';
import { and, any, compare, FALSE, hasMember, memberOf, not, or, present, substring, TRUE } from '../../src/query/ast.js';
import type { QueryNode } from '../../src/query/ast.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { generalizedTime, ldapFilterToQuery } from '../../src/query/ldap-filter.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';
import { childOf, parseDn } from '../../src/query/dn.js';
import { ldapFilter } from '../support/query-ldap.js';

const BASE = 'dc=example,dc=com';
const ctx = { baseDn: BASE, limits: DEFAULT_QUERY_LIMITS };
const q = (text: string, entity: Entity = 'users') => ldapFilterToQuery(ldapFilter(text), entity, ctx).node;
const eq = (f: string, v: string | number | boolean) => compare(f, 'eq', v);
const anyMail = (where: QueryNode) => any('emails', where);
const custom = (k: string, v: string) => or(compare(`attributes.${k}`, 'eq', v, { ignoreCase: true }), /^-?\d+$/.test(v) ? compare(`attributes.${k}`, 'eq', Number(v)) : FALSE);

describe('LDAP filters', () => {
  const golden: [string, QueryNode][] = [
    ['(uid=jdoe)', eq('username', 'jdoe')],
    ['(CN=jdoe)', eq('username', 'jdoe')],
    // mail carries every address: a filter matches any element of emails (ignoring case).
    ['(mail=j@example.com)', anyMail(compare('value', 'eq', 'j@example.com', { ignoreCase: true }))],
    ['(displayName=Jane Doe)', eq('name', 'Jane Doe')],
    ['(sn=Doe)', compare('attributes.sn', 'eq', 'Doe', { ignoreCase: true })],
    ['(givenName~=jane)', compare('attributes.givenName', 'eq', 'jane', { ignoreCase: true })],
    ['(cn~=JDoe)', compare('username', 'eq', 'JDoe', { ignoreCase: true })],
    ['(uid=j*)', substring('username', { initial: 'j' })],
    ['(uid=*do*e*)', substring('username', { any: ['do', 'e'] })],
    ['(uid=a*b*c)', substring('username', { initial: 'a', any: ['b'], final: 'c' })],
    ['(uid=*)', present('username')],
    ['(mail=*)', anyMail(present('value'))],
    ['(cn=a\\2ab)', eq('username', 'a*b')],
    ['(entryUUID=2819C223-7F76-453A-919D-413861904646)', eq('id', '2819c223-7f76-453a-919d-413861904646')],
    ['(objectClass=inetOrgPerson)', TRUE],
    ['(objectclass=POSIXACCOUNT)', TRUE],
    ['(objectClass=groupOfNames)', FALSE],
    ['(objectClass=*)', TRUE],
    ['(dirgateActive=TRUE)', eq('is_active', true)],
    ['(dirgateActive=false)', eq('is_active', false)],
    ['(dirgateActive=maybe)', FALSE],
    ['(!(dirgateActive=maybe))', FALSE],
    ['(dirgateSuperuser=TRUE)', eq('is_superuser', true)],
    ['(uidNumber=10005)', eq('uid_number', 10005)],
    ['(uidNumber>=10005)', compare('uid_number', 'ge', 10005)],
    ['(gidNumber<=10005)', compare('gid_number', 'le', 10005)],
    ['(uidNumber=abc)', FALSE],
    ['(homeDirectory=*)', TRUE],
    ['(homeDirectory=/home/jdoe)', eq('username', 'jdoe')],
    ['(createTimestamp>=20240131120000Z)', compare('date_joined', 'ge', '2024-01-31T12:00:00.000Z')],
    ['(modifyTimestamp<=20240131120000.5+0100)', compare('updated_at', 'le', '2024-01-31T11:00:00.500Z')],
    [`(memberOf=cn=admins,ou=groups,${BASE})`, memberOf({ by: 'name', value: 'admins' })],
    [`(memberOf=CN=Admins, OU=Groups, DC=Example, DC=Com)`, memberOf({ by: 'name', value: 'Admins' })],
    [`(memberOf=cn=a\\5c2cb,ou=groups,${BASE})`, memberOf({ by: 'name', value: 'a,b' })],
    [`(memberOf=cn=admins,ou=people,${BASE})`, FALSE],
    [`(memberOf:1.2.840.113556.1.4.1941:=cn=admins,ou=groups,${BASE})`, memberOf({ by: 'name', value: 'admins' }, true)],
    ['(memberOf=*)', present('groups.name')],
    ['(uid:caseIgnoreMatch:=JDoe)', compare('username', 'eq', 'JDoe', { ignoreCase: true })],
    // Attributes the entry type does not have are Undefined: neither they nor their negation match.
    ['(member=cn=x,ou=users,dc=example,dc=com)', FALSE],
    ['(!(member=cn=x,ou=users,dc=example,dc=com))', FALSE],
    ['(|(memberUid=x)(uid=x))', eq('username', 'x')],
    ['(!(|(memberUid=x)(uid=x)))', FALSE],
    ['(!(&(memberUid=x)(uid=x)))', not(eq('username', 'x'))],
    ['(&(uid=x)(!(memberUid=x)))', FALSE],
    ['(uidNumber=*foo*)', FALSE],
    ['(!(entryUUID>=x))', FALSE],
    ['(uid:1.2.3.4:=x)', FALSE],
    ['(:dn:2.5.13.5:=x)', FALSE],
    // Custom attributes are known where an entry has them.
    ['(department=R&D)', custom('department', 'R&D')],
    ['(!(department=R&D))', and(present('attributes.department'), not(custom('department', 'R&D')))],
    ['(employeeNumber=42)', custom('employeeNumber', '42')],
    // Boolean structure.
    ['(&(uid=a)(|(mail=b)(!(cn=c))))', and(eq('username', 'a'), or(anyMail(compare('value', 'eq', 'b', { ignoreCase: true })), not(eq('username', 'c'))))],
    ['(&(uid=a))', eq('username', 'a')],
  ];
  for (const [text, ast] of golden) {
    it(`translates ${text}`, () => expect(q(text)).to.deep.equal(ast));
  }

  describe('groups', () => {
    const g: [string, QueryNode][] = [
      ['(cn=admins)', eq('name', 'admins')],
      ['(objectClass=posixGroup)', TRUE],
      ['(objectClass=inetOrgPerson)', FALSE],
      [`(member=cn=jdoe,ou=users,${BASE})`, hasMember({ entity: 'users', by: 'username', value: 'jdoe' })],
      [`(uniqueMember=uid=jdoe,ou=users,${BASE})`, hasMember({ entity: 'users', by: 'username', value: 'jdoe' })],
      [`(member=cn=eng,ou=groups,${BASE})`, hasMember({ entity: 'groups', by: 'name', value: 'eng' })],
      [`(member:1.2.840.113556.1.4.1941:=cn=jdoe,ou=users,${BASE})`, hasMember({ entity: 'users', by: 'username', value: 'jdoe' }, true)],
      ['(member=cn=jdoe,ou=users,dc=other)', FALSE],
      ['(member=*)', or(present('members.username'), present('children.name'))],
      ['(memberUid=jdoe)', hasMember({ entity: 'users', by: 'username', value: 'jdoe' })],
      ['(memberUid=j*)', substring('members.username', { initial: 'j' })],
      [`(memberOf=cn=eng,ou=groups,${BASE})`, memberOf({ by: 'name', value: 'eng' })],
      ['(gidNumber=1010003)', eq('gid_number', 1010003)],
      ['(uid=jdoe)', FALSE],
      ['(!(uid=jdoe))', FALSE],
    ];
    for (const [text, ast] of g) {
      it(`translates ${text}`, () => expect(q(text, 'groups')).to.deep.equal(ast));
    }
  });

  it('takes attribute OIDs, option-tagged names and empty sets', () => {
    const t = (f: Parameters<typeof ldapFilterToQuery>[0]) => ldapFilterToQuery(f, 'users', ctx).node;
    expect(t({ type: 'equal', attribute: '0.9.2342.19200300.100.1.1', value: 'jdoe' })).to.deep.equal(eq('username', 'jdoe'));
    expect(t({ type: 'equal', attribute: 'uid;lang-en', value: 'jdoe' })).to.deep.equal(FALSE);
    expect(t({ type: 'not', filter: { type: 'equal', attribute: 'uid;lang-en', value: 'jdoe' } })).to.deep.equal(FALSE);
    expect(t({ type: 'and', filters: [] })).to.deep.equal(TRUE);
    expect(t({ type: 'or', filters: [] })).to.deep.equal(FALSE);
  });

  it('enforces limits while translating', () => {
    const deep = `${'(!'.repeat(40)}(uid=a)${')'.repeat(40)}`;
    expect(() => q(deep)).to.throw(LimitExceeded, 'deeper than 32');
    const wide = `(|${Array.from({ length: 600 }, (_, i) => `(uid=${i})`).join('')})`;
    expect(() => q(wide)).to.throw(LimitExceeded, 'more than 512 terms');
  });

  it('parses DNs and generalized time', () => {
    expect(parseDn('cn=a\\,b ,  ou=users,dc=x')).to.deep.equal([{ type: 'cn', value: 'a,b' }, { type: 'ou', value: 'users' }, { type: 'dc', value: 'x' }]);
    expect(parseDn('cn=caf\\c3\\a9,dc=x')![0]!.value).to.equal('café');
    expect(parseDn('cn=a+uid=b,dc=x')).to.equal(undefined);
    expect(childOf('uid=x,ou=users,dc=a', 'ou=users,dc=a', ['cn'])).to.equal(undefined);
    expect(generalizedTime('20240131')).to.equal(undefined);
    expect(generalizedTime('2024013112Z')).to.equal('2024-01-31T12:00:00.000Z');
  });
});
