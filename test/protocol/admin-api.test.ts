import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';

for (const dialect of dialects()) {
  describe(`admin API on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let api: AdminClient;

    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
    });
    after(async () => { await server?.stop(); });

    /** A user with an API token and the given permissions (through a role). */
    async function userWith(username: string, permissions: string[] = []): Promise<{ id: string; client: AdminClient }> {
      const s = server.running.services;
      const u = await s.users.create({ username, password: 'password-123' }, SYSTEM_ACTOR);
      if (permissions.length > 0) {
        const role = await s.roles.create({ name: `role-${username}`, permissions }, SYSTEM_ACTOR);
        await s.roles.assign({ userId: u.id }, role.id, true, SYSTEM_ACTOR);
      }
      const { key } = await s.auth.createToken(u.id, { description: 'test' }, SYSTEM_ACTOR);
      return { id: u.id, client: api.as(key) };
    }

    describe('authentication', () => {
      it('logs in, answers /me, logs out; the session then stops working', async () => {
        const login = await api.as(null).expect(200, 'POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
        expect(login.token).to.match(/^dgs_/);
        expect(Date.parse(login.expires)).to.be.greaterThan(Date.now());
        const session = api.as(login.token);
        const me = await session.expect(200, 'GET', '/me');
        expect(me.user.username).to.equal('admin');
        expect(me.original).to.equal(null);
        expect(me.user).to.not.have.any.keys('password', 'password_hash', 'passwordHash');
        await session.expect(204, 'POST', '/auth/logout');
        expectProblem(await session.get('/me'), 401);
        const events = await api.expect(200, 'GET', `/events?user=${me.user.id}&action=login`);
        expect(events.results.length).to.be.greaterThan(0);
      });

      it('refuses bad credentials with 401 and records login_failed', async () => {
        expectProblem(await api.as(null).post('/auth/login', { username: 'admin', password: 'wrong' }), 401);
        expectProblem(await api.as(null).post('/auth/login', { username: 'nobody-here', password: 'wrong' }), 401);
        const events = await api.expect(200, 'GET', '/events?action=login_failed');
        expect(events.pagination.count).to.be.at.least(2);
      });

      it('answers 401 with WWW-Authenticate for a missing, unknown or malformed token', async () => {
        for (const client of [api.as(null), api.as('dgt_nope'), api.as('')]) {
          const r = await client.get('/users');
          expectProblem(r, 401);
          expect(r.headers.get('www-authenticate')).to.match(/^Bearer realm="dirgate"/);
        }
        expect((await api.as(null).get('/me')).headers.get('www-authenticate')).to.equal('Bearer realm="dirgate"');
        const r = await fetch(`${server.http}/api/v1/me`, { headers: { authorization: 'Basic YWRtaW46eA==' } });
        expect(r.status).to.equal(401);
      });

      it('answers 401 for an expired token', async () => {
        const s = server.running.services;
        const { id } = await userWith('expiring');
        const { key } = await s.auth.createToken(id, { expiresAt: new Date(Date.now() - 1000) }, SYSTEM_ACTOR);
        const r = await api.as(key).get('/me');
        expectProblem(r, 401);
        expect(r.body.detail).to.match(/expired/);
        expect(r.headers.get('www-authenticate')).to.match(/error="invalid_token"/);
      });

      it('never crashes on odd input: repeated parameters, arrays for bodies, oversized queries', async () => {
        expectProblem(await api.get('/users?page=1&page=2'), 400, ['page']);
        expectProblem(await api.get('/users?search=a&search=b'), 400, ['search']);
        expectProblem(await api.call('POST', '/users', undefined, { raw: '[1, 2]' }), 400);
        expectProblem(await api.call('POST', '/users', undefined, { raw: '"just a string"' }), 400);
        expectProblem(await api.get(`/users?search=${encodeURIComponent(`username = "${'x'.repeat(10000)}"`)}`), 400);
        expectProblem(await api.get(`/users?search=${encodeURIComponent('('.repeat(200) + 'username = "a"' + ')'.repeat(200))}`), 400);
        expectProblem(await api.patch('/users/00000000-0000-4000-8000-000000000000', { name: 'x' }), 404);
        await api.expect(200, 'GET', '/me');
      });

      it('refuses malformed JSON and unknown fields with 400 problem JSON', async () => {
        expectProblem(await api.call('POST', '/users', undefined, { raw: '{"username": ' }), 400);
        expectProblem(await api.post('/auth/login', { username: 'admin' }), 400, ['password']);
        expectProblem(await api.post('/users', { username: 'x1', colour: 'red' }), 400, ['colour']);
      });

      it('throttles logins like LDAP binds', async () => {
        await api.expect(200, 'PATCH', '/settings', { 'login.throttle_count': 3 });
        await userWith('throttled');
        for (let i = 0; i < 3; i++) expectProblem(await api.as(null).post('/auth/login', { username: 'throttled', password: 'nope' }), 401);
        const r = await api.as(null).post('/auth/login', { username: 'throttled', password: 'password-123' });
        expectProblem(r, 401);
        expect(r.body.detail).to.match(/too many/);
        await api.expect(200, 'PATCH', '/settings', { 'login.throttle_count': 10 });
      });
    });

    describe('API tokens', () => {
      it('creates (key once), lists, uses and deletes own tokens without any permission', async () => {
        const { id, client } = await userWith('tok-owner');
        const created = await client.expect(201, 'POST', '/tokens', { description: 'ci', expires: new Date(Date.now() + 3600e3).toISOString() });
        expect(created.key).to.match(/^dgt_/);
        expect(created.user).to.equal(id);
        const list = await client.expect(200, 'GET', '/tokens');
        expect(list.results.map((t: { id: string }) => t.id)).to.include(created.id);
        expect(list.results.every((t: object) => !('key' in t))).to.equal(true);
        await api.as(created.key).expect(200, 'GET', '/me');
        await client.expect(200, 'GET', `/tokens/${created.id}`);
        await client.expect(204, 'DELETE', `/tokens/${created.id}`);
        expectProblem(await api.as(created.key).get('/me'), 401);
        expectProblem(await client.post('/tokens', { expires: '2001-01-01T00:00:00Z' }), 400, ['expires']);
      });

      it("needs a permission for someone else's tokens", async () => {
        const a = await userWith('tok-a');
        const b = await userWith('tok-b');
        const t = await b.client.expect(201, 'POST', '/tokens', {});
        const r = await a.client.delete(`/tokens/${t.id}`);
        expectProblem(r, 403);
        expect(r.body.permission).to.equal('user.change');
        expectProblem(await a.client.get(`/tokens?user=${b.id}`), 403);
        expectProblem(await a.client.post('/tokens', { user: b.id }), 403);
        const forB = await api.expect(201, 'POST', '/tokens', { user: b.id, description: 'by admin' });
        expect(forB.user).to.equal(b.id);
        expect((await api.expect(200, 'GET', `/tokens?user=${b.id}`)).results).to.have.length(3);
        await api.expect(204, 'DELETE', `/tokens/${t.id}`);
        expectProblem(await api.delete(`/tokens/${t.id}`), 404);
      });
    });

    describe('users', () => {
      it('creates, gets, changes and deletes a user; never shows a password', async () => {
        const u = await api.expect(201, 'POST', '/users', {
          username: 'Carol', name: 'Carol C', email: 'carol@example.com', path: 'users/staff', password: 'password-123',
          attributes: 'team: blue\nlevel: 3\n',
        });
        expect(Object.keys(u).sort()).to.deep.equal(['attributes', 'date_joined', 'email', 'id', 'is_active', 'last_login', 'locked_until', 'name', 'path', 'type', 'username']);
        expect(u.attributes).to.deep.equal({ team: 'blue', level: 3 });
        expectProblem(await api.post('/users', { username: 'carol' }), 409);
        const got = await api.expect(200, 'GET', `/users/${u.id}`);
        expect(got).to.deep.equal(u);
        const changed = await api.expect(200, 'PATCH', `/users/${u.id}`, { name: 'Carol D', attributes: { team: 'red' }, type: 'external' });
        expect(changed).to.include({ name: 'Carol D', type: 'external' });
        expect(changed.attributes).to.deep.equal({ team: 'red' });
        await api.expect(204, 'POST', `/users/${u.id}/set_password`, { password: 'new-password-1' });
        await api.as(null).expect(200, 'POST', '/auth/login', { username: 'carol', password: 'new-password-1' });
        expectProblem(await api.post(`/users/${u.id}/set_password`, { password: 'x' }), 400, ['password']);
        await api.expect(204, 'DELETE', `/users/${u.id}`);
        expectProblem(await api.get(`/users/${u.id}`), 404);
        expectProblem(await api.delete(`/users/${u.id}`), 404);
        expectProblem(await api.get('/users/not-a-uuid'), 404);
      });

      it('names every bad field in one 400', async () => {
        const r = await api.post('/users', { username: ' x ', email: 'nope', path: 'a//b', type: 'robot', attributes: 'a: [' });
        expectProblem(r, 400, ['type']);
        const r2 = await api.post('/users', { username: ' x ', email: 'nope', path: 'a//b', attributes: 'a: [' });
        expectProblem(r2, 400, ['username', 'email', 'path', 'attributes']);
        expectProblem(await api.patch(`/users/${(await userWith('patchy')).id}`, { is_active: 'no' }), 400, ['is_active']);
      });

      it('lists with search, ordering, pages and folders; bad queries are 400 with a column', async () => {
        for (const [username, path, active] of [['srch-ann', 'corp/eng', true], ['srch-bob', 'corp/eng/web', true], ['srch-cid', 'corp/ops', false], ['srch-dee', 'corp', true]] as const) {
          await api.expect(201, 'POST', '/users', { username, path, is_active: active, email: `${username}@example.com` });
        }
        const all = await api.expect(200, 'GET', `/users?search=${encodeURIComponent('username startswith "srch-"')}&ordering=-username&page_size=3`);
        expect(all.results.map((u: { username: string }) => u.username)).to.deep.equal(['srch-dee', 'srch-cid', 'srch-bob']);
        expect(all.pagination).to.deep.equal({ count: 4, page: 1, page_size: 3, next: 2 });
        const page2 = await api.expect(200, 'GET', `/users?search=${encodeURIComponent('username startswith "srch-"')}&ordering=-username&page_size=3&page=2`);
        expect(page2.results.map((u: { username: string }) => u.username)).to.deep.equal(['srch-ann']);
        expect(page2.pagination.next).to.equal(null);
        const inactive = await api.expect(200, 'GET', `/users?search=${encodeURIComponent('is_active = False and username ~ "srch"')}`);
        expect(inactive.results.map((u: { username: string }) => u.username)).to.deep.equal(['srch-cid']);
        const folder = await api.expect(200, 'GET', '/users?path=corp/eng&ordering=username');
        expect(folder.results.map((u: { username: string }) => u.username)).to.deep.equal(['srch-ann']);
        const tree = await api.expect(200, 'GET', '/users?path=corp/eng&subfolders=true&ordering=username');
        expect(tree.results.map((u: { username: string }) => u.username)).to.deep.equal(['srch-ann', 'srch-bob']);
        const bad = await api.get(`/users?search=${encodeURIComponent('username = "a" and')}`);
        expectProblem(bad, 400, ['search']);
        expect(bad.body.column).to.be.a('number');
        const unknown = await api.get(`/users?search=${encodeURIComponent('colour = "red"')}`);
        expectProblem(unknown, 400, ['search']);
        expect(unknown.body.column).to.equal(1);
        expectProblem(await api.get('/users?ordering=shoe_size'), 400, ['ordering']);
        expectProblem(await api.get('/users?page=0'), 400, ['page']);
        expectProblem(await api.get('/users?page_size=100000'), 400, ['page_size']);
      });

      it('returns the folder tree with counts', async () => {
        const body = await api.expect(200, 'GET', '/users/paths');
        const corp = body.tree.find((n: { name: string }) => n.name === 'corp');
        expect(corp).to.include({ path: 'corp', count: 1, total: 4 });
        const eng = corp.children.find((n: { name: string }) => n.name === 'eng');
        expect(eng).to.include({ count: 1, total: 2 });
        expect(body.paths).to.deep.include({ path: 'corp/ops', count: 1 });
      });

      it('describes the search fields for an auto-complete box', async () => {
        const users = await api.expect(200, 'GET', '/search/fields?entity=users');
        expect(users.fields.map((f: { name: string }) => f.name)).to.include.members(['username', 'email', 'groups.name']);
        const groups = await api.expect(200, 'GET', '/search/fields?entity=groups');
        expect(groups.fields.map((f: { name: string }) => f.name)).to.include('parent.name');
        expectProblem(await api.get('/search/fields?entity=cats'), 400, ['entity']);
      });

      it('bulk-deletes all or nothing', async () => {
        const ids: string[] = [];
        for (const n of ['bulk-1', 'bulk-2', 'bulk-3']) ids.push((await api.expect(201, 'POST', '/users', { username: n })).id);
        expectProblem(await api.post('/users/bulk_delete', { ids: [...ids, '00000000-0000-4000-8000-000000000000'] }), 404);
        for (const id of ids) await api.expect(200, 'GET', `/users/${id}`);
        expect(await api.expect(200, 'POST', '/users/bulk_delete', { ids })).to.deep.equal({ deleted: 3 });
        for (const id of ids) expectProblem(await api.get(`/users/${id}`), 404);
        expectProblem(await api.post('/users/bulk_delete', { ids: [] }), 400, ['ids']);
      });
    });

    describe('user tabs', () => {
      it('lists and ends sessions: one, several, all', async () => {
        const { id } = await userWith('sess-user');
        const tokens: string[] = [];
        for (let i = 0; i < 4; i++) tokens.push((await api.as(null).expect(200, 'POST', '/auth/login', { username: 'sess-user', password: 'password-123' })).token);
        const mine = api.as(tokens[0]!);
        const list = await mine.expect(200, 'GET', `/users/${id}/sessions`);
        expect(list.results).to.have.length(4);
        expect(list.results.filter((s: { current: boolean }) => s.current)).to.have.length(1);
        const ids = list.results.map((s: { id: string }) => s.id) as string[];
        const other = ids.find((x) => !list.results.find((s: { id: string; current: boolean }) => s.id === x && s.current))!;
        await mine.expect(204, 'DELETE', `/sessions/${other}`);
        const rest = ids.filter((x) => x !== other);
        const current = list.results.find((s: { current: boolean }) => s.current).id;
        const several = rest.filter((x) => x !== current).slice(0, 2);
        expect(await api.expect(200, 'POST', `/users/${id}/sessions/bulk_delete`, { ids: several })).to.deep.equal({ deleted: 2 });
        expect((await mine.expect(200, 'GET', `/users/${id}/sessions`)).results).to.have.length(1);
        expect(await api.expect(200, 'DELETE', `/users/${id}/sessions`)).to.deep.equal({ deleted: 1 });
        expectProblem(await mine.get('/me'), 401);
        expectProblem(await api.delete(`/sessions/${other}`), 404);
      });

      it('lists groups, adds to one, creates-and-adds, removes', async () => {
        const { id } = await userWith('tab-groups');
        const g = await api.expect(201, 'POST', '/groups', { name: 'tab-existing' });
        await api.expect(200, 'POST', `/users/${id}/groups`, { group: g.id });
        const created = await api.expect(201, 'POST', `/users/${id}/groups/create`, { name: 'tab-new', parents: [g.id] });
        expect(created.parents).to.deep.equal([g.id]);
        const list = await api.expect(200, 'GET', `/users/${id}/groups`);
        expect(list.results.map((x: { name: string }) => x.name)).to.deep.equal(['tab-existing', 'tab-new']);
        await api.expect(204, 'DELETE', `/users/${id}/groups/${g.id}`);
        expectProblem(await api.delete(`/users/${id}/groups/${g.id}`), 404);
        expectProblem(await api.post(`/users/${id}/groups`, { group: '00000000-0000-4000-8000-000000000000' }), 400, ['group']);
        expectProblem(await api.post(`/users/${id}/groups/create`, { name: 'tab-new' }), 409);
        expect((await api.expect(200, 'GET', `/users/${id}/groups`)).results).to.have.length(1);
      });

      it('lists assigned and inherited roles (nested groups) and assigns/unassigns', async () => {
        const { id } = await userWith('tab-roles');
        const direct = await api.expect(201, 'POST', '/roles', { name: 'tab-direct', permissions: ['user.view'] });
        const inherited = await api.expect(201, 'POST', '/roles', { name: 'tab-inherited', permissions: ['group.view'] });
        const parent = await api.expect(201, 'POST', '/groups', { name: 'tab-parent' });
        const child = await api.expect(201, 'POST', '/groups', { name: 'tab-child', parents: [parent.id] });
        await api.expect(204, 'POST', `/groups/${parent.id}/roles`, { role: inherited.id });
        await api.expect(200, 'POST', `/groups/${child.id}/add_user`, { user: id });
        await api.expect(204, 'POST', `/users/${id}/roles`, { role: 'tab-direct' });
        const assigned = await api.expect(200, 'GET', `/users/${id}/roles`);
        expect(assigned.results.map((r: { name: string }) => r.name)).to.deep.equal(['tab-direct']);
        const all = await api.expect(200, 'GET', `/users/${id}/roles?inherited=true`);
        expect(all.results).to.deep.include({ ...direct, assigned: true, group: null });
        expect(all.results).to.deep.include({ ...inherited, assigned: false, group: { id: parent.id, name: 'tab-parent' } });
        await api.expect(204, 'DELETE', `/users/${id}/roles/${direct.id}`);
        expectProblem(await api.delete(`/users/${id}/roles/${direct.id}`), 404);
        expectProblem(await api.post(`/users/${id}/roles`, { role: 'no-such-role' }), 400, ['role']);
      });

      it("lists the user's events", async () => {
        const { id } = await userWith('tab-events');
        await api.expect(200, 'PATCH', `/users/${id}`, { name: 'Renamed' });
        const ev = await api.expect(200, 'GET', `/users/${id}/events`);
        expect(ev.results.map((e: { action: string }) => e.action)).to.include.members(['user_created', 'user_updated', 'token_created']);
        const only = await api.expect(200, 'GET', `/users/${id}/events?action=user_updated`);
        expect(only.results).to.have.length(1);
        expect(only.results[0].target_id).to.equal(id);
      });

      it('lists and deletes consents, OAuth refresh tokens and MFA authenticators', async () => {
        const { id } = await userWith('tab-artifacts');
        const s = server.running.services;
        const app = await s.access.createApplication({ name: 'Wiki', slug: 'wiki-art' }, SYSTEM_ACTOR);
        const seeded = [];
        for (let i = 0; i < 2; i++) {
          seeded.push(await s.artifacts.seed(id, {
            consent: { applicationId: app.id, permissions: 'openid profile' },
            refreshToken: { token: `rt-${i}-${Math.random()}`, applicationId: app.id, scope: 'openid' },
            mfa: { type: 'totp', name: `phone ${i}` },
          }));
        }
        for (const [kind, key] of [['consents', 'consent'], ['oauth_refresh_tokens', 'refreshToken'], ['mfa_authenticators', 'mfa']] as const) {
          const list = await api.expect(200, 'GET', `/users/${id}/${kind}`);
          expect(list.results).to.have.length(2);
          await api.expect(204, 'DELETE', `/users/${id}/${kind}/${seeded[0]![key]}`);
          expectProblem(await api.delete(`/users/${id}/${kind}/${seeded[0]![key]}`), 404);
          expect(await api.expect(200, 'DELETE', `/users/${id}/${kind}`)).to.deep.equal({ deleted: 1 });
          expect((await api.expect(200, 'GET', `/users/${id}/${kind}`)).results).to.have.length(0);
        }
        const consent = (await api.expect(200, 'GET', '/events?action=consent_revoked')).results;
        expect(consent.length).to.equal(2);
        expectProblem(await api.get('/users/00000000-0000-4000-8000-000000000000/consents'), 404);
      });
    });

    describe('groups', () => {
      it('creates, lists with the query language, changes, refuses cycles with 400, deletes', async () => {
        const a = await api.expect(201, 'POST', '/groups', { name: 'grp-a', attributes: { site: 'x' } });
        const b = await api.expect(201, 'POST', '/groups', { name: 'grp-b', parents: [a.id] });
        const c = await api.expect(201, 'POST', '/groups', { name: 'grp-c', parents: [b.id], is_superuser: false });
        expectProblem(await api.post('/groups', { name: 'GRP-A' }), 409);
        expectProblem(await api.patch(`/groups/${a.id}`, { parents: [c.id] }), 400, ['parents']);
        expectProblem(await api.patch(`/groups/${a.id}`, { parents: [a.id] }), 400, ['parents']);
        expectProblem(await api.patch(`/groups/${a.id}`, { parents: ['00000000-0000-4000-8000-000000000000'] }), 400, ['parents']);
        const list = await api.expect(200, 'GET', `/groups?search=${encodeURIComponent('parent.name = "grp-a" or name = "grp-c"')}&ordering=name`);
        expect(list.results.map((g: { name: string }) => g.name)).to.deep.equal(['grp-b', 'grp-c']);
        expectProblem(await api.get(`/groups?search=${encodeURIComponent('name ==')}`), 400, ['search']);
        const su = await api.expect(200, 'PATCH', `/groups/${c.id}`, { is_superuser: true, name: 'grp-c2' });
        expect(su).to.include({ is_superuser: true, name: 'grp-c2' });
        expect(su.parents).to.deep.equal([b.id]);
        await api.expect(204, 'DELETE', `/groups/${b.id}`);
        expect((await api.expect(200, 'GET', `/groups/${c.id}`)).parents).to.deep.equal([]);
        expectProblem(await api.get(`/groups/${b.id}`), 404);
        expectProblem(await api.post('/groups', { name: '' }), 400, ['name']);
      });

      it('adds and removes members; superuser groups grant everything', async () => {
        const { id, client } = await userWith('grp-member');
        const g = await api.expect(201, 'POST', '/groups', { name: 'grp-supers', is_superuser: true });
        expectProblem(await client.get('/settings'), 403);
        await api.expect(200, 'POST', `/groups/${g.id}/add_user`, { user: id });
        const members = await api.expect(200, 'GET', `/groups/${g.id}/members`);
        expect(members.results.map((u: { id: string }) => u.id)).to.deep.equal([id]);
        await client.expect(200, 'GET', '/settings');
        await api.expect(200, 'POST', `/groups/${g.id}/remove_user`, { user: id });
        expectProblem(await client.get('/settings'), 403);
        expectProblem(await api.post(`/groups/${g.id}/add_user`, { user: 'nobody' }), 400, ['user']);
        expectProblem(await api.post('/groups/00000000-0000-4000-8000-000000000000/add_user', { user: id }), 404);
      });

      it('assigns roles to groups', async () => {
        const g = await api.expect(201, 'POST', '/groups', { name: 'grp-roles' });
        const r = await api.expect(201, 'POST', '/roles', { name: 'grp-role', permissions: ['event.view'] });
        await api.expect(204, 'POST', `/groups/${g.id}/roles`, { role: r.id });
        expect((await api.expect(200, 'GET', `/groups/${g.id}/roles`)).results).to.deep.equal([r]);
        await api.expect(204, 'DELETE', `/groups/${g.id}/roles/${r.id}`);
        expect((await api.expect(200, 'GET', `/groups/${g.id}/roles`)).results).to.deep.equal([]);
      });
    });

    describe('roles', () => {
      it('creates with validated permissions, lists, changes, deletes', async () => {
        const r = await api.expect(201, 'POST', '/roles', { name: 'helpdesk', permissions: ['user.view', 'user.set_password'] });
        expect(r.permissions).to.deep.equal(['user.set_password', 'user.view']);
        expectProblem(await api.post('/roles', { name: 'bad', permissions: ['user.fly'] }), 400, ['permissions']);
        expectProblem(await api.post('/roles', { name: 'HELPDESK' }), 409);
        const list = await api.expect(200, 'GET', '/roles?search=helpd');
        expect(list.results.map((x: { name: string }) => x.name)).to.deep.equal(['helpdesk']);
        const changed = await api.expect(200, 'PATCH', `/roles/${r.id}`, { permissions: ['user.view'] });
        expect(changed.permissions).to.deep.equal(['user.view']);
        expect((await api.expect(200, 'GET', '/permissions')).permissions).to.include('scim.provision');
        await api.expect(204, 'DELETE', `/roles/${r.id}`);
        expectProblem(await api.get(`/roles/${r.id}`), 404);
      });
    });

    describe('applications', () => {
      it('manages applications and bindings and checks access (no bindings = open)', async () => {
        const { id: alice } = await userWith('app-alice');
        const { id: bob } = await userWith('app-bob');
        const app = await api.expect(201, 'POST', '/applications', { name: 'Grafana', slug: 'grafana', launch_url: 'https://grafana.example.com' });
        expect(app).to.include({ slug: 'grafana', launch_url: 'https://grafana.example.com' });
        expectProblem(await api.post('/applications', { name: 'Dup', slug: 'grafana' }), 409);
        expectProblem(await api.post('/applications', { name: 'Bad', slug: 'Not A Slug' }), 400, ['slug']);
        expect(await api.expect(200, 'GET', `/applications/grafana/check_access?user=${bob}`)).to.deep.equal({ passing: true, messages: [] });
        const g = await api.expect(201, 'POST', '/groups', { name: 'app-viewers' });
        await api.expect(200, 'POST', `/groups/${g.id}/add_user`, { user: alice });
        const binding = await api.expect(201, 'POST', '/applications/grafana/bindings', { group: g.id, order: 10 });
        expect(binding).to.include({ group: g.id, user: null, order: 10, enabled: true, negate: false });
        expect((await api.expect(200, 'GET', `/applications/grafana/check_access?user=${alice}`)).passing).to.equal(true);
        const denied = await api.expect(200, 'GET', `/applications/grafana/check_access?user=${bob}`);
        expect(denied.passing).to.equal(false);
        expect(denied.messages).to.have.length(1);
        await api.expect(200, 'PATCH', `/applications/grafana/bindings/${binding.id}`, { negate: true });
        expect((await api.expect(200, 'GET', `/applications/grafana/check_access?user=${bob}`)).passing).to.equal(true);
        expect((await api.expect(200, 'GET', '/applications/grafana/bindings')).results).to.have.length(1);
        expectProblem(await api.post('/applications/grafana/bindings', { user: bob, group: g.id }), 400);
        expectProblem(await api.get('/applications/grafana/check_access'), 400, ['user']);
        expectProblem(await api.get('/applications/grafana/check_access?user=00000000-0000-4000-8000-000000000000'), 400, ['user']);
        expectProblem(await api.get(`/applications/nope/check_access?user=${bob}`), 404);
        await api.expect(204, 'DELETE', `/applications/grafana/bindings/${binding.id}`);
        await api.expect(200, 'PATCH', '/applications/grafana', { name: 'Grafana 2' });
        expect((await api.expect(200, 'GET', '/applications')).results.map((a: { name: string }) => a.name)).to.include('Grafana 2');
        await api.expect(204, 'DELETE', '/applications/grafana');
        expectProblem(await api.get('/applications/grafana'), 404);
      });
    });

    describe('settings and events', () => {
      it('reads and changes settings; each change is an event; bad keys are named', async () => {
        const before = await api.expect(200, 'GET', '/settings');
        expect(before).to.include.keys('impersonation.enabled', 'users.unique_email', 'password.min_length', 'login.throttle_window', 'login.throttle_count');
        const after = await api.expect(200, 'PATCH', '/settings', { 'users.unique_email': true, 'password.min_length': 12 });
        expect(after).to.include({ 'users.unique_email': true, 'password.min_length': 12 });
        expectProblem(await api.patch('/settings', { 'password.min_length': 0, colour: 'red' }), 400, ['password.min_length', 'colour']);
        const ev = await api.expect(200, 'GET', '/events?action=settings_changed&page_size=1');
        expect(ev.results[0].context.changed).to.deep.equal({ 'users.unique_email': true, 'password.min_length': 12 });
        await api.expect(200, 'PATCH', '/settings', { 'users.unique_email': false, 'password.min_length': 8 });
      });

      it('filters events by user, action and date range, with pagination', async () => {
        const { id } = await userWith('ev-user');
        const t0 = new Date(Date.now() - 1000).toISOString();
        await api.expect(200, 'PATCH', `/users/${id}`, { name: 'one' });
        await api.expect(200, 'PATCH', `/users/${id}`, { name: 'two' });
        const mine = await api.expect(200, 'GET', `/events?user=${id}&action=user_updated&since=${encodeURIComponent(t0)}&page_size=1`);
        expect(mine.pagination).to.deep.equal({ count: 2, page: 1, page_size: 1, next: 2 });
        expect(mine.results[0].context.changed).to.deep.equal({ name: 'two' });
        const none = await api.expect(200, 'GET', `/events?user=${id}&until=${encodeURIComponent(t0)}&action=user_updated`);
        expect(none.results).to.have.length(0);
        expectProblem(await api.get('/events?since=yesterday'), 400, ['since']);
        expectProblem(await api.post('/events', {}), 404);
      });
    });

    describe('OpenAPI document', () => {
      it('is served, names a permission on every operation, and covers what the tests saw', async () => {
        const doc = api.checker!.doc as unknown as { openapi: string; paths: Record<string, Record<string, { 'x-permission': unknown }>> };
        expect(doc.openapi).to.equal('3.1.0');
        for (const p of ['/auth/login', '/auth/logout', '/me', '/users', '/users/{id}', '/users/bulk_delete', '/users/paths', '/users/{id}/set_password',
          '/users/{id}/sessions', '/sessions/{id}', '/users/{id}/events', '/users/{id}/groups', '/users/{id}/roles', '/groups', '/groups/{id}',
          '/groups/{id}/add_user', '/groups/{id}/remove_user', '/roles', '/groups/{id}/roles', '/settings', '/applications',
          '/applications/{slug}/bindings', '/applications/{slug}/check_access', '/events', '/tokens', '/schema']) {
          expect(doc.paths, p).to.have.property(p);
        }
        for (const [path, ops] of Object.entries(doc.paths)) {
          for (const [method, op] of Object.entries(ops)) expect(op, `${method} ${path}`).to.have.property('x-permission');
        }
        expect(api.checker!.seen.size).to.be.greaterThan(60);
      });
    });
  });
}
