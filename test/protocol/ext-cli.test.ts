import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { EXPORT_COLUMNS } from '../../src/services/exports.js';
import { runCli } from '../support/cli.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

/** Runs the CLI as an operator would, against the store named by DIRGATE_DATABASE_URL. */
const run = (db: TestDatabase, args: string[], opts: { npx?: boolean; cwd?: string } = {}) => runCli(db.url, args, opts);

const LDIF = `version: 1

# The base entry and containers are skipped.
dn: dc=example,dc=com
objectClass: top
objectClass: domain

dn: cn=xavier,ou=users,dc=example,dc=com
objectClass: inetOrgPerson
objectClass: posixAccount
cn: xavier
uid: xavier
displayName:: WGF2acOpciBYZW5h
mail: xavier@example.test
givenName: Xavier
sn: Xe
 na

dn: cn=yuki,ou=users,dc=example,dc=com
objectClass: inetOrgPerson
cn: yuki
uid: yuki
dirgateActive: FALSE

dn: cn=staff,ou=groups,dc=example,dc=com
objectClass: groupOfNames
cn: staff
member: cn=xavier,ou=users,dc=example,dc=com
member: uid=yuki,ou=users,dc=example,dc=com
`;

for (const dialect of dialects()) {
  describe(`dirgate CLI on ${dialect}`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let dir: string;
    before(async () => {
      db = await freshDatabase(dialect);
      dir = mkdtempSync(join(tmpdir(), 'dirgate-cli-'));
    });
    after(async () => {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('imports users from CSV, reporting a bad record by line and skipping only it', async () => {
      const file = join(dir, 'users.csv');
      writeFileSync(file, [
        'username,name,email,is_active,attributes,password',
        'zoe,Zoe Zed,zoe@example.test,true,"{""team"":""blue, green""}",zoe-password-1',
        'walt,"Walt, W",,false,,',
        'vera,Vera,not-an-email,true,,',
      ].join('\n') + '\n');
      const r = await run(db, ['import', file]);
      expect(r.code, r.stderr).to.equal(1);
      expect(r.stderr).to.match(/users\.csv:4: .*email/);
      expect(r.stderr).to.match(/2 created, 0 updated, 0 skipped, 1 failed/);
      const users = await db.db.knex('users').orderBy('username_ci');
      expect(users.map((u: { username: string }) => u.username)).to.deep.equal(['walt', 'zoe']);
      const zoe = users.find((u: { username: string }) => u.username === 'zoe');
      expect(zoe.password_hash).to.match(/^scrypt\$/);
      expect(await db.db.knex('events').where({ action: 'user_created', actor_username: 'cli' })).to.have.length(2);
      // Again: matched by username and updated, not duplicated.
      const again = await run(db, ['import', file, '--no-update']);
      expect(again.stderr).to.match(/0 created, 0 updated, 2 skipped, 1 failed/);
    });

    it('imports users and groups from LDIF (folded and base64 values, memberships)', async () => {
      const file = join(dir, 'people.ldif');
      writeFileSync(file, LDIF);
      const r = await run(db, ['import', file]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/2 created, .* 1 groups/);
      const xavier = await db.db.knex('users').where({ username: 'xavier' }).first();
      expect(xavier.name).to.equal('Xaviér Xena');
      expect(xavier.email).to.equal('xavier@example.test');
      const attrs = typeof xavier.attributes === 'string' ? JSON.parse(xavier.attributes) : xavier.attributes;
      expect(attrs).to.deep.equal({ givenName: 'Xavier', sn: 'Xena' });
      const yuki = await db.db.knex('users').where({ username: 'yuki' }).first();
      expect(Boolean(yuki.is_active)).to.equal(false);
      const members = await db.db.knex('group_members').join('groups', 'groups.id', 'group_members.group_id')
        .join('users', 'users.id', 'group_members.user_id').where('groups.name', 'staff').orderBy('users.username').pluck('users.username');
      expect(members).to.deep.equal(['xavier', 'yuki']);
    });

    it('exports the users a search matches to CSV, in the given order; a bad search is an error naming the column', async () => {
      const out = join(dir, 'out.csv');
      const r = await run(db, ['export', '--search', 'email endswith "example.test" or is_active = False', '--ordering=-username', '--out', out]);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr).to.match(/exported 4 users/);
      const rows = parse(readFileSync(out, 'utf8')) as string[][];
      expect(rows[0]).to.deep.equal([...EXPORT_COLUMNS]);
      expect(rows.slice(1).map((x) => x[1])).to.deep.equal(['zoe', 'yuki', 'xavier', 'walt']);
      expect(JSON.parse(rows[1]![7]!)).to.deep.equal({ team: 'blue, green' });

      const bad = await run(db, ['export', '--search', 'username ==', '--out', join(dir, 'bad.csv')]);
      expect(bad.code).to.equal(1);
      expect(bad.stderr).to.match(/column/);
      const usage = await run(db, ['export']);
      expect(usage.code).to.equal(2);
      expect(usage.stderr).to.match(/--out/);
    });

    it('an exported file imports back unchanged (round trip)', async () => {
      const out = join(dir, 'all.csv');
      expect((await run(db, ['export', '--out', out])).code).to.equal(0);
      const copy = await freshDatabase(dialect);
      try {
        const imported = await run(copy, ['import', out]);
        expect(imported.code, imported.stderr).to.equal(0);
        const back = join(dir, 'back.csv');
        expect((await run(copy, ['export', '--out', back])).code).to.equal(0);
        const strip = (f: string) => (parse(readFileSync(f, 'utf8')) as string[][]).map((row) => row.slice(1, 8));
        expect(strip(back)).to.deep.equal(strip(out));
      } finally {
        await copy.drop();
      }
    });

    if (dialect === 'sqlite') {
      it('runs as `npx dirgate` (the package bin)', async () => {
        const r = await run(db, ['export', '--search', 'username = "zoe"', '--out', '-'], { npx: true });
        expect(r.code, r.stderr).to.equal(0);
        expect(parse(r.stdout)).to.have.length(2);
      });
    }
  });
}
