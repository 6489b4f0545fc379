import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Control } from 'ldapts';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';
import { ADMIN_TOKEN, bootServer, type BootedServer } from '../support/server.js';
import { killHard, startInstance, type Instance } from '../support/instances.js';
import { api, waitFor } from './ext-support.js';
import { bindOk, haveTool, run, userDn } from './ldap-support.js';

const PPOLICY = '1.3.6.1.4.1.42.2.27.8.5.1';
const DAY = 86_400_000;
const contextOf = (e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context) as Record<string, unknown>;

/** A bind through ldapts carrying the password policy request control: true on success, false on 49. */
const bindWithPolicy = (url: string, dn: string, password: string) => bindOk(url, dn, password, new Control(PPOLICY));

for (const dialect of dialects()) {
  describe(`LDAP grace logins of an expired password (password.grace_logins) on ${dialect}`, function () {
    this.timeout(120_000);
    let server: BootedServer;
    const tools = haveTool('ldapwhoami') && haveTool('ldappasswd');
    const s = () => server.running.services;
    const knex = () => server.database.db.knex;
    const settings = (patch: Record<string, unknown>) => s().settings.update(patch, SYSTEM_ACTOR);
    const whoami = (name: string, password: string) =>
      run('ldapwhoami', ['-x', '-e', 'ppolicy', '-H', server.ldap, '-D', userDn(name), '-w', password]);
    /** A user whose password was set 11 days ago, with password.max_age_days 10: expired. */
    const expiredUser = async (username: string, password: string) => {
      const u = await s().users.create({ username, password }, SYSTEM_ACTOR);
      await knex()('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 11 * DAY).toISOString() });
      return u;
    };
    const used = async (id: string) => Number((await knex()('users').where({ id }).first('grace_logins_used')).grace_logins_used);
    const bindEvents = (id: string, n: number) => waitFor(`${n} ldap_bind events`, async () => {
      const rows = await knex()('events').where({ action: 'ldap_bind', target_id: id }).orderBy('seq');
      return rows.length >= n ? rows.map(contextOf) : undefined;
    }, 10_000, 50);

    before(async () => { server = await bootServer(dialect); });
    after(async () => { await server?.stop(); });
    beforeEach(async () => { await settings({ 'password.max_age_days': 10 }); });
    afterEach(async () => {
      await settings({ 'password.max_age_days': 0, 'password.grace_logins': 0, 'password.change_after_reset': false });
      await knex()('auth_throttle').delete();
    });

    it('ldapwhoami -e ppolicy: each grace bind succeeds with "N grace logins remain", then 49 passwordExpired; the cache path counts too', async function () {
      if (!tools) this.skip();
      await settings({ 'password.grace_logins': 2 });
      const u = await expiredUser('graceful', 'graceful-password-1');
      const first = await whoami('graceful', 'graceful-password-1');
      expect(first.code, first.stderr).to.equal(0);
      expect(first.stderr + first.stdout).to.match(/ldap_bind: Success \(0\) \(Password expired, 1 grace logins remain\)/);
      // Within ldap.bind_cache_ttl: this one is a cache hit and must spend a grace login all the same.
      const second = await whoami('graceful', 'graceful-password-1');
      expect(second.code, second.stderr).to.equal(0);
      expect(second.stderr + second.stdout).to.match(/ldap_bind: Success \(0\) \(Password expired, 0 grace logins remain\)/);
      const third = await whoami('graceful', 'graceful-password-1');
      expect(third.code).to.equal(49);
      expect(third.stderr + third.stdout).to.match(/Password expired/).and.not.to.match(/grace/);
      expect(await used(u.id)).to.equal(2);
      const events = await bindEvents(u.id, 2);
      expect(events.map((c) => [c.cached, c.grace_logins_left])).to.deep.equal([[false, 1], [true, 0]]);
      expect(JSON.stringify(events)).not.to.contain('graceful-password-1');
      const refusals = (await knex()('events').where({ action: 'ldap_bind_failed', target_id: u.id })).map(contextOf);
      expect(refusals.map((c) => c.reason)).to.deep.equal(['password_expired']);
      // A wrong password during grace spends nothing and says nothing about the policy.
      await settings({ 'password.grace_logins': 3 });
      const wrong = await whoami('graceful', 'not-the-password');
      expect(wrong.code).to.equal(49);
      expect(wrong.stderr + wrong.stdout).not.to.match(/grace|expired/i);
      expect(await used(u.id)).to.equal(2);
      // Raising the limit gives the rest: one more.
      const raised = await whoami('graceful', 'graceful-password-1');
      expect(raised.code, raised.stderr).to.equal(0);
      expect(raised.stderr + raised.stdout).to.match(/ldap_bind: Success \(0\) \(Password expired, 0 grace logins remain\)/);
    });

    it('password.grace_logins 0 (the default) refuses an expired password at once, as before', async function () {
      if (!tools) this.skip();
      const u = await expiredUser('nograce', 'nograce-password-1');
      const r = await whoami('nograce', 'nograce-password-1');
      expect(r.code).to.equal(49);
      expect(r.stderr + r.stdout).to.match(/Password expired/).and.not.to.match(/grace/);
      expect(await bindWithPolicy(server.ldap, userDn('nograce'), 'nograce-password-1')).to.equal(false);
      expect(await used(u.id)).to.equal(0);
    });

    it('a grace bind lets the user set a new password with ldappasswd, which starts the count over', async function () {
      if (!tools) this.skip();
      await settings({ 'password.grace_logins': 1 });
      const u = await expiredUser('renew', 'renew-password-1');
      const changed = await run('ldappasswd', ['-x', '-e', 'ppolicy', '-H', server.ldap, '-D', userDn('renew'), '-w', 'renew-password-1',
        '-a', 'renew-password-1', '-s', 'renew-password-2']);
      expect(changed.code, changed.stderr + changed.stdout).to.equal(0);
      expect(await used(u.id)).to.equal(0);
      const fresh = await whoami('renew', 'renew-password-2');
      expect(fresh.code, fresh.stderr).to.equal(0);
      expect(fresh.stderr + fresh.stdout).not.to.match(/expired|grace/i);
      expect(await whoami('renew', 'renew-password-1').then((r) => r.code)).to.equal(49);
      // When the new password expires in turn, it has its grace login again.
      await knex()('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 11 * DAY).toISOString() });
      const again = await whoami('renew', 'renew-password-2');
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stderr + again.stdout).to.match(/ldap_bind: Success \(0\) \(Password expired, 0 grace logins remain\)/);
      // An admin's reset (another door, the same store function) starts it over too.
      await s().users.setPassword(u.id, 'renew-password-3', SYSTEM_ACTOR);
      expect(await used(u.id)).to.equal(0);
    });

    it('changeAfterReset and grace together: the response carries both', async function () {
      if (!tools) this.skip();
      await settings({ 'password.grace_logins': 2, 'password.change_after_reset': true });
      const u = await expiredUser('both', 'both-password-1');
      await s().users.setPassword(u.id, 'both-password-2', SYSTEM_ACTOR);
      await knex()('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 11 * DAY).toISOString() });
      const r = await whoami('both', 'both-password-2');
      expect(r.code, r.stderr).to.equal(0);
      expect(r.stderr + r.stdout).to.match(/ldap_bind: Success \(0\); Password must be changed/).and.to.match(/\(Password expired, 1 grace logins remain\)/);
    });

    it('10 concurrent ldapts binds with password.grace_logins 3: exactly 3 succeed, on the KDF path and on the cache path', async () => {
      await settings({ 'password.grace_logins': 3 });
      const cold = await expiredUser('coldrush', 'coldrush-password-1');
      const coldOutcomes = await Promise.all(Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? bindOk : bindWithPolicy)(server.ldap, userDn('coldrush'), 'coldrush-password-1')));
      expect(coldOutcomes.filter(Boolean)).to.have.length(3);
      expect(await used(cold.id)).to.equal(3);

      // Warm the cache while the password is still good, then let it expire: every bind is a hit.
      await settings({ 'password.max_age_days': 0 });
      const warm = await s().users.create({ username: 'warmrush', password: 'warmrush-password-1' }, SYSTEM_ACTOR);
      expect(await bindOk(server.ldap, userDn('warmrush'), 'warmrush-password-1')).to.equal(true);
      await knex()('users').where({ id: warm.id }).update({ password_changed_at: new Date(Date.now() - 11 * DAY).toISOString() });
      await settings({ 'password.max_age_days': 10 });
      const warmOutcomes = await Promise.all(Array.from({ length: 10 }, () => bindWithPolicy(server.ldap, userDn('warmrush'), 'warmrush-password-1')));
      expect(warmOutcomes.filter(Boolean)).to.have.length(3);
      expect(await used(warm.id)).to.equal(3);
      const events = await bindEvents(warm.id, 4);
      const graceBinds = events.filter((c) => c.grace_logins_left !== undefined);
      expect(graceBinds.map((c) => c.grace_logins_left).sort()).to.deep.equal([0, 1, 2]);
      expect(graceBinds.every((c) => c.cached === true)).to.equal(true);
    });

    it('the admin API still asks an expired password for a new one and spends no grace login', async () => {
      await settings({ 'password.grace_logins': 3 });
      const u = await expiredUser('apiuser', 'apiuser-password-1');
      const login = (body: Record<string, unknown>) => fetch(`${server.http}/api/v1/auth/login`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
      });
      const r = await login({ username: 'apiuser', password: 'apiuser-password-1' });
      expect(r.status).to.equal(401);
      expect((await r.json()).reason).to.equal('password_expired');
      expect(await used(u.id)).to.equal(0);
      const renewed = await login({ username: 'apiuser', password: 'apiuser-password-1', new_password: 'apiuser-password-2' });
      expect(renewed.status).to.equal(200);
      expect(await bindOk(server.ldap, userDn('apiuser'), 'apiuser-password-2')).to.equal(true);
    });

    it('GET /api/v1/settings/schema describes password.grace_logins; a bad value is a 400 naming it', async () => {
      const headers = { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' };
      const schema = await (await fetch(`${server.http}/api/v1/settings/schema`, { headers })).json();
      expect(schema['password.grace_logins']).to.include({ type: 'integer', default: 0, minimum: 0 });
      const bad = await fetch(`${server.http}/api/v1/settings`, { method: 'PATCH', headers, body: JSON.stringify({ 'password.grace_logins': -1 }) });
      expect(bad.status).to.equal(400);
      expect(await bad.text()).to.contain('password.grace_logins');
    });
  });

  describe(`LDAP grace logins across two instances on ${dialect}`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let dir: string;
    const running: Instance[] = [];
    before(async () => {
      db = await freshDatabase(dialect);
      dir = mkdtempSync(join(tmpdir(), 'dirgate-grace-'));
    });
    after(async () => {
      for (const i of running.splice(0)) await killHard(i);
      await db?.drop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('12 concurrent binds split over two instances with password.grace_logins 3: exactly 3 succeed', async () => {
      const env = { DIRGATE_DATABASE_URL: db.url, DIRGATE_EXPORT_DIR: dir };
      const a = await startInstance(env);
      running.push(a);
      const b = await startInstance(env);
      running.push(b);
      expect((await api(a, 'PATCH', '/settings', ADMIN_TOKEN, { 'password.max_age_days': 10, 'password.grace_logins': 3 })).status).to.equal(200);
      const made = await api(a, 'POST', '/users', ADMIN_TOKEN, { username: 'twice', password: 'twice-password-1' });
      expect(made.status, made.text).to.equal(201);
      const id = made.json.id as string;
      await db.db.knex('users').where({ id }).update({ password_changed_at: new Date(Date.now() - 11 * DAY).toISOString() });
      const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => bindWithPolicy((i % 2 ? a : b).ldap, userDn('twice'), 'twice-password-1')));
      expect(outcomes.filter(Boolean)).to.have.length(3);
      expect(Number((await db.db.knex('users').where({ id }).first('grace_logins_used')).grace_logins_used)).to.equal(3);
    });
  });
}
