import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { createServices } from '../../src/services/index.js';
import { Client, InvalidCredentialsError, UnwillingToPerformError } from 'ldapts';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, bindOk, groupDn, haveTool, run, userDn } from './ldap-support.js';

const APP = 'ldap-gateway';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return undefined;
}

for (const dialect of dialects()) {
  describe(`LDAP bind and extended operations on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    const tools = haveTool('ldapwhoami') && haveTool('ldappasswd') && haveTool('ldapcompare');

    const user = async (username: string, password: string) =>
      server.running.services.users.create({ username, name: username, email: `${username}@example.com`, password }, SYSTEM_ACTOR);
    type EventRow = Record<string, unknown>;
    /**
     * The events of `action` once `ready` holds for them. Successful-bind events are written in
     * batches (within 100 ms, later on a loaded machine), so wait for them rather than for a
     * fixed time; the assertions then check exactly what was written.
     */
    const events = async (action: string, ready: (rows: EventRow[]) => boolean = (rows) => rows.length > 0) => {
      const deadline = Date.now() + 15000;
      for (;;) {
        const rows = (await server.database.db.knex('events').where({ action }).orderBy('seq').select('*')) as EventRow[];
        if (ready(rows) || Date.now() > deadline) return rows;
        await new Promise((r) => setTimeout(r, 25));
      }
    };

    before(async () => {
      // The application must exist before the start: an unknown ldap.application stops it.
      server = await bootServer(dialect, { 'ldap.application': APP }, {
        seed: async (database) => {
          await createServices(database.db, loadConfig({}, { 'auth.scrypt_n': 1024 })).access.createApplication({ name: 'LDAP gateway', slug: APP }, SYSTEM_ACTOR);
        },
      });
    });
    after(async () => { await server?.stop(); });

    it('binds with cn= or uid= and refuses wrong passwords and unknown users with 49', async () => {
      await user('alice', 'alice-password-1');
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-1')).to.equal(true);
      expect(await bindOk(server.ldap, `UID=Alice, OU=Users, ${BASE.toUpperCase()}`, 'alice-password-1')).to.equal(true);
      expect(await bindOk(server.ldap, userDn('alice'), 'wrong')).to.equal(false);
      expect(await bindOk(server.ldap, userDn('nobody'), 'whatever1')).to.equal(false);
      expect(await bindOk(server.ldap, `cn=alice,ou=groups,${BASE}`, 'alice-password-1')).to.equal(false);
      expect((await events('ldap_bind', (rows) => rows.length >= 2)).length).to.be.greaterThanOrEqual(2);
      expect((await events('ldap_bind_failed', (rows) => rows.length >= 3)).length).to.be.greaterThanOrEqual(3);
    });

    it('repeat binds skip the KDF but see a password change on the very next bind', async () => {
      const u = await user('carol', 'carol-password-1');
      expect(await bindOk(server.ldap, userDn('carol'), 'carol-password-1')).to.equal(true);
      expect(await bindOk(server.ldap, userDn('carol'), 'carol-password-1')).to.equal(true);
      const mine = (rows: EventRow[]) => rows.filter((e) => e.target_id === u.id);
      const binds = mine(await events('ldap_bind', (rows) => mine(rows).length >= 2));
      expect(binds.map((e) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).cached)).to.deep.equal([false, true]);
      await server.running.services.users.setPassword(u.id, 'carol-password-2', SYSTEM_ACTOR);
      expect(await bindOk(server.ldap, userDn('carol'), 'carol-password-1')).to.equal(false);
      expect(await bindOk(server.ldap, userDn('carol'), 'carol-password-2')).to.equal(true);
    });

    it('sees a deactivation on the very next bind', async () => {
      const u = await user('dave', 'dave-password-1');
      expect(await bindOk(server.ldap, userDn('dave'), 'dave-password-1')).to.equal(true);
      await server.running.services.users.update(u.id, { isActive: false }, SYSTEM_ACTOR);
      expect(await bindOk(server.ldap, userDn('dave'), 'dave-password-1')).to.equal(false);
      await server.running.services.users.update(u.id, { isActive: true }, SYSTEM_ACTOR);
      expect(await bindOk(server.ldap, userDn('dave'), 'dave-password-1')).to.equal(true);
    });

    it('refuses users the application\'s policy bindings do not admit', async () => {
      const { services } = server.running;
      const erin = await user('erin', 'erin-password-1');
      const frank = await user('frank', 'frank-password-1');
      const g = await services.groups.create({ name: 'ldap-users' }, SYSTEM_ACTOR);
      await services.groups.changeMembers(g.id, { addUsers: [erin.id] }, SYSTEM_ACTOR);
      const b = await services.access.createBinding(APP, { group: g.id }, SYSTEM_ACTOR);
      try {
        expect(await bindOk(server.ldap, userDn('erin'), 'erin-password-1')).to.equal(true);
        expect(await bindOk(server.ldap, userDn('frank'), 'frank-password-1')).to.equal(false);
        const refusedFrank = (rows: EventRow[]) => rows.some((e) => e.target_id === frank.id);
        expect(refusedFrank(await events('ldap_bind_failed', refusedFrank))).to.equal(true);
      } finally {
        await services.access.deleteBinding(b.id, SYSTEM_ACTOR);
      }
    });

    it('throttles failed binds per username, then refuses even the right password', async () => {
      await server.running.services.settings.update({ 'login.throttle_count': 3 }, SYSTEM_ACTOR);
      try {
        await user('grace', 'grace-password-1');
        for (let i = 0; i < 3; i++) expect(await bindOk(server.ldap, userDn('grace'), `guess-${i}`)).to.equal(false);
        expect(await bindOk(server.ldap, userDn('grace'), 'grace-password-1')).to.equal(false);
        expect((await events('ldap_bind_throttled')).length).to.be.greaterThan(0);
      } finally {
        await server.running.services.settings.update({ 'login.throttle_count': 10 }, SYSTEM_ACTOR);
      }
    });

    it('handles anonymous, unauthenticated and giant-password binds', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind('', '');
      expect(await errorOf(c.bind(userDn('alice'), ''))).to.be.instanceOf(UnwillingToPerformError);
      const started = Date.now();
      expect(await errorOf(c.bind(userDn('alice'), 'x'.repeat(200_000)))).to.be.instanceOf(InvalidCredentialsError);
      expect(Date.now() - started).to.be.lessThan(2000);
      await c.unbind();
    });

    it('compare, WhoAmI and Password Modify through ldapts', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('alice'), 'alice-password-1');
      expect(await c.compare(userDn('alice'), 'mail', 'ALICE@example.com')).to.equal(true);
      expect(await c.compare(userDn('alice'), 'uid', 'bob')).to.equal(false);
      const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
      expect(who.value).to.equal(`dn:${userDn('alice')}`);
      await c.unbind();
    });

    describe('with the OpenLDAP tools', function () {
      before(function () { if (!tools) this.skip(); });

      it('ldapwhoami: bound and anonymous', async () => {
        const r = await run('ldapwhoami', ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout.trim()).to.equal(`dn:${userDn('admin')}`);
        const anon = await run('ldapwhoami', ['-x', '-H', server.ldap]);
        expect(anon.stdout.trim()).to.equal('anonymous');
        const bad = await run('ldapwhoami', ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', 'nope']);
        expect(bad.code).to.equal(49);
      });

      it('ldapcompare: TRUE (6) and FALSE (5), memberOf too', async () => {
        const args = ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD];
        expect((await run('ldapcompare', [...args, userDn('admin'), 'uid:admin'])).code).to.equal(6);
        expect((await run('ldapcompare', [...args, userDn('admin'), 'uid:alice'])).code).to.equal(5);
        expect((await run('ldapcompare', [...args, userDn('admin'), `memberOf:${groupDn('admins')}`])).code).to.equal(6);
      });

      it('ldappasswd: own password with the old one; policy; admin for others; generated; sessions revoked', async () => {
        const { services } = server.running;
        const h = await user('heidi', 'heidi-password-1');
        await services.auth.createSession(h.id, {});
        expect(await services.auth.sessionsOf(h.id)).to.have.length(1);
        const self = ['-x', '-H', server.ldap, '-D', userDn('heidi')];
        const noOld = await run('ldappasswd', [...self, '-w', 'heidi-password-1', '-s', 'heidi-password-2']);
        // ldappasswd exits 1 on any failure and prints the result code.
        expect(noOld.stdout + noOld.stderr).to.match(/\(53\)/);
        const wrongOld = await run('ldappasswd', [...self, '-w', 'heidi-password-1', '-a', 'not-it', '-s', 'heidi-password-2']);
        expect(wrongOld.stdout + wrongOld.stderr).to.match(/\(49\)/);
        const short = await run('ldappasswd', [...self, '-w', 'heidi-password-1', '-a', 'heidi-password-1', '-s', 'x']);
        expect(short.stdout + short.stderr).to.match(/\(19\)/);
        const ok = await run('ldappasswd', [...self, '-w', 'heidi-password-1', '-a', 'heidi-password-1', '-s', 'heidi-password-2']);
        expect(ok.code, ok.stderr).to.equal(0);
        expect(await services.auth.sessionsOf(h.id)).to.have.length(0);
        expect(await bindOk(server.ldap, userDn('heidi'), 'heidi-password-1')).to.equal(false);
        expect(await bindOk(server.ldap, userDn('heidi'), 'heidi-password-2')).to.equal(true);
        // Someone else's password: refused for a plain user, allowed for an admin.
        const other = await run('ldappasswd', ['-x', '-H', server.ldap, '-D', userDn('alice'), '-w', 'alice-password-1', '-s', 'hacked-password', userDn('heidi')]);
        expect(other.stdout + other.stderr).to.match(/\(50\)/);
        const byAdmin = await run('ldappasswd', ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD, '-s', 'heidi-password-3', userDn('heidi')]);
        expect(byAdmin.code, byAdmin.stderr).to.equal(0);
        expect(await bindOk(server.ldap, userDn('heidi'), 'heidi-password-3')).to.equal(true);
        const generated = await run('ldappasswd', ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD, userDn('heidi')]);
        expect(generated.code, generated.stderr).to.equal(0);
        const pw = /New password: (\S+)/.exec(generated.stdout)?.[1];
        expect(pw).to.be.a('string');
        expect(await bindOk(server.ldap, userDn('heidi'), pw!)).to.equal(true);
      });
    });
  });
}
