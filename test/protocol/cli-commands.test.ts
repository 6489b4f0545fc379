import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createServices, type Services } from '../../src/services/index.js';
import { runCli } from '../support/cli.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const client = { clientIp: '127.0.0.1', userAgent: 'test' };

for (const dialect of dialects()) {
  describe(`dirgate command line (users, groups, tokens) on ${dialect}`, function () {
    this.timeout(60_000);
    let db: TestDatabase;
    let services: Services;
    const run = (args: string[], opts: { stdin?: string } = {}) => runCli(db.url, args, opts);
    before(async () => {
      db = await freshDatabase(dialect);
      services = createServices(db.db, loadConfig({}, { 'auth.scrypt_n': 1024 }));
    });
    after(async () => { await db.drop(); });

    it('creates a user, shows it by username and by id, and lists it as JSON and as text', async () => {
      const created = await run(['users', 'create', 'carol', '--email', 'carol@example.test', '--name', 'Carol C', '--path', 'users/sales', '--json']);
      expect(created.code, created.stderr).to.equal(0);
      const user = JSON.parse(created.stdout) as Record<string, unknown>;
      expect(user).to.include({ username: 'carol', email: 'carol@example.test', name: 'Carol C', path: 'users/sales', is_active: true });
      expect(created.stdout).not.to.match(/password|hash/i);

      const byName = JSON.parse((await run(['users', 'show', 'CAROL', '--json'])).stdout) as Record<string, unknown>;
      const byId = JSON.parse((await run(['users', 'show', String(user.id), '--json'])).stdout) as Record<string, unknown>;
      expect(byName.id).to.equal(user.id);
      expect(byId.username).to.equal('carol');

      await run(['users', 'create', 'dave', '--inactive']);
      const list = JSON.parse((await run(['users', 'list', '--search', 'is_active = True', '--json'])).stdout) as Array<{ username: string }>;
      expect(list.map((u) => u.username)).to.deep.equal(['carol']);
      const text = await run(['users', 'list']);
      expect(text.stdout.split('\n')[0]).to.equal('username\tname\temail\tis_active\ttype\tpath\tid');
      expect(text.stdout).to.match(/^carol\tCarol C\tcarol@example\.test\ttrue\t/m);
      expect(text.stdout).to.match(/^dave\t/m);
      expect(text.stderr).to.match(/2 users/);
    });

    it('sets a password (from stdin too), deactivates and activates, and records the command line as the actor', async () => {
      expect((await run(['users', 'set-password', 'carol', '--password', 'carol-password-1'])).code).to.equal(0);
      expect((await services.auth.checkPassword('carol', 'carol-password-1', client, 'test')).ok).to.equal(true);
      expect((await run(['users', 'set-password', 'carol', '--password-stdin'], { stdin: 'carol-password-2\n' })).code).to.equal(0);
      expect((await services.auth.checkPassword('carol', 'carol-password-2', client, 'test')).ok).to.equal(true);
      const short = await run(['users', 'set-password', 'carol', '--password', 'x']);
      expect(short.code).to.equal(1);
      expect(short.stderr).to.match(/^dirgate: .*password/m);

      expect((await run(['users', 'deactivate', 'carol'])).code).to.equal(0);
      expect((await services.users.findByUsername('carol'))!.isActive).to.equal(false);
      expect((await services.auth.checkPassword('carol', 'carol-password-2', client, 'test')).ok).to.equal(false);
      expect((await run(['users', 'activate', 'carol'])).code).to.equal(0);
      expect((await services.users.findByUsername('carol'))!.isActive).to.equal(true);
      const actors = await db.db.knex('events').where({ action: 'user_updated' }).pluck('actor_username');
      expect(actors).to.include('cli');
    });

    it('prints a working recovery link and a working API token once', async () => {
      const link = await run(['users', 'recovery-link', 'carol']);
      expect(link.code, link.stderr).to.equal(0);
      const token = /\/recovery\/([^/\s]+)\s*$/.exec(link.stdout)?.[1];
      expect(token, link.stdout).to.be.a('string');
      expect((await services.recovery.open(token!)).user.username).to.equal('carol');

      const made = await run(['tokens', 'create', 'carol', '--description', 'ci']);
      expect(made.code, made.stderr).to.equal(0);
      const key = made.stdout.trim();
      expect(key).to.match(/^dgt_/);
      expect((await services.auth.authenticateBearer(key)).user.username).to.equal('carol');
    });

    it('creates groups, adds and removes members by name, and lists them', async () => {
      expect((await run(['groups', 'create', 'staff'])).code).to.equal(0);
      const sub = await run(['groups', 'create', 'sales', '--parent', 'staff', '--json']);
      expect(sub.code, sub.stderr).to.equal(0);
      const staff = await services.groups.findByName('staff');
      expect(JSON.parse(sub.stdout).parents).to.deep.equal([staff!.id]);
      expect((await run(['groups', 'add-user', 'sales', 'carol'])).code).to.equal(0);
      expect((await services.groups.membersOf([(await services.groups.findByName('sales'))!.id])).get((await services.groups.findByName('sales'))!.id)!.map((u) => u.username)).to.deep.equal(['carol']);
      const listed = await run(['groups', 'list', '--search', 'members.username = "carol"', '--json']);
      expect((JSON.parse(listed.stdout) as Array<{ name: string }>).map((g) => g.name)).to.deep.equal(['sales']);
      expect((await run(['groups', 'remove-user', 'sales', 'carol'])).code).to.equal(0);
      const none = await run(['groups', 'list', '--search', 'members.username = "carol"', '--json']);
      expect(JSON.parse(none.stdout)).to.deep.equal([]);
      const missing = await run(['groups', 'add-user', 'nosuchgroup', 'carol']);
      expect(missing.code).to.equal(1);
      expect(missing.stderr).to.match(/no group with id or name nosuchgroup/);
    });

    it('deletes a user; an unknown user is a refusal (1), a bad usage is 2, --help is 0', async () => {
      expect((await run(['users', 'delete', 'dave'])).code).to.equal(0);
      expect(await services.users.findByUsername('dave')).to.equal(null);
      const gone = await run(['users', 'show', 'dave']);
      expect(gone.code).to.equal(1);
      expect(gone.stderr).to.match(/no user with id or username dave/);
      expect((await run(['users', 'frobnicate'])).code).to.equal(2);
      expect((await run(['users', 'create'])).code).to.equal(2);
      expect((await run([])).code).to.equal(2);
      const help = await run(['users', 'create', '--help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.match(/--password-stdin/);
      const top = await run(['--help']);
      expect(top.code).to.equal(0);
      for (const c of ['users', 'groups', 'tokens', 'export', 'import']) expect(top.stdout).to.include(c);
    });
  });
}

describe('dirgate command line: the configured store', function () {
  this.timeout(60_000);
  it('refuses to create a new empty SQLite store unless --init is given, naming the path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-cli-init-'));
    try {
      const file = join(dir, 'nested', 'store.sqlite');
      const refused = await runCli(`sqlite:${file}`, ['users', 'list']);
      expect(refused.code).to.equal(1);
      expect(refused.stderr).to.include(file);
      expect(refused.stderr).to.match(/--init/);
      expect(existsSync(file)).to.equal(false);
      expect(existsSync(join(dir, 'nested'))).to.equal(false);
      const made = await runCli(`sqlite:${file}`, ['--init', 'users', 'create', 'first']);
      expect(made.code, made.stderr).to.equal(0);
      expect(existsSync(file)).to.equal(true);
      const listed = await runCli(`sqlite:${file}`, ['users', 'list', '--json']);
      expect((JSON.parse(listed.stdout) as Array<{ username: string }>).map((u) => u.username)).to.deep.equal(['first']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
