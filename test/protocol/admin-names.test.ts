import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';

/** DESIGN.md: wherever a path or body names a user or a group, its id or its name is accepted. */
for (const dialect of dialects()) {
  describe(`admin API: users and groups by id or name, and the search box's habits, on ${dialect}`, function () {
    this.timeout(60_000);
    let server: BootedServer;
    let api: AdminClient;
    let bobId: string;
    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
      const s = server.running.services;
      bobId = (await s.users.create({ username: 'bob', name: 'Bob Builder', email: 'bob@corp.example' }, SYSTEM_ACTOR)).id;
      await s.users.create({ username: 'ann', name: 'Ann Lee', email: 'ann@other.example' }, SYSTEM_ACTOR);
      await s.groups.create({ name: 'staff' }, SYSTEM_ACTOR);
    });
    after(async () => { await server?.stop(); });

    it('GET /users/{username} answers like /users/{id}; an unknown name is 404', async () => {
      const byName = await api.expect(200, 'GET', '/users/BOB');
      expect(byName.id).to.equal(bobId);
      expect((await api.expect(200, 'GET', `/users/${bobId}`)).username).to.equal('bob');
      expect((await api.expect(200, 'GET', '/users/bob/groups')).results).to.deep.equal([]);
      expectProblem(await api.get('/users/nobody'), 404);
    });

    it('adds and removes members, parents and bindings by name', async () => {
      await api.expect(200, 'POST', '/groups/staff/add_user', { user: 'bob' });
      expect((await api.expect(200, 'GET', '/users/bob/groups')).results.map((g: { name: string }) => g.name)).to.deep.equal(['staff']);
      const sales = await api.expect(201, 'POST', '/groups', { name: 'sales', parents: ['staff'] });
      const staff = await api.expect(200, 'GET', '/groups/staff');
      expect(sales.parents).to.deep.equal([staff.id]);
      expectProblem(await api.post('/groups', { name: 'x', parents: ['nosuch'] }), 400, ['parents']);
      await api.expect(200, 'POST', '/groups/staff/remove_user', { user: bobId });
      expectProblem(await api.post('/groups/staff/add_user', { user: 'nobody' }), 400, ['user']);

      await api.expect(201, 'POST', '/applications', { name: 'Wiki', slug: 'wiki' });
      const binding = await api.expect(201, 'POST', '/applications/wiki/bindings', { group: 'sales', order: 1 });
      expect(binding.group).to.equal(sales.id);
      const access = await api.expect(200, 'GET', '/applications/wiki/check_access?user=bob');
      expect(access.passing).to.equal(false);
    });

    it('plain text searches username, name and email; lowercase false says True/False', async () => {
      const bob = await api.expect(200, 'GET', `/users?search=${encodeURIComponent('builder')}`);
      expect(bob.results.map((u: { username: string }) => u.username)).to.deep.equal(['bob']);
      const other = await api.expect(200, 'GET', `/users?search=${encodeURIComponent('other.example')}`);
      expect(other.results.map((u: { username: string }) => u.username)).to.deep.equal(['ann']);
      const bad = await api.get(`/users?search=${encodeURIComponent('is_active = false')}`);
      expectProblem(bad, 400, ['search']);
      expect(bad.body.column).to.equal(13);
      expect(bad.body.errors.search).to.equal('expected a value after "=" at column 13: write False (True, False and None are capitalised), not false');
    });

    it('reports a bad export ordering under ordering, not search', async () => {
      const r = await api.post('/users/export', { search: 'is_active = True', ordering: 'shoe_size' });
      expectProblem(r, 400, ['ordering']);
      expect(r.body.errors).not.to.have.property('search');
    });

    it('documents what the search box takes: the attribute. alias and every ordering field', async () => {
      const fields = await api.expect(200, 'GET', '/search/fields?entity=users');
      const attributes = fields.fields.find((f: { name: string }) => f.name === 'attributes.<key>');
      expect(attributes.aliases).to.deep.equal(['attribute.<key>']);
      expect(fields.ordering).to.include.members(['username', 'last_login', 'updated_at', 'external_id']);
      const doc = await api.expect(200, 'GET', '/schema');
      const groupOrdering = doc.paths['/groups'].get.parameters.find((p: { name: string }) => p.name === 'ordering');
      expect(groupOrdering.description).not.to.match(/last_login|username/);
      expect(doc.paths['/exports/{id}/download'].get.responses['200'].content).to.have.property('text/csv');
      expect(doc.paths['/exports/{id}/download'].get.responses).not.to.have.property('204');
    });
  });
}
