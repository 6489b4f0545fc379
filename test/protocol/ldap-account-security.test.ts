import { expect } from 'chai';
import { Client, InvalidCredentialsError } from 'ldapts';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/types.js';
import { createServices } from '../../src/services/index.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { awayFromStepEdge, codeFor } from '../support/totp.js';
import { bindOk, haveTool, run, userDn } from './ldap-support.js';

for (const dialect of dialects()) {
  describe(`LDAP account security (lockout, ppolicy, TOTP binds) on ${dialect}`, function () {
    this.timeout(90_000);
    let server: BootedServer;
    const tools = haveTool('ldapwhoami') && haveTool('ldappasswd');
    const s = () => server.running.services;
    const knex = () => server.database.db.knex;
    const user = (username: string, password: string) => s().users.create({ username, password }, SYSTEM_ACTOR);
    const settings = (patch: Record<string, unknown>) => s().settings.update(patch, SYSTEM_ACTOR);
    const whoami = (name: string, password: string) =>
      run('ldapwhoami', ['-x', '-e', 'ppolicy', '-H', server.ldap, '-D', userDn(name), '-w', password]);
    const reasonsOf = async (action: string, userId: string) => (await knex()('events').where({ action, target_id: userId }))
      .map((e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).reason as string);

    before(async () => { server = await bootServer(dialect); });
    after(async () => { await server?.stop(); });
    afterEach(async () => {
      await settings({
        'login.throttle_count': 10, 'lockout.threshold': 0, 'password.max_age_days': 0, 'password.change_after_reset': false,
        'mfa.ldap_bind': 'off', 'password.min_length': 8,
      });
    });

    it('50 concurrent wrong binds (ldapts) check at most login.throttle_count passwords', async () => {
      await settings({ 'login.throttle_count': 10 });
      const u = await user('flood', 'flood-password-1');
      const outcomes = await Promise.all(Array.from({ length: 50 }, (_, i) => bindOk(server.ldap, userDn('flood'), `guess-${i}`)));
      expect(outcomes.every((ok) => ok === false)).to.equal(true);
      const reasons = await reasonsOf('ldap_bind_failed', u.id);
      const checked = reasons.filter((r) => r === 'wrong_password').length;
      expect(checked).to.be.at.most(10).and.at.least(1);
      expect(await knex()('events').where({ action: 'ldap_bind_throttled' })).to.have.length(50 - checked);
      await knex()('auth_throttle').delete();
    });

    it('40 concurrent good binds (ldapts) for 40 users from one address all succeed, past login.throttle_count 10', async () => {
      await settings({ 'login.throttle_count': 10, 'lockout.threshold': 5 });
      for (let i = 0; i < 40; i++) await user(`burst-${i}`, `burst-password-${i}`);
      const throttledBefore = (await knex()('events').where({ action: 'ldap_bind_throttled' })).length;
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => bindOk(server.ldap, userDn(`burst-${i}`), `burst-password-${i}`)));
      expect(outcomes.filter((ok) => !ok)).to.have.length(0);
      expect(await knex()('events').where({ action: 'ldap_bind_throttled' })).to.have.length(throttledBefore);
      await knex()('auth_throttle').delete();
    });

    it('locks after lockout.threshold failures: 49 like a wrong password, accountLocked for -e ppolicy; unlock lets it in', async function () {
      if (!tools) this.skip();
      await settings({ 'lockout.threshold': 3, 'lockout.duration': 600 });
      const u = await user('lockme', 'lockme-password-1');
      for (let i = 0; i < 3; i++) expect(await bindOk(server.ldap, userDn('lockme'), `wrong-${i}`)).to.equal(false);
      expect(await bindOk(server.ldap, userDn('lockme'), 'lockme-password-1')).to.equal(false);
      const locked = await whoami('lockme', 'lockme-password-1');
      expect(locked.code).to.equal(49);
      expect(locked.stderr + locked.stdout).to.match(/Account locked/i);
      const plain = await run('ldapwhoami', ['-x', '-H', server.ldap, '-D', userDn('lockme'), '-w', 'lockme-password-1']);
      expect(plain.code).to.equal(49);
      expect(plain.stderr + plain.stdout).not.to.match(/locked/i);
      expect(await knex()('events').where({ action: 'account_locked', target_id: u.id })).to.have.length(1);
      await s().auth.unlock(u.id, SYSTEM_ACTOR, s().access);
      expect(await bindOk(server.ldap, userDn('lockme'), 'lockme-password-1')).to.equal(true);
      await knex()('auth_throttle').delete();
    });

    it('ldapwhoami -e ppolicy reads expiry warnings, an expired password and changeAfterReset', async function () {
      if (!tools) this.skip();
      const u = await user('aging', 'aging-password-1');
      await settings({ 'password.max_age_days': 10 });
      const warned = await whoami('aging', 'aging-password-1');
      expect(warned.code, warned.stderr).to.equal(0);
      expect(warned.stderr + warned.stdout).to.match(/Password expires in \d+ seconds/i);
      await knex()('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 11 * 86_400_000).toISOString() });
      const expired = await whoami('aging', 'aging-password-1');
      expect(expired.code).to.equal(49);
      expect(expired.stderr + expired.stdout).to.match(/Password expired/i);
      expect(await reasonsOf('ldap_bind_failed', u.id)).to.include('password_expired');

      await settings({ 'password.max_age_days': 0, 'password.change_after_reset': true });
      await s().users.setPassword(u.id, 'reset-by-admin-1', SYSTEM_ACTOR);
      const reset = await whoami('aging', 'reset-by-admin-1');
      expect(reset.code, reset.stderr).to.equal(0);
      expect(reset.stderr + reset.stdout).to.match(/Password must be changed/i);
      // The user sets its own password with ldappasswd; the flag goes.
      const own = await run('ldappasswd', ['-x', '-e', 'ppolicy', '-H', server.ldap, '-D', userDn('aging'), '-w', 'reset-by-admin-1', '-a', 'reset-by-admin-1', '-s', 'my-own-password-2']);
      expect(own.code, own.stderr).to.equal(0);
      const fine = await whoami('aging', 'my-own-password-2');
      expect(fine.code).to.equal(0);
      expect(fine.stderr + fine.stdout).not.to.match(/must be changed/i);
    });

    it('ldappasswd under the policy: 19 constraintViolation naming the rule (min_length, history)', async function () {
      if (!tools) this.skip();
      await settings({ 'password.min_length': 12, 'password.history': 3 });
      await user('policy', 'policy-password-1');
      const self = ['-x', '-e', 'ppolicy', '-H', server.ldap, '-D', userDn('policy'), '-w', 'policy-password-1', '-a', 'policy-password-1'];
      const short = await run('ldappasswd', [...self, '-s', 'short-1']);
      expect(short.stdout + short.stderr).to.match(/\(19\)/).and.to.match(/password\.min_length/);
      const same = await run('ldappasswd', [...self, '-s', 'policy-password-1']);
      expect(same.stdout + same.stderr).to.match(/\(19\)/).and.to.match(/password\.history/);
      await settings({ 'password.history': 0 });
    });

    it('mfa.ldap_bind: off ignores TOTP, optional takes password;123456 or the password, required insists; a code works once', async () => {
      await awayFromStepEdge();
      const u = await user('totp', 'totp-password-1');
      const begun = await s().mfa.beginTotp(u, 'Phone');
      const self: Actor = { userId: u.id, username: 'totp' };
      await s().mfa.confirmTotp(u, codeFor(begun.uri, Date.now() - 30_000), self);
      const dn = userDn('totp');
      expect(await bindOk(server.ldap, dn, 'totp-password-1')).to.equal(true);
      expect(await bindOk(server.ldap, dn, `totp-password-1;${codeFor(begun.uri)}`)).to.equal(false);

      await settings({ 'mfa.ldap_bind': 'optional' });
      expect(await bindOk(server.ldap, dn, 'totp-password-1')).to.equal(true);
      const code = codeFor(begun.uri);
      expect(await bindOk(server.ldap, dn, `totp-password-1;${code}`)).to.equal(true);
      expect(await bindOk(server.ldap, dn, `totp-password-1;${code}`)).to.equal(false); // replay

      await settings({ 'mfa.ldap_bind': 'required' });
      expect(await bindOk(server.ldap, dn, 'totp-password-1')).to.equal(false);
      const next = codeFor(begun.uri, Date.now() + 30_000);
      const c = new Client({ url: server.ldap });
      await c.bind(dn, `totp-password-1;${next}`);
      await c.unbind();
      expect(await bindOk(server.ldap, dn, `totp-password-1;${next}`)).to.equal(false);
      // Accounts without TOTP are unaffected, even with a password that ends like a code.
      await user('plain', 'plain-password;123456');
      expect(await bindOk(server.ldap, userDn('plain'), 'plain-password;123456')).to.equal(true);
      const reasons = await reasonsOf('ldap_bind_failed', u.id);
      expect(reasons).to.include.members(['mfa_failed', 'mfa_required']);
      expect(await knex()('events').where({ action: 'mfa_failed', target_id: u.id })).to.have.length.greaterThan(0);
      await knex()('auth_throttle').delete();
    });

    it('a weak or imported hash is upgraded by the next good bind', async () => {
      const u = await user('legacy', 'legacy-password-1');
      const { hashPassword } = await import('../../src/services/credentials.js');
      await knex()('users').where({ id: u.id }).update({ password_hash: await hashPassword('legacy-password-1', { N: 256, r: 8, p: 1 }) });
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('legacy'), 'legacy-password-1');
      await c.unbind();
      expect(String((await knex()('users').where({ id: u.id }).first()).password_hash)).to.match(/^scrypt\$1024\$/);
      let refused = false;
      try { await new Client({ url: server.ldap }).bind(userDn('legacy'), 'nope'); } catch (e) { refused = e instanceof InvalidCredentialsError; }
      expect(refused).to.equal(true);
      expect(ADMIN_PASSWORD).to.be.a('string');
    });
  });
  describe(`LDAP TOTP per application (the one whose bindings decide LDAP access) on ${dialect}`, function () {
    this.timeout(90_000);
    let server: BootedServer;
    before(async () => {
      // The application must exist before the start: an unknown ldap.application stops it.
      server = await bootServer(dialect, { 'ldap.application': 'gateway' }, {
        seed: async (database) => {
          await createServices(database.db, loadConfig({}, { 'auth.scrypt_n': 1024 })).access.createApplication({ name: 'Gateway', slug: 'gateway' }, SYSTEM_ACTOR);
        },
      });
    });
    after(async () => { await server?.stop(); });

    it('the application\'s own ldap_bind mode wins over the global mfa.ldap_bind; null follows it again', async () => {
      const s = server.running.services;
      await awayFromStepEdge();
      const u = await s.users.create({ username: 'appotp', password: 'appotp-password-1' }, SYSTEM_ACTOR);
      const begun = await s.mfa.beginTotp(u, null);
      await s.mfa.confirmTotp(u, codeFor(begun.uri, Date.now() - 30_000), { userId: u.id, username: 'appotp' });
      const put = (ldap_bind: string | null) => fetch(`${server.http}/api/v1/applications/gateway/mfa`, {
        method: 'PUT', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ ldap_bind }),
      });
      expect((await put('required')).status).to.equal(200);
      expect((await put('sometimes')).status).to.equal(400);
      expect(await bindOk(server.ldap, userDn('appotp'), 'appotp-password-1')).to.equal(false);
      expect(await bindOk(server.ldap, userDn('appotp'), `appotp-password-1;${codeFor(begun.uri)}`)).to.equal(true);
      expect((await put(null)).status).to.equal(200);
      expect(await bindOk(server.ldap, userDn('appotp'), 'appotp-password-1')).to.equal(true);
    });
  });
}
