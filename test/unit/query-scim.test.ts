import { expect } from 'chai';
import { InvalidQuery, LimitExceeded } from '../../src/domain/errors.js';
import { and, any, compare, FALSE, hasMember, memberOf, not, or, present, TRUE } from '../../src/query/ast.js';
import type { QueryNode } from '../../src/query/ast.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';

const L = DEFAULT_QUERY_LIMITS;
const users = (text: string) => parseScimFilter(text, 'users', L).node;
const groups = (text: string) => parseScimFilter(text, 'groups', L).node;
const eq = (f: string, v: string | number | boolean) => compare(f, 'eq', v);
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const ID = '2819c223-7f76-453a-919d-413861904646';

describe('SCIM filters', () => {
  const golden: [string, QueryNode][] = [
    ['userName eq "bjensen"', eq('username', 'bjensen')],
    ['USERNAME Eq "bjensen"', eq('username', 'bjensen')],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen"', eq('username', 'bjensen')],
    ['displayName co "Jen"', compare('name', 'contains', 'Jen')],
    ['name.formatted sw "Ba"', compare('attributes.name.formatted', 'startswith', 'Ba', { ignoreCase: true })],
    ['name.formatted eq "John Doe"', compare('attributes.name.formatted', 'eq', 'John Doe', { ignoreCase: true })],
    ['name pr', or(...['attributes.name.formatted', 'attributes.givenName', 'attributes.familyName', 'attributes.middleName', 'attributes.honorificPrefix', 'attributes.honorificSuffix'].map((f) => present(f)))],
    ['name.familyName ew "sen"', compare('attributes.familyName', 'endswith', 'sen', { ignoreCase: true })],
    ['name.givenName eq "Barbara"', compare('attributes.givenName', 'eq', 'Barbara', { ignoreCase: true })],
    // RFC 7644 §3.4.2.2: a multi-valued attribute matches when any of its values does.
    ['emails.value eq "b@example.com"', any('emails', eq('value', 'b@example.com'))],
    ['emails co "@example.com"', any('emails', compare('value', 'contains', '@example.com'))],
    ['emails pr', present('emails')],
    ['emails[type eq "work" and value co "@example.com"]', any('emails', and(eq('type', 'work'), compare('value', 'contains', '@example.com')))],
    ['emails[type eq "home"]', any('emails', eq('type', 'home'))],
    ['EMAILS[PRIMARY eq "True"]', any('emails', eq('primary', true))],
    ['emails[not (type eq "work")]', any('emails', not(eq('type', 'work')))],
    ['phoneNumbers.value eq "+1 555"', any('phoneNumbers', eq('value', '+1 555'))],
    ['addresses[type eq "work" and postalCode eq "91608"]', any('addresses', and(eq('type', 'work'), eq('postalCode', '91608')))],
    ['addresses.locality sw "Holly"', any('addresses', compare('locality', 'startswith', 'Holly'))],
    ['ims.type eq "xmpp"', any('ims', eq('type', 'xmpp'))],
    ['photos.value pr', any('photos', present('value'))],
    ['entitlements.display co "x" or roles.value eq "admin"', or(any('entitlements', compare('display', 'contains', 'x')), any('roles', eq('value', 'admin')))],
    ['x509Certificates.value eq "MIIC"', any('x509Certificates', eq('value', 'MIIC'))],
    ['active eq true', eq('is_active', true)],
    ['active eq "False"', eq('is_active', false)],
    ['active pr', present('is_active')],
    ['emails.type eq "work"', any('emails', eq('type', 'work'))],
    ['externalId eq "00u1"', eq('external_id', '00u1')],
    ['userType eq "Employee"', compare('type', 'eq', 'Employee', { ignoreCase: true })],
    ['meta.lastModified gt "2011-05-13T04:42:34Z"', compare('updated_at', 'gt', '2011-05-13T04:42:34.000Z')],
    ['meta.created le "2011-05-13"', compare('date_joined', 'le', '2011-05-13T00:00:00.000Z')],
    [`id eq "${ID.toUpperCase()}"`, eq('id', ID)],
    [`groups eq "${ID}"`, memberOf({ by: 'id', value: ID })],
    [`groups.value ne "${ID}"`, not(memberOf({ by: 'id', value: ID }))],
    [`groups[value eq "${ID}"]`, memberOf({ by: 'id', value: ID })],
    ['groups.display eq "admins"', eq('groups.name', 'admins')],
    [`${ENT}:employeeNumber eq "701984"`, compare('attributes.employeeNumber', 'eq', '701984', { ignoreCase: true })],
    [`${ENT}:department co "Tour"`, compare('attributes.department', 'contains', 'Tour', { ignoreCase: true })],
    [`${ENT}:manager.value eq "26118915"`, compare('attributes.manager', 'eq', '26118915', { ignoreCase: true })],
    ['urn:ietf:params:scim:schemas:extension:dirgate:2.0:User:path sw "users/"', compare('path', 'startswith', 'users/')],
    ['urn:ietf:params:scim:schemas:extension:dirgate:2.0:User:attributes.costCenter eq "4"', eq('attributes.costCenter', '4')],
    ['title pr or userName eq "x"', null as unknown as QueryNode],
    ['emails eq null', not(present('emails'))],
    ['externalId eq 42', eq('external_id', '42')],
    // Precedence: not > and > or.
    ['userName eq "a" or userName eq "b" and active eq true',
      or(eq('username', 'a'), and(eq('username', 'b'), eq('is_active', true)))],
    ['not (userName eq "a") and active eq false', and(not(eq('username', 'a')), eq('is_active', false))],
    ['(userName eq "a" or userName eq "b") and active eq true',
      and(or(eq('username', 'a'), eq('username', 'b')), eq('is_active', true))],
  ];
  for (const [text, ast] of golden.filter(([, a]) => a !== null)) {
    it(`parses ${text}`, () => expect(users(text)).to.deep.equal(ast));
  }

  it('parses group filters', () => {
    expect(groups('displayName eq "Admins"')).to.deep.equal(eq('name', 'Admins'));
    expect(groups(`members.value eq "${ID}"`)).to.deep.equal(or(
      hasMember({ entity: 'users', by: 'id', value: ID }), hasMember({ entity: 'groups', by: 'id', value: ID })));
    expect(groups(`members[value eq "${ID}"]`)).to.deep.equal(groups(`members eq "${ID}"`));
    expect(groups('members pr')).to.deep.equal(present('members.username'));
    expect(groups('meta.created ge "2020-01-01T00:00:00Z"')).to.deep.equal(compare('created_at', 'ge', '2020-01-01T00:00:00.000Z'));
  });

  describe('refuses with InvalidQuery (400 invalidFilter)', () => {
    const bad: [string, RegExp][] = [
      ['title pr', /unknown attribute "title"/],
      ['nosuch eq "x"', /unknown attribute "nosuch"/],
      ['urn:example:foo:bar eq "x"', /unknown attribute/],
      ['active gt true', /operator "gt" does not apply to a boolean/],
      ['active co "t"', /operator "co" does not apply to a boolean/],
      ['active eq "maybe"', /needs true or false/],
      ['meta.created co "2020"', /does not apply to a dateTime/],
      ['meta.created gt "yesterday"', /takes a date/],
      ['id sw "28"', /does not apply to an id/],
      ['groups.value co "x"', /is not supported/],
      ['userName eq true', /needs a string/],
      ['userName eq', /invalid filter/],
      ['userName xx "a"', /invalid filter/],
      ['(userName eq "a"', /invalid filter/],
      [`groups[value eq "a" and display eq "b"]`, /only "or"/],
      ['displayName eq "x"', /unknown attribute/],
      ['emails.nosuch eq "x"', /unknown attribute "emails.nosuch"/],
      ['emails[nosuch eq "x"]', /unknown attribute "emails.nosuch"/],
      ['emails[primary gt true]', /does not apply to a boolean/],
      ['emails[value eq true]', /needs a string/],
      ['addresses eq "x"', /needs a sub-attribute/],
      ['name eq "x"', /not supported on a complex attribute/],
      ['emails[type eq "a" and groups[value eq "b"]]', /invalid filter|cannot nest/],
    ];
    for (const [text, re] of bad) {
      it(text, () => {
        const entity = text === 'displayName eq "x"' ? 'groups' : 'users';
        if (entity === 'groups') {
          expect(() => parseScimFilter('userName eq "x"', 'groups', L)).to.throw(InvalidQuery, re);
          return;
        }
        expect(() => parseScimFilter(text, 'users', L)).to.throw(InvalidQuery, re);
      });
    }
  });

  it('enforces limits', () => {
    expect(() => parseScimFilter(`userName eq "${'x'.repeat(5000)}"`, 'users', L)).to.throw(LimitExceeded, 'longer than 4096');
    const deep = `${'not ('.repeat(40)}userName eq "a"${')'.repeat(40)}`;
    expect(() => parseScimFilter(deep, 'users', L)).to.throw(LimitExceeded, 'deeper than 32');
    const wide = Array.from({ length: 200 }, (_, i) => `userName eq "${i}"`).join(' or ');
    expect(() => parseScimFilter(wide, 'users', { ...L, maxNodes: 100 })).to.throw(LimitExceeded, 'more than 100 terms');
  });

  it('keeps injection attempts as literal values', () => {
    expect(users('userName eq "\\"; drop table users; --"')).to.deep.equal(eq('username', '"; drop table users; --'));
  });
});
