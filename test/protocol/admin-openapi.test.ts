import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, type AdminClient } from './admin-support.js';

type Doc = { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/**
 * The OpenAPI document tells the truth: every operation it lists is called once on a server with
 * real objects behind every path parameter, and the client's checker asserts that the answer's
 * status is documented and its body matches the documented content type and schema. Reads go
 * first, deletions last, so every call finds its objects.
 */
for (const dialect of dialects()) {
  describe(`admin API: every route answers as the OpenAPI document says, on ${dialect}`, function () {
    this.timeout(120_000);
    let server: BootedServer;
    let api: AdminClient;
    const ids: Record<string, string> = {};
    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
      const s = server.running.services;
      const user = await s.users.create({ username: 'walker', email: 'walker@example.test', password: 'walker-password-1' }, SYSTEM_ACTOR);
      const group = await s.groups.create({ name: 'walkers' }, SYSTEM_ACTOR);
      const role = await s.roles.create({ name: 'walker-role', permissions: ['user.view'] }, SYSTEM_ACTOR);
      await s.access.createApplication({ name: 'Walk', slug: 'walk' }, SYSTEM_ACTOR);
      const binding = await api.expect(201, 'POST', '/applications/walk/bindings', { user: user.id, order: 1 });
      const session = await api.as(null).expect(200, 'POST', '/auth/login', { username: 'walker', password: 'walker-password-1' });
      const token = await api.expect(201, 'POST', '/tokens', { description: 'walk' });
      const exp = await api.expect(202, 'POST', '/users/export', { search: '', ordering: 'username' });
      for (let i = 0; i < 200; i++) {
        if ((await api.expect(200, 'GET', `/exports/${exp.id}`)).status === 'done') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const notes = await api.expect(200, 'GET', '/notifications');
      const sessions = await api.expect(200, 'GET', `/users/${user.id}/sessions`);
      expect(session.token).to.be.a('string');
      Object.assign(ids, {
        user: user.id, group: group.id, role: role.id, binding: binding.id, export: exp.id,
        token: token.id ?? token.token?.id, session: sessions.results[0].id, notification: notes.results[0].id,
      });
    });
    after(async () => { await server?.stop(); });

    const fill = (path: string): string => path
      .replace(/^\/users\/\{id\}/, () => `/users/${ids.user}`)
      .replace(/^\/groups\/\{id\}/, () => `/groups/${ids.group}`)
      .replace(/^\/roles\/\{id\}/, () => `/roles/${ids.role}`)
      .replace(/^\/exports\/\{id\}/, () => `/exports/${ids.export}`)
      .replace(/^\/sessions\/\{id\}/, () => `/sessions/${ids.session}`)
      .replace(/^\/tokens\/\{id\}/, () => `/tokens/${ids.token}`)
      .replace(/^\/notifications\/\{id\}/, () => `/notifications/${ids.notification}`)
      .replace('{slug}', 'walk')
      .replace('/bindings/{id}', () => `/bindings/${ids.binding}`)
      .replace('{group}', () => ids.group!)
      .replace('{role}', () => ids.role!)
      // Anything else (a consent, a device): an id that names nothing, so the documented 404 is checked.
      .replace(/\{[^}]+\}/g, () => randomUUID());

    it('answers every documented operation with a documented status, content type and body', async () => {
      const doc = (await api.expect(200, 'GET', '/schema')) as Doc;
      const ops = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => ({ method: m.toUpperCase(), path })));
      const rank = (m: string) => (m === 'GET' ? 0 : m === 'DELETE' ? 2 : 1);
      // Signing out or ending an impersonation would end the caller's own session: they run last.
      const late = (p: string) => (p.startsWith('/auth/') ? 1 : 0);
      ops.sort((a, b) => late(a.path) - late(b.path) || rank(a.method) - rank(b.method));
      expect(ops.length).to.be.greaterThan(50);
      const answered: string[] = [];
      for (const op of ops) {
        let url = fill(op.path);
        if (op.path.endsWith('/check_access')) url += `?user=${ids.user}`;
        // The checker inside the client throws when the answer is not what the document says.
        const r = await api.call(op.method, url, op.method === 'GET' || op.method === 'DELETE' ? undefined : {});
        expect(r.status, `${op.method} ${op.path}`).to.be.below(500);
        answered.push(`${op.method} ${op.path} ${r.status}`);
      }
      expect(answered.find((a) => a.startsWith('GET /exports/{id}/download'))).to.equal('GET /exports/{id}/download 200');
    });
  });
}
