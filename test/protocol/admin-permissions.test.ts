import { expect } from 'chai';
import { Client, InvalidCredentialsError } from 'ldapts';
import { Router } from 'express';
import { PERMISSIONS } from '../../src/domain/permissions.js';
import type { Services } from '../../src/services/index.js';
import { attachServices, defineRoute, routesOf, type RoutePermission } from '../../protocols/admin/routes.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';

type Operation = { 'x-permission': string | null };
type Doc = { paths: Record<string, Record<string, Operation>> };

const FAKE_ID = '00000000-0000-4000-8000-00000000abcd';

/** Every operation of the served OpenAPI document, its path parameters filled with unknown ids. */
function operations(doc: Doc): Array<{ method: string; path: string; permission: string | null }> {
  const out = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const path = template.replace(/\{slug\}/g, 'no-such-app').replace(/\{[^}]+\}/g, FAKE_ID);
      out.push({ method: method.toUpperCase(), path, permission: op['x-permission'] });
    }
  }
  return out;
}

const hasBody = (method: string) => method === 'POST' || method === 'PATCH' || method === 'PUT';

for (const dialect of dialects()) {
  describe(`admin API permissions on ${dialect}`, function () {
    this.timeout(120000);
    let server: BootedServer;
    let api: AdminClient;
    let doc: Doc;

    before(async () => {
      server = await bootServer(dialect);
      api = await adminClient(server.http, server.token);
      doc = api.checker!.doc as unknown as Doc;
    });
    after(async () => { await server?.stop(); });

    async function userWith(username: string, permissions: readonly string[] = [], password = 'password-123'): Promise<{ id: string; client: AdminClient; key: string }> {
      const s = server.running.services;
      const u = await s.users.create({ username, password }, SYSTEM_ACTOR);
      if (permissions.length > 0) {
        const role = await s.roles.create({ name: `role-${username}`, permissions }, SYSTEM_ACTOR);
        await s.roles.assign({ userId: u.id }, role.id, true, SYSTEM_ACTOR);
      }
      const { key } = await s.auth.createToken(u.id, { description: 'test' }, SYSTEM_ACTOR);
      return { id: u.id, client: api.as(key), key };
    }

    it('the served document names a known permission (or self / public) on every operation, and only login and the schema are public', () => {
      const ops = operations(doc);
      expect(ops.length).to.be.greaterThan(50);
      for (const op of ops) {
        // `x-permission` missing (undefined) would mean the document no longer says what protects the operation.
        expect(op.permission === null || op.permission === 'self' || (PERMISSIONS as readonly string[]).includes(op.permission), `${op.method} ${op.path}: ${String(op.permission)}`).to.equal(true);
      }
      // Exactly these: a route declared public by mistake fails here.
      expect(ops.filter((o) => o.permission === null).map((o) => `${o.method} ${o.path}`).sort()).to.deep.equal(['GET /schema', 'POST /auth/login']);
    });

    it('without a token every non-public operation answers 401', async () => {
      const anonymous = api.as(null);
      for (const op of operations(doc).filter((o) => o.permission !== null)) {
        const r = await anonymous.call(op.method, op.path, hasBody(op.method) ? {} : undefined);
        expect(r.status, `${op.method} ${op.path}`).to.equal(401);
      }
    });

    it('a user without the permission gets 403 naming it on every protected operation', async () => {
      const { client } = await userWith('perm-nobody');
      const protectedOps = operations(doc).filter((o) => o.permission !== null && o.permission !== 'self');
      expect(protectedOps.length).to.be.greaterThan(40);
      for (const op of protectedOps) {
        const r = await client.call(op.method, op.path, hasBody(op.method) ? {} : undefined);
        expectProblem(r, 403);
        expect(r.body.permission, `${op.method} ${op.path}`).to.equal(op.permission);
      }
    });

    it('a user holding exactly that permission gets past the check on every protected operation', async () => {
      const byPermission = new Map<string, Array<{ method: string; path: string }>>();
      for (const op of operations(doc)) {
        if (op.permission === null || op.permission === 'self') continue;
        byPermission.set(op.permission, [...(byPermission.get(op.permission) ?? []), op]);
      }
      for (const [permission, ops] of byPermission) {
        const { client } = await userWith(`perm-${permission.replace(/\W/g, '-')}`, [permission]);
        for (const op of ops) {
          const r = await client.call(op.method, op.path, hasBody(op.method) ? {} : undefined);
          expect([401, 403], `${op.method} ${op.path} with ${permission}: ${JSON.stringify(r.body)}`).to.not.include(r.status);
          expect(r.status, `${op.method} ${op.path}`).to.be.below(500);
        }
      }
    });

    it('self operations need only a token: own sessions and tokens', async () => {
      const { id, client } = await userWith('perm-self');
      for (const op of operations(doc).filter((o) => o.permission === 'self')) {
        const r = await client.call(op.method, op.path, hasBody(op.method) ? {} : undefined);
        expect([401, 403], `${op.method} ${op.path}`).to.not.include(r.status);
      }
      await client.expect(200, 'GET', `/users/${id}/sessions`);
      const adminId = (await api.expect(200, 'GET', '/me')).user.id as string;
      expectProblem(await client.get(`/users/${adminId}/sessions`), 403);
    });

    it('roles are inherited through nested groups, and stop when the nesting is undone', async () => {
      const { id, client } = await userWith('perm-nested');
      const role = await api.expect(201, 'POST', '/roles', { name: 'nested-viewer', permissions: ['user.view', 'group.view'] });
      const top = await api.expect(201, 'POST', '/groups', { name: 'nested-top' });
      const mid = await api.expect(201, 'POST', '/groups', { name: 'nested-mid', parents: [top.id] });
      const leaf = await api.expect(201, 'POST', '/groups', { name: 'nested-leaf', parents: [mid.id] });
      await api.expect(204, 'POST', `/groups/${top.id}/roles`, { role: role.id });
      expectProblem(await client.get('/users'), 403);
      await api.expect(200, 'POST', `/groups/${leaf.id}/add_user`, { user: id });
      await client.expect(200, 'GET', '/users');
      await client.expect(200, 'GET', '/groups');
      expectProblem(await client.get('/roles'), 403);
      const held = await api.expect(200, 'GET', `/users/${id}/roles?inherited=true`);
      expect(held.results).to.deep.equal([{ ...role, assigned: false, group: { id: top.id, name: 'nested-top' } }]);
      await api.expect(200, 'PATCH', `/groups/${mid.id}`, { parents: [] });
      expectProblem(await client.get('/users'), 403);
      expect((await api.expect(200, 'GET', `/users/${id}/roles?inherited=true`)).results).to.deep.equal([]);
    });

    it('deactivation closes the admin API, SCIM and LDAP at once; reactivation reopens them', async () => {
      const s = server.running.services;
      const { id, key } = await userWith('perm-deact', [], 'deact-password-1');
      const admins = await s.groups.findByName('admins');
      await s.groups.changeMembers(admins!.id, { addUsers: [id] }, SYSTEM_ACTOR);
      const session = (await api.as(null).expect(200, 'POST', '/auth/login', { username: 'perm-deact', password: 'deact-password-1' })).token as string;
      const dn = `cn=perm-deact,ou=users,${s.config.ldap.baseDn}`;
      const ldapBind = async () => {
        const c = new Client({ url: server.ldap, timeout: 5000, connectTimeout: 5000 });
        try {
          await c.bind(dn, 'deact-password-1');
          return 'ok';
        } catch (e) {
          return e instanceof InvalidCredentialsError ? 'refused' : `error: ${(e as Error).message}`;
        } finally {
          await c.unbind().catch(() => undefined);
        }
      };
      const scim = async () => (await fetch(`${server.http}/scim/v2/Users?count=1`, { headers: { authorization: `Bearer ${key}` } })).status;

      await api.as(session).expect(200, 'GET', '/me');
      await api.as(key).expect(200, 'GET', '/users');
      expect(await scim(), 'SCIM before deactivation').to.equal(200);
      expect(await ldapBind()).to.equal('ok');

      const off = await api.expect(200, 'PATCH', `/users/${id}`, { is_active: false });
      expect(off.is_active).to.equal(false);
      expectProblem(await api.as(session).get('/me'), 401);
      expectProblem(await api.as(key).get('/me'), 401);
      expect(await ldapBind()).to.equal('refused');
      expectProblem(await api.as(null).post('/auth/login', { username: 'perm-deact', password: 'deact-password-1' }), 401);
      expect(await scim(), 'SCIM after deactivation').to.equal(401);
      expect((await api.expect(200, 'GET', `/users/${id}/sessions`)).results).to.deep.equal([]);

      await api.expect(200, 'PATCH', `/users/${id}`, { is_active: true });
      await api.as(key).expect(200, 'GET', '/me');
      expectProblem(await api.as(session).get('/me'), 401);
      expect(await ldapBind()).to.equal('ok');
      expect(await scim(), 'SCIM after reactivation').to.equal(200);
      const actions = (await api.expect(200, 'GET', `/users/${id}/events?page_size=100`)).results.map((e: { action: string }) => e.action);
      expect(actions).to.include.members(['user_deactivated', 'user_reactivated']);
    });
  });
}


describe('admin API route registrar (protocols/admin/routes.ts)', () => {
  const spec = (permission: unknown, path = '/x') => ({
    method: 'get' as const, path, permission: permission as RoutePermission, summary: 'test', handler: async () => ({}),
  });
  const router = () => {
    const r = Router();
    attachServices(r, {} as Services);
    return r;
  };

  it('refuses, when the route is defined, a permission that does not exist, naming it', () => {
    for (const bad of ['user.nonsense', 'USER.VIEW', '', 'superuser', undefined]) {
      expect(() => defineRoute(router(), spec(bad)), String(bad)).to.throw(Error, /unknown permission/);
    }
    expect(() => defineRoute(router(), spec('user.nonsense'))).to.throw(/^defineRoute get \/x: unknown permission user\.nonsense$/);
  });

  it('accepts every known permission, self and public (null), and records each in the route table', () => {
    const r = router();
    const known = [...PERMISSIONS, 'self', null];
    known.forEach((p, i) => defineRoute(r, spec(p, `/ok-${i}`)));
    expect(routesOf(r).map((x) => x.permission)).to.deep.equal(known);
  });
});
