import { expect } from 'chai';
import { InvalidQuery, LimitExceeded } from '../../src/domain/errors.js';
import { and, compare, inList, not, or, present, TRUE } from '../../src/query/ast.js';
import type { QueryNode } from '../../src/query/ast.js';
import { describeFields, parseAdminQuery } from '../../src/query/admin-query.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';

const L = DEFAULT_QUERY_LIMITS;
const users = (text: string) => parseAdminQuery(text, 'users', L).node;
const eq = (f: string, v: string | number | boolean) => compare(f, 'eq', v);

function fails(text: string, message: string, column?: number, entity: Entity = 'users'): void {
  try {
    parseAdminQuery(text, entity, L);
  } catch (e) {
    expect(e).to.be.instanceOf(InvalidQuery);
    expect((e as InvalidQuery).message).to.equal(message);
    if (column !== undefined) expect((e as InvalidQuery).position).to.equal(column);
    return;
  }
  expect.fail(`"${text}" parsed`);
}

describe('admin query language (DjangoQL)', () => {
  const golden: [string, QueryNode][] = [
    ['', TRUE],
    ['   ', TRUE],
    ['username = "jdoe"', eq('username', 'jdoe')],
    ['username != "jdoe"', not(eq('username', 'jdoe'))],
    ['name ~ "doe"', compare('name', 'contains', 'doe', { ignoreCase: true })],
    ['name !~ "doe"', not(compare('name', 'contains', 'doe', { ignoreCase: true }))],
    ['email = None', not(present('email'))],
    ['email != None', present('email')],
    ['is_active = True', eq('is_active', true)],
    ['is_active = False', eq('is_active', false)],
    ['last_login > "2024-01-31"', compare('last_login', 'gt', '2024-01-31T00:00:00.000Z')],
    ['date_joined <= "2024-01-31T12:00:00+02:00"', compare('date_joined', 'le', '2024-01-31T10:00:00.000Z')],
    ['type in ("internal", "external")', inList('type', ['internal', 'external'])],
    ['type not in ("internal")', not(eq('type', 'internal'))],
    ['path startswith "users/"', compare('path', 'startswith', 'users/', { ignoreCase: true })],
    ['path not endswith "x"', not(compare('path', 'endswith', 'x', { ignoreCase: true }))],
    ['attributes.department = "R&D"', eq('attributes.department', 'R&D')],
    ['attribute.department = "R&D"', eq('attributes.department', 'R&D')],
    ['attributes.dept.code >= 10', compare('attributes.dept.code', 'ge', 10)],
    ['attributes.level = 1.5', eq('attributes.level', 1.5)],
    ['attributes.vip = True', eq('attributes.vip', true)],
    ['attributes.employee-id = "7"', eq('attributes.employee-id', '7')],
    ['groups.name = "admins"', eq('groups.name', 'admins')],
    ['roles.name ~ "help"', compare('roles.name', 'contains', 'help', { ignoreCase: true })],
    ['username = "a\\"b\\u00e9\\n"', eq('username', 'a"bé\n')],
    // DjangoQL: equal precedence, grouping to the right.
    ['username = "a" and name = "b" or email = "c"', and(eq('username', 'a'), or(eq('name', 'b'), eq('email', 'c')))],
    ['username = "a" or name = "b" and email = "c"', or(eq('username', 'a'), and(eq('name', 'b'), eq('email', 'c')))],
    ['(username = "a" and name = "b") or email = "c"', or(and(eq('username', 'a'), eq('name', 'b')), eq('email', 'c'))],
    ['username = "a" and (name = "b" or email = "c")', and(eq('username', 'a'), or(eq('name', 'b'), eq('email', 'c')))],
  ];
  for (const [text, ast] of golden) {
    it(`parses ${JSON.stringify(text)}`, () => expect(users(text)).to.deep.equal(ast));
  }

  it('parses group fields', () => {
    expect(parseAdminQuery('parent.name = "eng" and members.username ~ "j" and is_superuser = True', 'groups', L).node).to.deep.equal(
      and(eq('parent.name', 'eng'), compare('members.username', 'contains', 'j', { ignoreCase: true }), eq('is_superuser', true)));
  });

  describe('errors say what and where', () => {
    it('unknown field with a suggestion', () => fails('emial = "x"', 'unknown field "emial" at column 1 — did you mean "email"?', 1));
    it('unknown field later on', () => fails('username = "x" and usrname = "y"', 'unknown field "usrname" at column 20 — did you mean "username"?', 20));
    it('relation without its attribute', () => fails('groups = "x"', 'unknown field "groups" at column 1 — did you mean "groups.name"?', 1));
    it('field of the other entity', () => fails('members.username = "x"', 'unknown field "members.username" at column 1', 1));
    it('missing value', () => fails('email = ', 'expected a value after "=" at column 8', 8));
    it('missing value at the end', () => fails('username =', 'expected a value after "=" at column 11', 11));
    it('missing operator', () => fails('email "x"', 'expected an operator after "email" at column 7', 7));
    it('None with an ordering operator', () => fails('last_login > None', 'None can only be used with = and !=, at column 14', 14));
    it('True with contains', () => fails('attributes.x ~ True', 'True can only be used with = and !=, at column 16', 16));
    it('wrong value type', () => fails('is_active = "yes"', 'field "is_active" takes True or False, at column 13', 13));
    it('bad date', () => fails('date_joined > "yesterday"', 'field "date_joined" takes a date such as "2024-01-31" or "2024-01-31T12:00:00Z", at column 15', 15));
    it('operator not for the type', () => fails('is_active ~ "x"', 'operator "~" does not apply to field "is_active" (boolean) at column 11; use = !=', 11));
    it('unterminated string', () => fails('name = "abc', 'unterminated string starting at column 8', 8));
    it('bad escape', () => fails('name = "a\\qb"', 'invalid escape "\\\\q" in string at column 10', 10));
    it('unbalanced parenthesis', () => fails('(name = "a"', 'expected ")" to close "(" at column 1, found the end of the query at column 12', 12));
    it('stray parenthesis', () => fails('name = "a")', 'unmatched ")" at column 11', 11));
    it('dangling and', () => fails('name = "a" and', 'expected a condition after "and" at column 15', 15));
    it('no not (...) in DjangoQL', () => fails('not (name = "a")', 'expected a field name, found "not" at column 1', 1));
    it('injection in a key is a lexical error', () => fails(`attributes.a'b = "x"`, `unexpected character "'" at column 13`, 13));
    it('list syntax', () => fails('type in "x"', 'expected "(" and a list of values after "in" at column 9', 9));
    it('lowercase false says how to write it', () => fails('is_active = false', 'expected a value after "=" at column 13: write False (True, False and None are capitalised), not false', 13));
    it('lowercase none and true too', () => {
      fails('email = none', 'expected a value after "=" at column 9: write None (True, False and None are capitalised), not none', 9);
      fails('is_active != TRUE', 'expected a value after "!=" at column 14: write True (True, False and None are capitalised), not TRUE', 14);
    });
  });

  describe('plain text (no operator) searches username, name and email', () => {
    const contains = (f: string, v: string) => compare(f, 'contains', v, { ignoreCase: true });
    it('one word', () => expect(users('bob')).to.deep.equal(or(contains('username', 'bob'), contains('name', 'bob'), contains('email', 'bob'))));
    it('an address and several words, trimmed', () => {
      expect(users(' bob@corp.com ')).to.deep.equal(or(contains('username', 'bob@corp.com'), contains('name', 'bob@corp.com'), contains('email', 'bob@corp.com')));
      expect(users('Ann Lee')).to.deep.equal(or(contains('username', 'Ann Lee'), contains('name', 'Ann Lee'), contains('email', 'Ann Lee')));
    });
    it('groups: the name', () => expect(parseAdminQuery('ops', 'groups', L).node).to.deep.equal(contains('name', 'ops')));
    it('anything with an operator character is still the query language', () => fails('bob = ', 'unknown field "bob" at column 1', 1));
  });

  describe('limits are checked while parsing', () => {
    it('text length', () => {
      expect(() => parseAdminQuery(`name = "${'x'.repeat(50)}"`, 'users', { ...L, maxLength: 20 })).to.throw(LimitExceeded, 'longer than 20');
    });
    it('nesting depth of parentheses', () => {
      const text = `${'('.repeat(40)}name = "a"${')'.repeat(40)}`;
      expect(() => parseAdminQuery(text, 'users', L)).to.throw(LimitExceeded, 'deeper than 32').with.property('position', 33);
    });
    it('depth from right-grouping', () => {
      const text = Array.from({ length: 40 }, (_, i) => `name = "${i}" ${i % 2 ? 'and' : 'or'}`).join(' ') + ' name = "z"';
      expect(() => parseAdminQuery(text, 'users', L)).to.throw(LimitExceeded, 'deeper than 32');
    });
    it('number of terms', () => {
      const text = Array.from({ length: 300 }, (_, i) => `name = "${i}"`).join(' or ');
      expect(() => parseAdminQuery(text, 'users', { ...L, maxLength: 10000 })).to.throw(LimitExceeded, 'more than 512 terms');
      expect(parseAdminQuery(text, 'users', { ...L, maxLength: 10000, maxNodes: 1000 }).node.kind).to.equal('or');
    });
  });

  it('describes fields for auto-complete', () => {
    const d = describeFields('users');
    expect(JSON.parse(JSON.stringify(d))).to.deep.equal(d);
    expect(d.fields.map((f) => f.name)).to.deep.equal(['username', 'name', 'email', 'path', 'is_active', 'type', 'last_login', 'date_joined', 'attributes.<key>', 'groups.name', 'roles.name']);
    expect(d.fields.find((f) => f.name === 'is_active')!.operators).to.deep.equal(['=', '!=']);
    expect(d.fields.find((f) => f.name === 'type')!.values).to.include('service_account');
    expect(describeFields('groups').fields.map((f) => f.name)).to.include.members(['parent.name', 'members.username']);
  });
});
