import { expect } from 'chai';
import { createHash, pbkdf2Sync } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { AlreadyExists, Conflict, InvalidValue, PreconditionFailed, Unauthenticated } from '../../src/domain/errors.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { hashPassword, verifyPassword } from '../../src/services/credentials.js';
import { createServices, type Services } from '../../src/services/index.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });

describe('credentials', () => {
  it('hashes with scrypt, parameters in the string, and verifies', async () => {
    const h = await hashPassword('correct horse', { N: 1024, r: 8, p: 1 });
    expect(h).to.match(/^scrypt\$1024\$8\$1\$/);
    expect(await verifyPassword('correct horse', h)).to.equal(true);
    expect(await verifyPassword('wrong horse', h)).to.equal(false);
  });
  it("verifies Django's pbkdf2_sha256 hashes (users imported from authentik)", async () => {
    const hash = pbkdf2Sync('s3cret!', 'somesalt', 1000, 32, 'sha256').toString('base64');
    const stored = `pbkdf2_sha256$1000$somesalt$${hash}`;
    expect(await verifyPassword('s3cret!', stored)).to.equal(true);
    expect(await verifyPassword('s3cret', stored)).to.equal(false);
  });
  it('refuses unknown formats and giant passwords', async () => {
    expect(await verifyPassword('x', 'md5$abc')).to.equal(false);
    expect(await verifyPassword('x'.repeat(5000), await hashPassword('x'.repeat(10), { N: 1024, r: 8, p: 1 }))).to.equal(false);
    expect(createHash('sha256').update('x').digest('hex')).to.have.length(64);
  });
});

for (const dialect of dialects()) {
  describe(`services on ${dialect}`, function () {
    let tdb: TestDatabase;
    let s: Services;
    beforeEach(async () => {
      tdb = await freshDatabase(dialect);
      s = createServices(tdb.db, config);
    });
    afterEach(async () => { await tdb.drop(); });

    it('creates users with defaults and refuses a username taken ignoring case', async () => {
      const u = await s.users.create({ username: 'Alice', email: 'alice@example.com', password: 'password1' }, SYSTEM_ACTOR);
      expect(u).to.include({ username: 'Alice', path: 'users', type: 'internal', isActive: true, hasPassword: true, version: 1 });
      expect(u.id).to.match(/^[0-9a-f-]{36}$/);
      expect(u).not.to.have.property('passwordHash');
      let err: unknown;
      try { await s.users.create({ username: 'alice' }, SYSTEM_ACTOR); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(AlreadyExists);
    });

    it('validates every field and names each problem', async () => {
      let err: InvalidValue | undefined;
      try {
        await s.users.create({ username: 'a\u0001b', email: 'nope', path: 'a//b', type: 'robot', attributes: [1] }, SYSTEM_ACTOR);
      } catch (e) { err = e as InvalidValue; }
      expect(err).to.be.instanceOf(InvalidValue);
      expect(Object.keys(err!.fields).sort()).to.deep.equal(['attributes', 'email', 'path', 'type', 'username']);
      let long: unknown;
      try { await s.users.create({ username: 'x'.repeat(151) }, SYSTEM_ACTOR); } catch (e) { long = e; }
      expect(long).to.be.instanceOf(InvalidValue);
    });

    it('accepts attributes as YAML only when asked (admin API)', async () => {
      const u = await s.users.create({ username: 'y', attributes: 'a: 1\nb:\n  c: x' }, SYSTEM_ACTOR, { allowYamlAttributes: true });
      expect(u.attributes).to.deep.equal({ a: 1, b: { c: 'x' } });
    });

    it('enforces the unique-email setting', async () => {
      await s.users.create({ username: 'a', email: 'same@example.com' }, SYSTEM_ACTOR);
      await s.users.create({ username: 'b', email: 'SAME@example.com' }, SYSTEM_ACTOR);
      await s.settings.update({ 'users.unique_email': true }, SYSTEM_ACTOR);
      let err: unknown;
      try { await s.users.create({ username: 'c', email: 'Same@Example.com' }, SYSTEM_ACTOR); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(AlreadyExists);
    });

    it('updates with a version check and records events in the same transaction', async () => {
      const u = await s.users.create({ username: 'bob' }, SYSTEM_ACTOR);
      const u2 = await s.users.update(u.id, { name: 'Bob B' }, SYSTEM_ACTOR, { ifVersion: 1 });
      expect(u2.version).to.equal(2);
      let err: unknown;
      try { await s.users.update(u.id, { name: 'x' }, SYSTEM_ACTOR, { ifVersion: 1 }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(PreconditionFailed);
      const events = await tdb.db.knex('events').where({ target_id: u.id }).orderBy('seq');
      expect(events.map((e) => e.action)).to.deep.equal(['user_created', 'user_updated']);
      expect(JSON.stringify(events)).not.to.match(/scrypt\$/);
    });

    it('deactivation revokes sessions and closes token authentication at once', async () => {
      const u = await s.users.create({ username: 'carol', password: 'password1' }, SYSTEM_ACTOR);
      const { token } = await s.auth.login('carol', 'password1', { clientIp: '127.0.0.1' });
      const { key } = await s.auth.createToken(u.id, { description: 't' }, SYSTEM_ACTOR);
      expect((await s.auth.authenticateBearer(token)).user.id).to.equal(u.id);
      expect((await s.auth.authenticateBearer(key)).user.id).to.equal(u.id);
      await s.users.update(u.id, { isActive: false }, SYSTEM_ACTOR);
      expect(await s.auth.sessionsOf(u.id)).to.have.length(0);
      for (const t of [token, key]) {
        let err: unknown;
        try { await s.auth.authenticateBearer(t); } catch (e) { err = e; }
        expect(err).to.be.instanceOf(Unauthenticated);
      }
      const r = await s.auth.checkPassword('carol', 'password1', {}, 'ldap_bind');
      expect(r).to.include({ ok: false, reason: 'inactive' });
    });

    it('throttles failed logins per username', async () => {
      await s.users.create({ username: 'dave', password: 'password1' }, SYSTEM_ACTOR);
      await s.settings.update({ 'login.throttle_count': 3 }, SYSTEM_ACTOR);
      for (let i = 0; i < 3; i++) expect((await s.auth.checkPassword('dave', 'bad', {}, 'login')).ok).to.equal(false);
      const r = await s.auth.checkPassword('dave', 'password1', {}, 'login');
      expect(r).to.include({ ok: false, reason: 'throttled' });
    });

    it('resolves roles and permissions through nested groups and superuser groups', async () => {
      const u = await s.users.create({ username: 'erin' }, SYSTEM_ACTOR);
      const parent = await s.groups.create({ name: 'parent' }, SYSTEM_ACTOR);
      const child = await s.groups.create({ name: 'child', parents: [parent.id] }, SYSTEM_ACTOR);
      await s.groups.changeMembers(child.id, { addUsers: [u.id] }, SYSTEM_ACTOR);
      const viewer = await s.roles.create({ name: 'viewer', permissions: ['user.view'] }, SYSTEM_ACTOR);
      const direct = await s.roles.create({ name: 'direct', permissions: ['group.view'] }, SYSTEM_ACTOR);
      await s.roles.assign({ groupId: parent.id }, viewer.id, true, SYSTEM_ACTOR);
      await s.roles.assign({ userId: u.id }, direct.id, true, SYSTEM_ACTOR);
      const held = await s.access.rolesOf(u.id, true);
      expect(held.map((h) => [h.role.name, h.assigned, h.group?.name ?? null])).to.deep.equal([['direct', true, null], ['viewer', false, 'parent']]);
      expect([...(await s.access.permissionsOf(u.id))].sort()).to.deep.equal(['group.view', 'user.view']);
      expect(await s.access.isSuperuser(u.id)).to.equal(false);
      await s.groups.update(parent.id, { isSuperuser: true }, SYSTEM_ACTOR);
      expect(await s.access.isSuperuser(u.id)).to.equal(true);
      expect(await s.access.hasPermission(u.id, 'scim.provision')).to.equal(true);
    });

    it('refuses group cycles', async () => {
      const a = await s.groups.create({ name: 'a' }, SYSTEM_ACTOR);
      const b = await s.groups.create({ name: 'b', parents: [a.id] }, SYSTEM_ACTOR);
      const c = await s.groups.create({ name: 'c', parents: [b.id] }, SYSTEM_ACTOR);
      let err: unknown;
      try { await s.groups.update(a.id, { parents: [c.id] }, SYSTEM_ACTOR); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Conflict);
      err = undefined;
      try { await s.groups.changeMembers(c.id, { addGroups: [a.id] }, SYSTEM_ACTOR); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Conflict);
      expect(await s.groups.parentIdsOf(a.id)).to.deep.equal([]);
    });

    it('bulk delete is all or nothing', async () => {
      const a = await s.users.create({ username: 'x1' }, SYSTEM_ACTOR);
      let err: unknown;
      try { await s.users.bulkDelete([a.id, '00000000-0000-0000-0000-000000000000'], SYSTEM_ACTOR); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(Error);
      expect((await s.users.get(a.id)).username).to.equal('x1');
    });

    it('checks application access by policy bindings; no bindings admits everyone', async () => {
      const u = await s.users.create({ username: 'f' }, SYSTEM_ACTOR);
      const other = await s.users.create({ username: 'g' }, SYSTEM_ACTOR);
      const grp = await s.groups.create({ name: 'app-users' }, SYSTEM_ACTOR);
      await s.groups.changeMembers(grp.id, { addUsers: [u.id] }, SYSTEM_ACTOR);
      await s.access.createApplication({ name: 'LDAP', slug: 'ldap' }, SYSTEM_ACTOR);
      expect((await s.access.checkAccess('ldap', other.id)).passing).to.equal(true);
      await s.access.createBinding('ldap', { group: grp.id }, SYSTEM_ACTOR);
      expect((await s.access.checkAccess('ldap', u.id)).passing).to.equal(true);
      expect((await s.access.checkAccess('ldap', other.id)).passing).to.equal(false);
    });
  });
}
