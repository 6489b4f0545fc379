import { expect } from 'chai';
import { SYSTEM_ACTOR, type User } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { api, eventsOf, login, makeUser } from './ext-support.js';

for (const dialect of dialects()) {
  describe(`impersonation on ${dialect}`, function () {
    let server: BootedServer;
    let admin: User, helpdesk: User, target: User, otherSuper: User, bystander: User;
    let helpdeskToken: string, plainToken: string;

    before(async () => {
      server = await bootServer(dialect);
      const { services } = server.running;
      admin = (await services.users.findByUsername('admin'))!;
      helpdesk = await makeUser(server, 'helpdesk', { password: 'helpdesk-password', permissions: ['user.impersonate', 'user.view'] });
      target = await makeUser(server, 'target', { password: 'target-password', permissions: ['user.set_password'] });
      bystander = await makeUser(server, 'bystander');
      await makeUser(server, 'plain', { password: 'plain-password' });
      otherSuper = await makeUser(server, 'root2', { password: 'root2-password' });
      const admins = (await services.groups.findByName('admins'))!;
      await services.groups.changeMembers(admins.id, { addUsers: [otherSuper.id] }, SYSTEM_ACTOR);
      helpdeskToken = await login(server, 'helpdesk', 'helpdesk-password');
      plainToken = await login(server, 'plain', 'plain-password');
    });
    after(async () => { await server.stop(); });

    const setSettings = (patch: Record<string, unknown>) => server.running.services.settings.update(patch, SYSTEM_ACTOR);

    it('gives a session acting as the user; /me shows both; actions record both people; impersonate_end ends it', async () => {
      const r = await api(server, 'POST', `/users/${target.id}/impersonate`, server.token, { reason: 'ticket #42: cannot see the wiki' });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.token).to.be.a('string');
      const token = r.json.token as string;

      const me = await api(server, 'GET', '/me', token);
      expect(me.status).to.equal(200);
      expect(me.json.user.username).to.equal('target');
      expect(me.json.original.username).to.equal('admin');
      const adminMe = await api(server, 'GET', '/me', server.token);
      expect(adminMe.json.original).to.equal(null);

      // An action while impersonating: the event names the user and the admin behind it.
      const changed = await api(server, 'POST', `/users/${bystander.id}/set_password`, token, { password: 'a-new-password-1' });
      expect(changed.status, changed.text).to.equal(204);
      const event = (await eventsOf(server, 'password_set')).at(-1)!;
      expect(event.target_id).to.equal(bystander.id);
      expect(event.actor_id).to.equal(target.id);
      expect(event.impersonator_id).to.equal(admin.id);
      expect(event.impersonator_username).to.equal('admin');

      const started = (await eventsOf(server, 'impersonation_started')).at(-1)!;
      expect(started.actor_id).to.equal(admin.id);
      expect(started.target_id).to.equal(target.id);
      expect((started.context as Record<string, unknown>).reason).to.equal('ticket #42: cannot see the wiki');

      const end = await api(server, 'POST', '/auth/impersonate_end', token);
      expect(end.status, end.text).to.equal(204);
      const ended = (await eventsOf(server, 'impersonation_ended')).at(-1)!;
      expect(ended.actor_id).to.equal(target.id);
      expect(ended.impersonator_id).to.equal(admin.id);
      expect((ended.context as Record<string, unknown>).reason).to.equal('ticket #42: cannot see the wiki');
      expect((await api(server, 'GET', '/me', token)).status).to.equal(401);
    });

    it('impersonate_end outside an impersonation is a 400', async () => {
      const r = await api(server, 'POST', '/auth/impersonate_end', server.token);
      expect(r.status).to.equal(400);
    });

    it('refuses when the setting is off (403)', async () => {
      await setSettings({ 'impersonation.enabled': false });
      try {
        const r = await api(server, 'POST', `/users/${target.id}/impersonate`, server.token, { reason: 'x' });
        expect(r.status).to.equal(403);
        expect(r.json.detail).to.match(/turned off/);
      } finally {
        await setSettings({ 'impersonation.enabled': true });
      }
    });

    it('refuses without a reason when one is required (400), allows it when not', async () => {
      for (const body of [{}, { reason: '' }, { reason: '   ' }]) {
        const r = await api(server, 'POST', `/users/${target.id}/impersonate`, server.token, body);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(r.json.errors).to.have.property('reason');
      }
      await setSettings({ 'impersonation.require_reason': false });
      try {
        const r = await api(server, 'POST', `/users/${target.id}/impersonate`, server.token, {});
        expect(r.status, r.text).to.equal(200);
        await api(server, 'POST', '/auth/impersonate_end', r.json.token);
      } finally {
        await setSettings({ 'impersonation.require_reason': true });
      }
    });

    it('refuses a caller without user.impersonate (403)', async () => {
      const r = await api(server, 'POST', `/users/${target.id}/impersonate`, plainToken, { reason: 'x' });
      expect(r.status).to.equal(403);
      expect(r.json.permission).to.equal('user.impersonate');
    });

    it('refuses impersonating yourself (403)', async () => {
      const r = await api(server, 'POST', `/users/${admin.id}/impersonate`, server.token, { reason: 'x' });
      expect(r.status).to.equal(403);
      expect(r.json.detail).to.match(/yourself/);
    });

    it('refuses a non-superuser impersonating a superuser (403); a superuser may', async () => {
      const r = await api(server, 'POST', `/users/${otherSuper.id}/impersonate`, helpdeskToken, { reason: 'x' });
      expect(r.status).to.equal(403);
      expect(r.json.detail).to.match(/superuser/);
      const ok = await api(server, 'POST', `/users/${target.id}/impersonate`, helpdeskToken, { reason: 'helpdesk ticket' });
      expect(ok.status, ok.text).to.equal(200);
      await api(server, 'POST', '/auth/impersonate_end', ok.json.token);
      const su = await api(server, 'POST', `/users/${otherSuper.id}/impersonate`, server.token, { reason: 'audit' });
      expect(su.status, su.text).to.equal(200);
      // No nesting: an impersonation session cannot start another one, even as a superuser.
      const nested = await api(server, 'POST', `/users/${target.id}/impersonate`, su.json.token, { reason: 'x' });
      expect(nested.status).to.equal(403);
      await api(server, 'POST', '/auth/impersonate_end', su.json.token);
    });

    it('answers 404 for an unknown user and 401 without a token', async () => {
      expect((await api(server, 'POST', '/users/00000000-0000-4000-8000-000000000000/impersonate', server.token, { reason: 'x' })).status).to.equal(404);
      expect((await api(server, 'POST', `/users/${target.id}/impersonate`, null, { reason: 'x' })).status).to.equal(401);
    });

    it('ends the impersonation at once when the admin is deactivated', async () => {
      const r = await api(server, 'POST', `/users/${target.id}/impersonate`, helpdeskToken, { reason: 'check' });
      expect(r.status).to.equal(200);
      await server.running.services.users.update(helpdesk.id, { isActive: false }, SYSTEM_ACTOR);
      expect((await api(server, 'GET', '/me', r.json.token)).status).to.equal(401);
    });
  });
}
