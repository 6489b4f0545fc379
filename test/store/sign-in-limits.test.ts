import { expect } from 'chai';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { hashPassword } from '../../src/services/credentials.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });
const client = (ip: string) => ({ clientIp: ip });

for (const dialect of dialects()) {
  describe(`sign-in limits and lockout on ${dialect}`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let second: Database | null;
    let a: Services;
    let b: Services;

    const reasons = async (action: string, userId?: string): Promise<string[]> => {
      const q = tdb.db.knex('events').where({ action }).orderBy('seq');
      if (userId) void q.andWhere({ target_id: userId });
      return (await q).map((e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).reason);
    };
    const attempt = (s: Services, username: string, password: string, ip = '192.0.2.10') =>
      s.auth.verifyCredentials({ username, password, door: 'login', mfa: 'off' }, client(ip));

    beforeEach(async () => {
      tdb = await freshDatabase(dialect);
      // On PostgreSQL a second connection pool on the same data, as a second dirgate instance has.
      second = dialect === 'pg' ? openDatabase(tdb.url, { searchPath: tdb.searchPath, poolMax: 5 }) : null;
      a = createServices(tdb.db, config);
      b = createServices(second ?? tdb.db, config);
    });
    afterEach(async () => {
      await second?.close();
      await tdb.drop();
    });

    it('50 concurrent wrong passwords (from two instances on PostgreSQL) check at most the throttle limit', async () => {
      await a.settings.update({ 'login.throttle_count': 10, 'lockout.threshold': 0 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'target', password: 'right-password-1' }, SYSTEM_ACTOR);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i % 2 ? a : b, 'target', `guess-${i}`, `192.0.2.${i}`)));
      const checked = results.filter((r) => !r.ok && r.reason === 'wrong_password').length;
      expect(checked).to.be.at.most(10).and.at.least(1);
      expect(results.filter((r) => !r.ok && r.reason === 'throttled').length).to.equal(50 - checked);
      expect((await reasons('login_failed', u.id)).filter((r) => r === 'wrong_password')).to.have.length(checked);
      // Refused attempts were given back: the count is the failures, so the right password is still refused once over.
      expect((await attempt(a, 'target', 'right-password-1')).ok).to.equal(false);
    });

    it('50 concurrent wrong passwords check at most lockout.threshold, lock once, then refuse even the right one', async () => {
      await a.settings.update({ 'login.throttle_count': 1000, 'lockout.threshold': 5, 'lockout.duration': 600 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'locky', password: 'right-password-1' }, SYSTEM_ACTOR);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => attempt(i % 2 ? a : b, 'locky', `guess-${i}`, `198.51.100.${i}`)));
      const checked = results.filter((r) => !r.ok && r.reason === 'wrong_password').length;
      expect(checked).to.be.at.most(5).and.at.least(1);
      expect(results.filter((r) => !r.ok && r.reason === 'locked').length).to.equal(50 - checked);
      expect(await tdb.db.knex('events').where({ action: 'account_locked', target_id: u.id })).to.have.length(1);
      const right = await attempt(b, 'locky', 'right-password-1');
      expect(right.ok).to.equal(false);
      expect(!right.ok && right.reason).to.equal('locked');
      const locked = await a.users.get(u.id);
      expect(locked.lockedUntil!.getTime()).to.be.greaterThan(Date.now() + 500_000);
      await a.auth.unlock(u.id, SYSTEM_ACTOR, a.access);
      expect(await tdb.db.knex('events').where({ action: 'account_unlocked', target_id: u.id })).to.have.length(1);
      expect((await a.users.get(u.id)).lockedUntil).to.equal(null);
      expect((await attempt(b, 'locky', 'right-password-1')).ok).to.equal(true);
    });

    it('40 concurrent good sign-ins from one address (two instances on PostgreSQL) all get in, past a throttle limit of 10', async () => {
      await a.settings.update({ 'login.throttle_count': 10, 'lockout.threshold': 0 }, SYSTEM_ACTOR);
      for (let i = 0; i < 40; i++) await a.users.create({ username: `app-user-${i}`, password: `right-password-${i}` }, SYSTEM_ACTOR);
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => attempt(i % 2 ? a : b, `app-user-${i}`, `right-password-${i}`, '203.0.113.7')));
      expect(results.map((r) => (r.ok ? 'ok' : r.reason))).to.deep.equal(Array(40).fill('ok'));
      // Nothing was left counted or in flight for the address.
      const row = await tdb.db.knex('auth_throttle').where({ scope: 'ip', key: '203.0.113.7' }).first();
      expect([Number(row.failures), Number(row.pending)]).to.deep.equal([0, 0]);
      expect(await tdb.db.knex('events').where({ action: 'login_throttled' })).to.have.length(0);
    });

    it('30 concurrent good sign-ins of one account get in past the throttle limit and lockout.threshold, and lock nothing', async () => {
      await a.settings.update({ 'login.throttle_count': 10, 'lockout.threshold': 3, 'lockout.duration': 600 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'service', password: 'right-password-1' }, SYSTEM_ACTOR);
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => attempt(i % 2 ? a : b, 'service', 'right-password-1', `192.0.2.${i % 3}`)));
      expect(results.map((r) => (r.ok ? 'ok' : r.reason))).to.deep.equal(Array(30).fill('ok'));
      const row = await tdb.db.knex('users').where({ id: u.id }).first();
      expect([Number(row.failed_logins), Number(row.pending_logins), row.locked_until]).to.deep.equal([0, 0, null]);
      expect(await tdb.db.knex('events').where({ action: 'account_locked' })).to.have.length(0);
    });

    it('good sign-ins from an address among concurrent guesses from it: the guesses stop at the limit, the good ones before it get in', async () => {
      await a.settings.update({ 'login.throttle_count': 10, 'lockout.threshold': 0 }, SYSTEM_ACTOR);
      for (let i = 0; i < 5; i++) await a.users.create({ username: `good-${i}`, password: `right-password-${i}` }, SYSTEM_ACTOR);
      const guesses = Array.from({ length: 30 }, (_, i) => attempt(i % 2 ? a : b, `victim-${i}`, 'guess', '198.51.100.9'));
      const results = await Promise.all(guesses);
      expect(results.filter((r) => !r.ok && r.reason === 'unknown_user').length).to.be.at.most(10);
      // Ten failures from the address: it is throttled now, good password or not.
      const after = await attempt(a, 'good-0', 'right-password-0', '198.51.100.9');
      expect(!after.ok && after.reason).to.equal('throttled');
      // Another address is not.
      expect((await attempt(a, 'good-1', 'right-password-1', '198.51.100.10')).ok).to.equal(true);
    });

    it('a check left in flight by a process that died stops counting after a minute', async () => {
      await a.settings.update({ 'login.throttle_count': 2, 'lockout.threshold': 2 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'orphan', password: 'right-password-1' }, SYSTEM_ACTOR);
      const longAgo = new Date(Date.now() - 120_000).toISOString();
      await tdb.db.knex('auth_throttle').insert({ scope: 'user', key: 'orphan', window_start: new Date().toISOString(), failures: 0, pending: 2, pending_at: longAgo });
      await tdb.db.knex('users').where({ id: u.id }).update({ pending_logins: 2, pending_logins_at: longAgo });
      expect((await attempt(a, 'orphan', 'right-password-1')).ok).to.equal(true);
    });

    it('counts consecutive failures across instances; a success resets the count; duration 0 locks until unlocked', async () => {
      await a.settings.update({ 'lockout.threshold': 3, 'lockout.duration': 0 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'bob', password: 'right-password-1' }, SYSTEM_ACTOR);
      for (const s of [a, b]) expect((await attempt(s, 'bob', 'wrong')).ok).to.equal(false);
      expect((await attempt(b, 'bob', 'right-password-1')).ok).to.equal(true);
      expect((await tdb.db.knex('users').where({ id: u.id }).first()).failed_logins).to.equal(0);
      for (const s of [a, b, a]) expect((await attempt(s, 'bob', 'wrong')).ok).to.equal(false);
      const r = await attempt(b, 'bob', 'right-password-1');
      expect(!r.ok && r.reason).to.equal('locked');
      expect((await a.users.get(u.id)).lockedUntil!.getUTCFullYear()).to.equal(9999);
      const ev = await tdb.db.knex('events').where({ action: 'account_locked', target_id: u.id }).first();
      const ctx = typeof ev.context === 'string' ? JSON.parse(ev.context) : ev.context;
      expect(ctx).to.include({ username: 'bob', failures: 3, until: null });
      await b.auth.unlock(u.id, SYSTEM_ACTOR, b.access);
      expect((await attempt(a, 'bob', 'right-password-1')).ok).to.equal(true);
    });

    it('an expired lock lets the user in again and starts the count over', async () => {
      await a.settings.update({ 'lockout.threshold': 2, 'lockout.duration': 60 }, SYSTEM_ACTOR);
      const u = await a.users.create({ username: 'carol', password: 'right-password-1' }, SYSTEM_ACTOR);
      for (let i = 0; i < 2; i++) await attempt(a, 'carol', 'wrong');
      expect(!((await attempt(a, 'carol', 'right-password-1')).ok)).to.equal(true);
      await tdb.db.knex('users').where({ id: u.id }).update({ locked_until: new Date(Date.now() - 1000).toISOString() });
      expect((await attempt(a, 'carol', 'right-password-1')).ok).to.equal(true);
    });

    it('refuses unknown users, users without a password and deactivated users, each with its reason (their timing: npm run bench:auth)', async () => {
      await a.users.create({ username: 'nopass' }, SYSTEM_ACTOR);
      const off = await a.users.create({ username: 'off', password: 'right-password-1' }, SYSTEM_ACTOR);
      await a.users.update(off.id, { isActive: false }, SYSTEM_ACTOR);
      const r1 = await attempt(a, 'nobody-here', 'x');
      const r2 = await attempt(a, 'nopass', 'x');
      const r3 = await attempt(a, 'off', 'right-password-1');
      expect([r1, r2, r3].map((r) => !r.ok && r.reason)).to.deep.equal(['unknown_user', 'no_password', 'inactive']);
    });

    it('upgrades weaker hashes and imported Django pbkdf2_sha256 ones after the next good sign-in', async () => {
      const weak = await a.users.create({ username: 'weak' }, SYSTEM_ACTOR);
      const django = await a.users.create({ username: 'django' }, SYSTEM_ACTOR);
      await tdb.db.knex('users').where({ id: weak.id }).update({ password_hash: await hashPassword('weak-password-1', { N: 256, r: 8, p: 1 }) });
      const salt = randomBytes(8).toString('hex');
      const key = pbkdf2Sync('django-password-1', salt, 1000, 32, 'sha256').toString('base64');
      await tdb.db.knex('users').where({ id: django.id }).update({ password_hash: `pbkdf2_sha256$1000$${salt}$${key}` });
      const hashOf = async (id: string) => String((await tdb.db.knex('users').where({ id }).first()).password_hash);
      expect((await attempt(a, 'weak', 'wrong')).ok).to.equal(false);
      expect(await hashOf(weak.id)).to.match(/^scrypt\$256\$/);
      expect((await attempt(a, 'weak', 'weak-password-1')).ok).to.equal(true);
      expect((await attempt(b, 'django', 'django-password-1')).ok).to.equal(true);
      expect(await hashOf(weak.id)).to.match(/^scrypt\$1024\$8\$1\$/);
      expect(await hashOf(django.id)).to.match(/^scrypt\$1024\$8\$1\$/);
      // The upgraded hashes still take the same passwords.
      expect((await attempt(a, 'weak', 'weak-password-1')).ok).to.equal(true);
      expect((await attempt(a, 'django', 'django-password-1')).ok).to.equal(true);
    });
  });
}
