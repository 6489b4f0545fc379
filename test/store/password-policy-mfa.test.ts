import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { PasswordRejected } from '../../src/services/password-policy.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';
import { awayFromStepEdge, codeFor } from '../support/totp.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });


async function rejection(p: Promise<unknown>): Promise<PasswordRejected> {
  try {
    await p;
  } catch (e) {
    if (e instanceof PasswordRejected) return e;
    throw e;
  }
  throw new Error('the password was accepted');
}

for (const dialect of dialects()) {
  describe(`password policy and TOTP (services) on ${dialect}`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    let s: Services;
    const eventsOf = async (action: string) => (await tdb.db.knex('events').where({ action }).orderBy('seq'))
      .map((e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context) as Record<string, unknown>);

    beforeEach(async () => {
      tdb = await freshDatabase(dialect);
      s = createServices(tdb.db, config);
    });
    afterEach(async () => { await tdb.drop(); });

    it('names the rule: min_length, history (hashes), strength with zxcvbn feedback; records password_rejected without the password', async () => {
      await s.settings.update({ 'password.min_length': 10, 'password.history': 2 }, SYSTEM_ACTOR);
      expect((await rejection(s.users.create({ username: 'short', password: 'abc' }, SYSTEM_ACTOR))).rule).to.equal('min_length');
      const u = await s.users.create({ username: 'hist', password: 'first-password-1' }, SYSTEM_ACTOR);
      await s.users.setPassword(u.id, 'second-password-2', SYSTEM_ACTOR);
      const again = await rejection(s.users.setPassword(u.id, 'first-password-1', SYSTEM_ACTOR));
      expect(again.rule).to.equal('history');
      expect(again.message).to.match(/last 2 passwords/);
      expect((await rejection(s.users.setPassword(u.id, 'second-password-2', SYSTEM_ACTOR))).rule).to.equal('history');
      const stored = await tdb.db.knex('password_history').where({ user_id: u.id });
      expect(stored).to.have.length(1);
      expect(String(stored[0].password_hash)).to.match(/^scrypt\$/);
      await s.users.setPassword(u.id, 'third-password-3', SYSTEM_ACTOR);
      // Only the last two are kept: the first may come back now.
      await s.users.setPassword(u.id, 'first-password-1', SYSTEM_ACTOR);

      await s.settings.update({ 'password.min_score': 3 }, SYSTEM_ACTOR);
      const weak = await rejection(s.users.setPassword(u.id, 'password1234', SYSTEM_ACTOR));
      expect(weak.rule).to.equal('strength');
      expect(weak.message).to.match(/score \d of 4/).and.to.match(/common|guess|word/i);
      expect((await rejection(s.users.setPassword(u.id, 'hist-hist-hist', SYSTEM_ACTOR))).rule).to.equal('strength');
      await s.users.setPassword(u.id, 'correct horse battery staple 93!', SYSTEM_ACTOR);

      const rejected = await eventsOf('password_rejected');
      expect(rejected.map((e) => e.rule)).to.deep.equal(['min_length', 'history', 'history', 'strength', 'strength']);
      expect(JSON.stringify(rejected)).not.to.match(/password1234|first-password|second-password|abc"/);
    });

    it('a password set by an admin must be changed when password.change_after_reset is on; max_age_days expires it', async () => {
      const u = await s.users.create({ username: 'reset', password: 'first-password-1' }, SYSTEM_ACTOR);
      const ip = { clientIp: '192.0.2.1' };
      const attempt = () => s.auth.verifyCredentials({ username: 'reset', password: 'first-password-1', door: 'login' }, ip);
      let r = await attempt();
      expect(r.ok && r.password).to.deep.equal({ expired: false, mustChange: false, expiresIn: null });
      await s.settings.update({ 'password.change_after_reset': true, 'password.max_age_days': 30 }, SYSTEM_ACTOR);
      r = await attempt();
      expect(r.ok && r.password.mustChange).to.equal(false); // set before the setting was on
      await s.users.setPassword(u.id, 'admin-set-password-1', SYSTEM_ACTOR);
      r = await s.auth.verifyCredentials({ username: 'reset', password: 'admin-set-password-1', door: 'login' }, ip);
      expect(r.ok && r.password.mustChange).to.equal(true); // set by someone else
      expect(r.ok && r.password.expiresIn).to.be.within(30 * 86400 - 60, 30 * 86400);
      const self: Actor = { userId: u.id, username: 'reset' };
      await s.users.setPassword(u.id, 'second-password-2', self);
      r = await s.auth.verifyCredentials({ username: 'reset', password: 'second-password-2', door: 'login' }, ip);
      expect(r.ok && r.password.mustChange).to.equal(false);
      await tdb.db.knex('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 31 * 86_400_000).toISOString() });
      r = await s.auth.verifyCredentials({ username: 'reset', password: 'second-password-2', door: 'login' }, ip);
      expect(r.ok && r.password.expired).to.equal(true);
    });

    it('TOTP: enrol, confirm with a code computed from the secret, ±1 step, replay refused, recovery codes once', async () => {
      await awayFromStepEdge();
      const u = await s.users.create({ username: 'otp', password: 'otp-password-1' }, SYSTEM_ACTOR);
      const begun = await s.mfa.beginTotp(u, 'Phone');
      expect(begun.uri).to.match(/^otpauth:\/\/totp\/dirgate:otp\?/);
      expect(begun.qrSvg).to.match(/^<svg[\s\S]*<\/svg>\s*$/);
      expect(await s.mfa.required(u.id)).to.equal(false);
      const actor: Actor = { userId: u.id, username: 'otp' };
      const wrong = codeFor(begun.uri, Date.now() + 10 * 30_000);
      let threw = false;
      try { await s.mfa.confirmTotp(u, wrong, actor); } catch { threw = true; }
      expect(threw).to.equal(true);
      const { recoveryCodes } = await s.mfa.confirmTotp(u, codeFor(begun.uri, Date.now() - 30_000), actor);
      expect(recoveryCodes).to.have.length(10);
      expect(await s.mfa.required(u.id)).to.equal(true);
      const stored = await tdb.db.knex('mfa_recovery_codes').where({ user_id: u.id });
      expect(stored.map((r: { code_hash: string }) => r.code_hash)).not.to.include(recoveryCodes[0]);

      // The step used to confirm (now - 1) is spent; the current one works once; the next one (+1) too.
      expect(await s.mfa.verify(u.id, codeFor(begun.uri, Date.now() - 30_000))).to.equal(null);
      const now = codeFor(begun.uri);
      expect(await s.mfa.verify(u.id, now)).to.equal('totp');
      expect(await s.mfa.verify(u.id, now)).to.equal(null);
      expect(await s.mfa.verify(u.id, codeFor(begun.uri, Date.now() + 30_000))).to.equal('totp');
      expect(await s.mfa.verify(u.id, codeFor(begun.uri, Date.now() + 3 * 30_000))).to.equal(null);
      expect(await s.mfa.verify(u.id, recoveryCodes[0]!.toUpperCase())).to.equal('recovery_code');
      expect(await s.mfa.verify(u.id, recoveryCodes[0]!)).to.equal(null);

      const list = await s.artifacts.mfaAuthenticatorsOf(u.id);
      expect(list).to.have.length(1);
      expect(list[0]).to.include({ type: 'totp', name: 'Phone', confirmed: true });
      expect(list[0]!.lastUsedAt).to.be.instanceOf(Date);
      await s.artifacts.delete('mfa_authenticators', u.id, [list[0]!.id], SYSTEM_ACTOR);
      expect(await s.mfa.required(u.id)).to.equal(false);
      expect(await tdb.db.knex('mfa_recovery_codes').where({ user_id: u.id })).to.have.length(0);
      const names = (await tdb.db.knex('events').orderBy('seq')).map((e: { action: string }) => e.action);
      expect(names).to.include.members(['mfa_enrolled', 'mfa_failed', 'mfa_removed']);
      const all = JSON.stringify(await tdb.db.knex('events'));
      expect(all).not.to.include(new URL(begun.uri).searchParams.get('secret')!);
      expect(all).not.to.include(recoveryCodes[1]!);
    });

    it('sign-in asks for the code of an account with TOTP; a wrong code is a failure that counts toward lockout', async () => {
      await s.settings.update({ 'lockout.threshold': 3 }, SYSTEM_ACTOR);
      await awayFromStepEdge();
      const u = await s.users.create({ username: 'two', password: 'two-password-1' }, SYSTEM_ACTOR);
      const begun = await s.mfa.beginTotp(u, null);
      await s.mfa.confirmTotp(u, codeFor(begun.uri), { userId: u.id, username: 'two' });
      const ip = { clientIp: '192.0.2.7' };
      const base = { username: 'two', password: 'two-password-1', door: 'login' } as const;
      const missing = await s.auth.verifyCredentials({ ...base, mfa: 'required' }, ip);
      expect(!missing.ok && missing.reason).to.equal('mfa_required');
      expect((await s.auth.verifyCredentials({ ...base, mfa: 'optional' }, ip)).ok).to.equal(true);
      expect((await s.auth.verifyCredentials({ ...base, mfa: 'off', code: '000000' }, ip)).ok).to.equal(true);
      const bad = await s.auth.verifyCredentials({ ...base, mfa: 'required', code: '000000' }, ip);
      expect(!bad.ok && bad.reason).to.equal('mfa_failed');
      expect((await tdb.db.knex('users').where({ id: u.id }).first()).failed_logins).to.equal(1);
      const good = await s.auth.verifyCredentials({ ...base, mfa: 'required', code: codeFor(begun.uri, Date.now() + 30_000) }, ip);
      expect(good.ok && good.secondFactor).to.equal('totp');
      // password;123456 as an LDAP client sends it
      const split = await s.auth.verifyCredentials({ ...base, password: `two-password-1;${codeFor(begun.uri, Date.now() + 30_000)}`, mfa: 'required', codeInPassword: true }, ip);
      expect(!split.ok && split.reason).to.equal('mfa_failed'); // that step was just used: replay
    });
  });
}
