import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, type AdminClient } from './admin-support.js';

/** Names and semantics a newcomer relies on: settings keys, event contexts, attribute patches. */
for (const dialect of dialects()) {
  describe(`admin API conventions on ${dialect}`, function () {
    this.timeout(60_000);
    let server: BootedServer;
    let api: AdminClient;
    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
    });
    after(async () => { await server?.stop(); });

    it('records changes with the API\'s field names', async () => {
      const u = await api.expect(201, 'POST', '/users', { username: 'eve' });
      await api.expect(200, 'PATCH', `/users/${u.id}`, { is_active: false });
      const events = await api.expect(200, 'GET', `/users/${u.id}/events`);
      const updated = events.results.find((e: { action: string }) => e.action === 'user_updated');
      expect(updated.context.changed).to.deep.equal({ is_active: false });
      const g = await api.expect(201, 'POST', '/groups', { name: 'auditors', is_superuser: false });
      const gEvents = await api.expect(200, 'GET', `/events?action=group_created`);
      const created = gEvents.results.find((e: { target_id: string }) => e.target_id === g.id);
      expect(created.context.changed).to.have.property('is_superuser', false);
      expect(JSON.stringify(created.context)).not.to.match(/isSuperuser|isActive/);
    });

    it('shows group membership changes among the user\'s own events', async () => {
      const s = server.running.services;
      const u = await s.users.create({ username: 'mallory' }, SYSTEM_ACTOR);
      await api.expect(201, 'POST', '/groups', { name: 'ops' });
      await api.expect(200, 'POST', '/groups/ops/add_user', { user: 'mallory' });
      await api.expect(200, 'POST', '/groups/ops/remove_user', { user: 'mallory' });
      const events = await api.expect(200, 'GET', `/users/${u.id}/events`);
      const actions = events.results.map((e: { action: string }) => e.action);
      expect(actions).to.include.members(['group_membership_added', 'group_membership_removed']);
      const added = events.results.find((e: { action: string }) => e.action === 'group_membership_added');
      expect(added.context).to.include({ group: 'ops' });
    });

    it('replaces attributes with application/json and merges them with application/merge-patch+json (RFC 7396)', async () => {
      const u = await api.expect(201, 'POST', '/users', { username: 'trent', attributes: { dept: 'Sales', office: { city: 'Oslo', floor: 3 }, tags: ['a'] } });
      const merged = await api.call('PATCH', `/users/${u.id}`, undefined, {
        raw: JSON.stringify({ attributes: { office: { floor: null, desk: 'B2' }, tags: ['b'], title: 'Lead' } }),
        headers: { 'content-type': 'application/merge-patch+json' },
      });
      expect(merged.status, JSON.stringify(merged.body)).to.equal(200);
      expect(merged.body.attributes).to.deep.equal({ dept: 'Sales', office: { city: 'Oslo', desk: 'B2' }, tags: ['b'], title: 'Lead' });
      const replaced = await api.expect(200, 'PATCH', `/users/${u.id}`, { attributes: { only: 1 } });
      expect(replaced.attributes).to.deep.equal({ only: 1 });
      const doc = await api.expect(200, 'GET', '/schema');
      expect(doc.paths['/users/{id}'].patch.requestBody.content).to.have.all.keys('application/json', 'application/merge-patch+json');
    });
  });
}
