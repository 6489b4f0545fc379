import { expect } from 'chai';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importsOf, repositoryImports, violations, type AllowedImport, type ImportEdge } from '../support/layers.js';

// dist/test/unit/layers.test.js → the repository root, where the .ts sources are.
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/**
 * Imports the rules refuse, tolerated until named work lands. Nothing else may be added here:
 * each entry is (file, import), and an entry that no longer matches fails the test, so the
 * list only shrinks.
 */
const ALLOWLIST: readonly AllowedImport[] = [];

/** The violations of a synthetic tree: file → source text. */
function check(files: Record<string, string>, allowlist: readonly AllowedImport[] = []) {
  const edges: ImportEdge[] = Object.entries(files).flatMap(([file, text]) => importsOf(file, text));
  return violations(edges, allowlist);
}

describe('layer rules (DESIGN.md "Dependency rules")', () => {
  it('hold for every import of every .ts file under src/, protocols/ and migrations/', () => {
    const edges = repositoryImports(ROOT, ['src', 'protocols', 'migrations']);
    expect(edges.length, 'imports found').to.be.greaterThan(300);
    const found = violations(edges, ALLOWLIST).map((v) => `${v.file}:${v.line}: import '${v.specifier}': ${v.rule}`);
    expect(found, found.join('\n')).to.deep.equal([]);
  });

  describe('the checker', () => {
    it('reads every kind of import, and not strings or comments that look like one', () => {
      const edges = importsOf('protocols/scim/x.ts', [
        "import type { Knex } from 'knex';",
        "import { a } from '../../src/store/rows.js';",
        "export * from './b.js';",
        "export type { C } from '../admin/c.js';",
        "type D = import('pg').Client;",
        "const e = await import('../ldap/e.js');",
        "const f = require('better-sqlite3');",
        "import g = require('../console/g.js');",
        "import './side-effect.js';",
        "const s = \"import x from 'knex'\"; // import y from 'pg'",
      ].join('\n'));
      expect(edges.map((e) => [e.line, e.target, e.typeOnly])).to.deep.equal([
        [1, 'knex', true],
        [2, 'src/store/rows.ts', false],
        [3, 'protocols/scim/b.ts', false],
        [4, 'protocols/admin/c.ts', true],
        [5, 'pg', true],
        [6, 'protocols/ldap/e.ts', false],
        [7, 'better-sqlite3', false],
        [8, 'protocols/console/g.ts', false],
        [9, 'protocols/scim/side-effect.ts', false],
      ]);
    });

    it('refuses src/ importing protocols/, except the composition roots src/main.ts and src/cli.ts', () => {
      const found = check({
        'src/services/users.ts': "import { x } from '../../protocols/scim/router.js';",
        'src/query/q.ts': "import { y } from '../../protocols/cli/program.js';",
        'migrations/0002-x.ts': "import type { z } from '../protocols/http.js';",
        'src/main.ts': "import { createHttpApp } from '../protocols/http.js';",
        'src/cli.ts': "import { buildProgram } from '../protocols/cli/program.js';",
      });
      expect(found.map((v) => v.file)).to.deep.equal(['src/services/users.ts', 'src/query/q.ts', 'migrations/0002-x.ts']);
      expect(found[0]!.rule).to.match(/src\/ never imports protocols\//);
    });

    it('refuses a door importing another door, http.ts or the composition root', () => {
      const found = check({
        'protocols/scim/a.ts': "import { b } from '../admin/b.js';",
        'protocols/admin/c.ts': "import type { d } from '../ldap/d.js';",
        'protocols/console/e.ts': "import { f } from '../http.js';",
        'protocols/ldap/g.ts': "import { h } from '../../src/main.js';",
        'src/cli.ts': "import { i } from './main.js';",
        'protocols/metrics.ts': "import { j } from './scim/j.js';",
        'protocols/scim/ok.ts': "import { k } from './k.js'; import { m } from '../metrics.js'; import type { S } from '../../src/services/index.js';",
        'protocols/http.ts': "import { scimRouter } from './scim/router.js'; import { l } from './ldap/server.js';",
      });
      expect(found.map((v) => `${v.file} ${v.specifier}`)).to.deep.equal([
        'protocols/scim/a.ts ../admin/b.js',
        'protocols/admin/c.ts ../ldap/d.js',
        'protocols/console/e.ts ../http.js',
        'protocols/ldap/g.ts ../../src/main.js',
        'src/cli.ts ./main.js',
        'protocols/metrics.ts ./scim/j.js',
        'protocols/http.ts ./ldap/server.js',
      ]);
    });

    it('refuses a door (the command line too) importing src/store, knex, pg or better-sqlite3, types included', () => {
      const found = check({
        'protocols/scim/context.ts': "import type { Knex } from 'knex';",
        'protocols/admin/a.ts': "import type { Database } from '../../src/store/database.js';",
        'protocols/ldap/b.ts': "type P = import('pg').Pool;",
        'protocols/http.ts': "import { migrationsCurrent } from '../src/store/migrate.js';",
        'protocols/cli/a.ts': "import { openDatabase } from '../../src/store/database.js';",
        'protocols/cli/b.ts': "import Sqlite from 'better-sqlite3';",
        'protocols/cli/c.ts': "import { adminRouter } from '../admin/router.js';",
      });
      expect(found.map((v) => v.file)).to.deep.equal([
        'protocols/scim/context.ts', 'protocols/admin/a.ts', 'protocols/ldap/b.ts', 'protocols/http.ts', 'protocols/cli/a.ts', 'protocols/cli/b.ts', 'protocols/cli/c.ts',
      ]);
      expect(found[0]!.rule).to.match(/never imports knex/);
      expect(found[1]!.rule).to.match(/never imports src\/store/);
    });

    it('lets only src/store run knex, pg and better-sqlite3 (services may name knex types for units of work)', () => {
      const found = check({
        'src/services/a.ts': "import knex from 'knex';",
        'src/query/b.ts': "import pg from 'pg';",
        'src/services/units.ts': "import type { Knex } from 'knex';",
        'src/store/database.ts': "import knexFactory from 'knex'; import pg from 'pg';",
        'src/main.ts': "import { openDatabase } from './store/database.js';",
        'migrations/0001-x.ts': "import type { Knex } from 'knex';",
      });
      expect(found.map((v) => v.file)).to.deep.equal(['src/services/a.ts', 'src/query/b.ts']);
    });

    it('tolerates exactly the allowlisted (file, import) pairs, and fails on an entry no longer needed', () => {
      const allow: AllowedImport[] = [
        { file: 'protocols/ldap/a.ts', target: 'src/store/x.ts', reason: 'pending' },
        { file: 'protocols/ldap/gone.ts', target: 'src/store/x.ts', reason: 'pending' },
      ];
      const found = check({
        'protocols/ldap/a.ts': "import { x } from '../../src/store/x.js'; import { y } from '../../src/store/y.js';",
        'protocols/scim/a.ts': "import { x } from '../../src/store/x.js';",
      }, allow);
      expect(found.map((v) => `${v.file} ${v.specifier}`)).to.deep.equal([
        'protocols/ldap/a.ts ../../src/store/y.js',
        'protocols/scim/a.ts ../../src/store/x.js',
        'protocols/ldap/gone.ts src/store/x.ts',
      ]);
      expect(found[2]!.rule).to.match(/no longer needed/);
    });
  });
});
