import { expect } from 'chai';
import { and, any, compare, FALSE, inList, memberOf, not, or, present, substring, TRUE } from '../../src/query/ast.js';
import type { QueryNode } from '../../src/query/ast.js';
import type { Entity } from '../../src/domain/catalogue.js';
import { compileOrderBy, compileWhere, keysetAfter, parseOrdering } from '../../src/query/sql.js';
import type { SqlDialect } from '../../src/query/sql.js';
import { DEFAULT_QUERY_LIMITS, validate } from '../../src/query/validate.js';
import { InvalidQuery } from '../../src/domain/errors.js';

const sql = (node: QueryNode, dialect: SqlDialect, entity: Entity = 'users') => compileWhere(validate(node, entity, DEFAULT_QUERY_LIMITS), dialect);

describe('SQL compiler', () => {
  it('compares case-insensitive fields on the shadow column with a JS-lowercased value', () => {
    for (const d of ['pg', 'sqlite'] as const) {
      expect(sql(compare('username', 'eq', 'JDoé'), d)).to.deep.equal({ sql: 'users.username_ci = ?', bindings: ['jdoé'] });
    }
  });

  it('negates null-safely', () => {
    expect(sql(compare('email', 'ne', 'a@b'), 'pg')).to.deep.equal({ sql: '(users.email_ci = ?) IS NOT TRUE', bindings: ['a@b'] });
    expect(sql(not(present('email')), 'sqlite')).to.deep.equal({ sql: "((users.email IS NOT NULL AND users.email <> '')) IS NOT TRUE", bindings: [] });
  });

  it('escapes LIKE on PostgreSQL and GLOB on SQLite', () => {
    const node = compare('name', 'contains', '50%_a\\b*?[');
    expect(sql(node, 'pg')).to.deep.equal({ sql: "users.name_ci LIKE ? ESCAPE '\\'", bindings: ['%50\\%\\_a\\\\b*?[%'] });
    expect(sql(node, 'sqlite')).to.deep.equal({ sql: 'users.name_ci GLOB ?', bindings: ['*50%_a\\b[*][?][[]*'] });
    expect(sql(substring('path', { initial: 'a%', any: ['b'], final: 'c_' }), 'pg').bindings).to.deep.equal(['a\\%%b%c\\_']);
  });

  it('folds ASCII for ignoreCase on case-exact fields', () => {
    expect(sql(compare('path', 'startswith', 'Users/', { ignoreCase: true }), 'sqlite')).to.deep.equal({ sql: 'lower(users.path) GLOB ?', bindings: ['users/*'] });
    expect(sql(compare('path', 'eq', 'Users', { ignoreCase: true }), 'pg').sql).to.equal("translate(users.path, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') = ?");
  });

  it('binds JSON paths, keys included', () => {
    const node = compare('attributes.a\'b.c', 'eq', 'x');
    expect(sql(node, 'pg')).to.deep.equal({
      sql: "(CASE WHEN jsonb_typeof(users.attributes #> ?::text[]) = 'string' THEN users.attributes #>> ?::text[] END) = ?",
      bindings: ['{"a\'b","c"}', '{"a\'b","c"}', 'x'],
    });
    expect(sql(node, 'sqlite')).to.deep.equal({
      // A document SQLite's JSON functions refuse (over 1,000 levels) reads as NULL (issue 14 F3).
      sql: "(CASE WHEN json_type((CASE WHEN json_valid(users.attributes) THEN users.attributes END), ?) = 'text' THEN json_extract((CASE WHEN json_valid(users.attributes) THEN users.attributes END), ?) END) = ?",
      bindings: ['$."a\'b"."c"', '$."a\'b"."c"', 'x'],
    });
    expect(sql(compare('attributes.n', 'gt', 2), 'sqlite').sql).to.equal("(CASE WHEN json_type((CASE WHEN json_valid(users.attributes) THEN users.attributes END), ?) IN ('integer', 'real') THEN json_extract((CASE WHEN json_valid(users.attributes) THEN users.attributes END), ?) END) > ?");
    expect(sql(compare('attributes.b', 'eq', true), 'pg')).to.deep.equal({ sql: '(users.attributes #> ?::text[]) = CAST(? AS jsonb)', bindings: ['{"b"}', 'true'] });
    expect(sql(present('attributes.b'), 'sqlite')).to.deep.equal({ sql: "COALESCE(json_extract((CASE WHEN json_valid(users.attributes) THEN users.attributes END), ?), '') <> ''", bindings: ['$."b"'] });
  });

  it('refuses JSON keys that cannot be addressed safely', () => {
    expect(() => sql(compare('attributes.a"b', 'eq', 'x'), 'pg')).to.throw(InvalidQuery, 'unknown field');
    expect(() => sql(compare('attributes.a\\b', 'eq', 'x'), 'pg')).to.throw(InvalidQuery, 'unknown field');
    expect(() => sql(compare('attributes.', 'eq', 'x'), 'pg')).to.throw(InvalidQuery, 'unknown field');
  });

  it('compiles booleans, datetimes, POSIX numbers and lists per dialect', () => {
    expect(sql(compare('is_active', 'eq', true), 'pg')).to.deep.equal({ sql: 'users.is_active = ?', bindings: [true] });
    expect(sql(compare('is_active', 'eq', true), 'sqlite')).to.deep.equal({ sql: 'users.is_active = ?', bindings: [1] });
    expect(sql(compare('date_joined', 'ge', '2024-01-31'), 'pg')).to.deep.equal({ sql: 'users.created_at >= CAST(? AS timestamptz)', bindings: ['2024-01-31T00:00:00.000Z'] });
    expect(sql(compare('uid_number', 'ge', 10005), 'sqlite')).to.deep.equal({ sql: 'users.seq >= ?', bindings: [5] });
    expect(sql(compare('gid_number', 'eq', 1010003), 'pg', 'groups')).to.deep.equal({ sql: 'groups.seq = ?', bindings: [3] });
    expect(sql(inList('username', ['A', 'b']), 'pg')).to.deep.equal({ sql: 'users.username_ci IN (?, ?)', bindings: ['a', 'b'] });
    expect(sql(and(TRUE, or(FALSE, compare('type', 'eq', 'internal'))), 'pg')).to.deep.equal({ sql: 'users.type = ?', bindings: ['internal'] });
  });

  it('compiles "any element" to one user_values row per element (the attr + value/type indexes)', () => {
    const node = any('emails', and(compare('type', 'eq', 'Home'), compare('value', 'endswith', '@Example.com')));
    expect(sql(node, 'pg')).to.deep.equal({
      sql: "users.id = ANY(ARRAY(SELECT uv.user_id FROM user_values uv WHERE uv.attr = ? AND (uv.type_ci = ? AND uv.value_ci LIKE ? ESCAPE '\\')))",
      bindings: ['emails', 'home', '%@example.com'],
    });
    expect(sql(node, 'sqlite')).to.deep.equal({
      sql: 'users.id IN (SELECT uv.user_id FROM user_values uv WHERE uv.attr = ? AND (uv.type_ci = ? AND uv.value_ci GLOB ?))',
      bindings: ['emails', 'home', '*@example.com'],
    });
    expect(sql(not(any('emails', compare('primary', 'eq', true))), 'sqlite')).to.deep.equal({
      sql: '(users.id IN (SELECT uv.user_id FROM user_values uv WHERE uv.attr = ? AND uv.is_primary = ?)) IS NOT TRUE',
      bindings: ['emails', 1],
    });
    expect(sql(present('addresses'), 'pg')).to.deep.equal({
      sql: 'users.id = ANY(ARRAY(SELECT uv.user_id FROM user_values uv WHERE uv.attr = ? AND 1 = 1))',
      bindings: ['addresses'],
    });
    expect(sql(and(compare('username', 'eq', 'a'), any('phoneNumbers', inList('value', ['X', 'y']))), 'sqlite')).to.deep.equal({
      sql: '(users.username_ci = ? AND users.id IN (SELECT uv.user_id FROM user_values uv WHERE uv.attr = ? AND uv.value_ci IN (?, ?)))',
      bindings: ['a', 'phoneNumbers', 'x', 'y'],
    });
    expect(sql(any('emails', FALSE), 'pg')).to.deep.equal({ sql: '1 = 0', bindings: [] });
  });

  it('refuses element queries that make no sense', () => {
    const bad = (node: QueryNode) => expect(() => sql(node, 'pg')).to.throw(InvalidQuery);
    bad(compare('emails', 'eq', 'x'));
    bad(any('username', compare('value', 'eq', 'x')));
    bad(any('emails', compare('locality', 'eq', 'x')));
    bad(any('emails', any('emails', TRUE)));
    bad(any('emails', memberOf({ by: 'name', value: 'x' })));
    bad(any('emails', compare('primary', 'gt', true)));
    expect(() => sql(any('emails', TRUE), 'pg', 'groups')).to.throw(InvalidQuery);
  });

  it('compiles membership to uncorrelated subqueries, transitive through a recursive CTE', () => {
    expect(sql(memberOf({ by: 'name', value: 'Admins' }), 'pg')).to.deep.equal({
      sql: 'users.id = ANY(ARRAY(SELECT qm.user_id FROM group_members qm JOIN groups qg ON qg.id = qm.group_id WHERE qg.name_ci = ?))',
      bindings: ['admins'],
    });
    expect(sql(memberOf({ by: 'name', value: 'Admins' }, true), 'sqlite')).to.deep.equal({
      sql: 'users.id IN (SELECT qm.user_id FROM group_members qm WHERE qm.group_id IN (WITH RECURSIVE q_tree(id) AS (SELECT qg.id FROM groups qg WHERE qg.name_ci = ? UNION SELECT qp.group_id FROM group_parents qp JOIN q_tree ON qp.parent_id = q_tree.id) SELECT id FROM q_tree))',
      bindings: ['admins'],
    });
    expect(sql(compare('groups.name', 'startswith', 'Eng'), 'pg')).to.deep.equal({
      sql: "users.id = ANY(ARRAY(SELECT qm.user_id FROM group_members qm JOIN groups qg ON qg.id = qm.group_id WHERE qg.name_ci LIKE ? ESCAPE '\\'))",
      bindings: ['eng%'],
    });
  });

  it('uses the alias it is given', () => {
    expect(compileWhere(validate(compare('username', 'eq', 'x'), 'users', DEFAULT_QUERY_LIMITS), 'pg', 'u').sql).to.equal('u.username_ci = ?');
  });

  describe('ordering', () => {
    it('parses and compiles with seq as the final tiebreaker', () => {
      const o = parseOrdering('-username, email', 'users');
      expect(o.keys.map((k) => [k.field, k.column, k.desc])).to.deep.equal([['username', 'username_ci', true], ['email', 'email_ci', false], ['seq', 'seq', false]]);
      expect(compileOrderBy(o)).to.equal('users.username_ci DESC, users.email_ci ASC NULLS LAST, users.seq ASC');
      expect(compileOrderBy(parseOrdering('', 'groups'))).to.equal('groups.seq ASC');
    });
    it('refuses unknown fields with their column', () => {
      expect(() => parseOrdering('username,-passwd', 'users')).to.throw(InvalidQuery, 'cannot order by "passwd" at column 10');
    });
    it('builds keyset conditions, NULL-aware', () => {
      const o = parseOrdering('-username,email', 'users');
      expect(keysetAfter(o, { username_ci: 'm', email_ci: null, seq: 7 })).to.deep.equal({
        sql: '(users.username_ci < ? OR (users.username_ci = ? AND users.email_ci IS NULL AND users.seq > ?))',
        bindings: ['m', 'm', 7],
      });
      expect(keysetAfter(o, { username_ci: 'm', email_ci: 'a@b', seq: 7 })).to.deep.equal({
        sql: '(users.username_ci < ? OR (users.username_ci = ? AND (users.email_ci > ? OR users.email_ci IS NULL)) OR (users.username_ci = ? AND users.email_ci = ? AND users.seq > ?))',
        bindings: ['m', 'm', 'a@b', 'm', 'a@b', 7],
      });
    });
  });
});
