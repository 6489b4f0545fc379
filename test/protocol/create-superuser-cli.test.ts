/** `npx dirgate create-superuser`: the way back in when nobody can sign in, on the configured store. */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const CLI = resolve('dist/src/cli.js');

function cli(db: TestDatabase, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DIRGATE_DATABASE_URL: db.url, DIRGATE_LOG_LEVEL: 'warn', DIRGATE_SCRYPT_N: '1024' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

for (const dialect of dialects()) {
  describe(`dirgate create-superuser on ${dialect}`, function () {
    this.timeout(60000);
    let tdb: TestDatabase;
    let s: Services;
    before(async () => {
      tdb = await freshDatabase(dialect);
      s = createServices(tdb.db, loadConfig({}, { 'auth.scrypt_n': 1024 }));
    });
    after(async () => { await tdb?.drop(); });

    it('creates a superuser with the given password on a store with nobody able to sign in', async () => {
      const r = await cli(tdb, ['create-superuser', 'rescue', '--password', 'rescue-password-1']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/created rescue \(member of admins, superuser\); the password is set/);
      const u = (await s.users.findByUsername('rescue'))!;
      expect(await s.access.isSuperuser(u.id)).to.equal(true);
      expect((await s.auth.checkPassword('rescue', 'rescue-password-1', {}, 'login')).ok).to.equal(true);
    });

    it('promotes and reactivates an existing account and prints a one-time recovery link', async () => {
      const old = await s.users.create({ username: 'locked-out' }, SYSTEM_ACTOR);
      await s.users.update(old.id, { isActive: false }, SYSTEM_ACTOR);
      const r = await cli(tdb, ['create-superuser', 'locked-out']);
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stdout).to.match(/promoted locked-out/);
      const link = /(https?:\/\/\S+\/recovery\/(\S+))/.exec(r.stdout);
      expect(link, r.stdout).to.not.equal(null);
      const opened = await s.recovery.open(decodeURIComponent(link![2]!));
      expect(opened.user.id).to.equal(old.id);
      expect((await s.users.get(old.id)).isActive).to.equal(true);
      expect(await s.access.isSuperuser(old.id)).to.equal(true);
      await s.recovery.complete(decodeURIComponent(link![2]!), 'new-password-123', 'new-password-123');
      expect((await s.auth.checkPassword('locked-out', 'new-password-123', {}, 'login')).ok).to.equal(true);
    });

    it('answers 2 without a username and 1 for a password the policy refuses', async () => {
      expect((await cli(tdb, ['create-superuser'])).code).to.equal(2);
      const weak = await cli(tdb, ['create-superuser', 'weak', '--password', 'x']);
      expect(weak.code).to.equal(1);
      expect(weak.stderr).to.match(/password/);
      expect(await s.users.findByUsername('weak')).to.equal(null);
    });
  });
}
