import { expect } from 'chai';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { awayFromStepEdge, codeFor } from '../support/totp.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';
import { scimClient, USER } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`admin API account security (TOTP, lockout, password policy) on ${dialect}`, function () {
    this.timeout(90_000);
    let server: BootedServer;
    let api: AdminClient;
    const knex = () => server.database.db.knex;
    const login = (body: Record<string, unknown>) => api.as(null).post('/auth/login', body);
    const events = async (action: string, userId: string) => knex()('events').where({ action, target_id: userId });

    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
    });
    after(async () => { await server?.stop(); });
    afterEach(async () => {
      await api.expect(200, 'PATCH', '/settings', {
        'lockout.threshold': 0, 'password.max_age_days': 0, 'password.min_length': 8, 'password.history': 0,
        'password.min_score': 0, 'login.throttle_count': 10,
      });
      await knex()('auth_throttle').delete();
    });

    it('describes every setting at GET /settings/schema and validates the new keys', async () => {
      const schema = await api.expect(200, 'GET', '/settings/schema');
      for (const k of ['password.min_length', 'password.history', 'password.max_age_days', 'lockout.threshold', 'lockout.duration',
        'login.throttle_window', 'login.throttle_count', 'mfa.ldap_bind', 'password.min_score']) {
        expect(schema[k], k).to.include.keys('type', 'default', 'description');
      }
      expect(schema['mfa.ldap_bind'].enum).to.deep.equal(['off', 'optional', 'required']);
      expectProblem(await api.patch('/settings', { 'mfa.ldap_bind': 'sometimes', 'lockout.threshold': -1 }), 400, ['mfa.ldap_bind', 'lockout.threshold']);
      const changed = await api.expect(200, 'PATCH', '/settings', { 'lockout.threshold': 5 });
      expect(changed['lockout.threshold']).to.equal(5);
      const ev = (await knex()('events').where({ action: 'settings_changed' }).orderBy('seq', 'desc').first());
      expect(JSON.stringify(ev.context)).to.include('lockout.threshold');
    });

    it('enrols TOTP from /me, asks for the code at sign-in, refuses a replay, takes a recovery code once; the tab lists the device and an admin deletes it', async () => {
      await awayFromStepEdge();
      const u = await api.expect(201, 'POST', '/users', { username: 'mfa-user', password: 'mfa-password-1' });
      const first = await login({ username: 'mfa-user', password: 'mfa-password-1' });
      expect(first.status).to.equal(200);
      const me = api.as(first.body.token);
      const begun = await me.expect(200, 'POST', '/me/mfa/totp', { name: 'Work phone' });
      expect(begun.uri).to.match(/^otpauth:\/\/totp\//);
      expect(begun.qr_svg).to.match(/^<svg/);
      expectProblem(await me.post('/me/mfa/totp/confirm', { code: '000000' }), 400, ['code']);
      const { recovery_codes: codes } = await me.expect(200, 'POST', '/me/mfa/totp/confirm', { code: codeFor(begun.uri, Date.now() - 30_000) });
      expect(codes).to.have.length(10);

      const noCode = await login({ username: 'mfa-user', password: 'mfa-password-1' });
      expectProblem(noCode, 401);
      expect(noCode.body.reason).to.equal('mfa_required');
      const wrong = await login({ username: 'mfa-user', password: 'mfa-password-1', code: '123456' === codeFor(begun.uri) ? '654321' : '123456' });
      expect(wrong.body.reason).to.equal('mfa_failed');
      const badPassword = await login({ username: 'mfa-user', password: 'nope', code: codeFor(begun.uri) });
      expect(badPassword.body.reason).to.equal('invalid_credentials');
      const code = codeFor(begun.uri);
      expect((await login({ username: 'mfa-user', password: 'mfa-password-1', code })).status).to.equal(200);
      const replay = await login({ username: 'mfa-user', password: 'mfa-password-1', code });
      expect(replay.status).to.equal(401);
      expect(replay.body.reason).to.equal('mfa_failed');
      expect((await login({ username: 'mfa-user', password: 'mfa-password-1', code: codes[3] })).status).to.equal(200);
      expect((await login({ username: 'mfa-user', password: 'mfa-password-1', code: codes[3] })).status).to.equal(401);

      const tab = await api.expect(200, 'GET', `/users/${u.id}/mfa_authenticators`);
      expect(tab.results).to.have.length(1);
      expect(tab.results[0]).to.include({ type: 'totp', name: 'Work phone', confirmed: true });
      expect(Date.parse(tab.results[0].last_used)).to.be.greaterThan(Date.now() - 60_000);
      await api.expect(204, 'DELETE', `/users/${u.id}/mfa_authenticators/${tab.results[0].id}`);
      expect((await login({ username: 'mfa-user', password: 'mfa-password-1' })).status).to.equal(200);
      for (const action of ['mfa_enrolled', 'mfa_failed', 'mfa_removed']) expect(await events(action, u.id), action).to.have.length.greaterThan(0);
      const all = JSON.stringify(await knex()('events').where({ target_id: u.id }));
      expect(all).not.to.include(new URL(begun.uri).searchParams.get('secret')!);
      expect(all).not.to.include(codes[3]);
    });

    it('locks after lockout.threshold failed logins (answered like a wrong password), shows locked_until, unlocks', async () => {
      await api.expect(200, 'PATCH', '/settings', { 'lockout.threshold': 3, 'lockout.duration': 0 });
      const u = await api.expect(201, 'POST', '/users', { username: 'locked-user', password: 'locked-password-1' });
      const wrong = await login({ username: 'locked-user', password: 'wrong' });
      for (let i = 0; i < 2; i++) await login({ username: 'locked-user', password: 'wrong' });
      const right = await login({ username: 'locked-user', password: 'locked-password-1' });
      expect(right.status).to.equal(401);
      expect(right.body.detail).to.equal(wrong.body.detail);
      expect(right.body.reason).to.equal(wrong.body.reason);
      const shown = await api.expect(200, 'GET', `/users/${u.id}`);
      expect(Date.parse(shown.locked_until)).to.be.greaterThan(Date.now() + 86_400_000);
      expect(await events('account_locked', u.id)).to.have.length(1);
      const plain = await api.expect(201, 'POST', '/users', { username: 'plain-user' });
      const unlocker = await api.expect(201, 'POST', '/tokens', { user: plain.id });
      expectProblem(await api.as(unlocker.key).post(`/users/${u.id}/unlock`), 403);
      const unlocked = await api.expect(200, 'POST', `/users/${u.id}/unlock`);
      expect(unlocked.locked_until).to.equal(null);
      expect(await events('account_unlocked', u.id)).to.have.length(1);
      expect((await login({ username: 'locked-user', password: 'locked-password-1' })).status).to.equal(200);
    });

    it('50 concurrent wrong logins check at most login.throttle_count passwords', async () => {
      await api.expect(200, 'PATCH', '/settings', { 'login.throttle_count': 10 });
      const u = await api.expect(201, 'POST', '/users', { username: 'flooded', password: 'flooded-password-1' });
      const replies = await Promise.all(Array.from({ length: 50 }, (_, i) => login({ username: 'flooded', password: `guess-${i}` })));
      expect(replies.every((r) => r.status === 401)).to.equal(true);
      const checked = (await events('login_failed', u.id)).filter((e: { context: unknown }) =>
        (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).reason === 'wrong_password').length;
      expect(checked).to.be.at.most(10).and.at.least(1);
      expect(replies.filter((r) => r.body.reason === 'throttled')).to.have.length(50 - checked);
    });

    it('applies the password policy with the rule named: problem JSON, SCIM invalidValue; an expired password is replaced at sign-in', async () => {
      await api.expect(200, 'PATCH', '/settings', { 'password.min_length': 12, 'password.history': 2 });
      const u = await api.expect(201, 'POST', '/users', { username: 'policy-user', password: 'policy-password-1' });
      const short = await api.post(`/users/${u.id}/set_password`, { password: 'short' });
      expectProblem(short, 400, ['password']);
      expect(short.body.rule).to.equal('min_length');
      expect(short.body.detail).to.match(/password\.min_length/);
      const reused = await api.post(`/users/${u.id}/set_password`, { password: 'policy-password-1' });
      expect(reused.body.rule).to.equal('history');
      expectProblem(await api.post('/users', { username: 'weak-one', password: 'tiny' }), 400, ['password']);

      const scim = scimClient(server);
      const r = await scim.post('/Users', { schemas: [USER], userName: 'scim-weak', password: 'tiny' });
      expect(r.status).to.equal(400);
      expect(r.json.scimType).to.equal('invalidValue');
      expect(r.json.detail).to.match(/password\.min_length/);
      const ok = await scim.post('/Users', { schemas: [USER], userName: 'scim-strong', password: 'long-enough-password-1' });
      expect(ok.status).to.equal(201);
      const put = await scim.put(`/Users/${ok.json.id}`, { schemas: [USER], userName: 'scim-strong', password: 'long-enough-password-1' });
      expect(put.status).to.equal(400);
      expect(put.json.detail).to.match(/password\.history/);

      await api.expect(200, 'PATCH', '/settings', { 'password.max_age_days': 30 });
      await knex()('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 31 * 86_400_000).toISOString() });
      const expired = await login({ username: 'policy-user', password: 'policy-password-1' });
      expect(expired.status).to.equal(401);
      expect(expired.body.reason).to.equal('password_expired');
      const same = await login({ username: 'policy-user', password: 'policy-password-1', new_password: 'policy-password-1' });
      expect(same.status).to.equal(400);
      expect(same.body.rule).to.equal('history');
      const renewed = await login({ username: 'policy-user', password: 'policy-password-1', new_password: 'a-brand-new-password-2' });
      expect(renewed.status).to.equal(200);
      expect((await login({ username: 'policy-user', password: 'a-brand-new-password-2' })).status).to.equal(200);
      const rejected = await knex()('events').where({ action: 'password_rejected' });
      expect(rejected.length).to.be.at.least(4);
      expect(JSON.stringify(rejected)).not.to.match(/policy-password-1|tiny/);
    });
  });
}
