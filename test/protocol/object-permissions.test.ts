/** Permissions on one object: the admin routes, what a holder sees in lists (inside the SQL: paging and counts right), and may do. */
import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { RULES } from '../../src/services/delegation-rules.js';
import type { Services } from '../../src/services/index.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';
import { holder } from './delegation-support.js';

const USERS = 600;

for (const dialect of dialects()) {
  describe(`permissions on one object on ${dialect}`, function () {
    this.timeout(180000);
    let server: BootedServer;
    let s: Services;
    let root: AdminClient;
    const ids: string[] = [];

    before(async () => {
      server = await bootServer(dialect);
      s = server.running.services;
      root = await adminClient(server.http, server.token);
      await s.units.run(async (unit) => {
        for (let i = 0; i < USERS; i++) ids.push((await s.users.create({ username: `obj-${String(i).padStart(4, '0')}`, path: 'staff' }, SYSTEM_ACTOR, { unit })).id);
      });
    });
    after(async () => { await server?.stop(); });

    it(`a holder of user.view on 3 of ${USERS} users pages through exactly those 3, with the right count`, async () => {
      const h = await holder(s, [], 'three');
      const chosen = [ids[7]!, ids[300]!, ids[599]!];
      for (const id of chosen) await root.expect(201, 'POST', `/roles/${h.roleId}/object_permissions`, { permission: 'user.view', object_type: 'user', object_id: id });
      const as = root.as(h.token);
      const p1 = (await as.expect(200, 'GET', '/users?page_size=2')) as { results: Array<{ id: string }>; pagination: { count: number; next: number | null } };
      expect(p1.pagination.count).to.equal(3);
      expect(p1.results).to.have.length(2);
      expect(p1.pagination.next).to.equal(2);
      const p2 = (await as.expect(200, 'GET', '/users?page_size=2&page=2')) as { results: Array<{ id: string }>; pagination: { count: number; next: number | null } };
      expect(p2.pagination.count).to.equal(3);
      expect(p2.results).to.have.length(1);
      expect(p2.pagination.next).to.equal(null);
      expect([...p1.results, ...p2.results].map((u) => u.id).sort()).to.deep.equal([...chosen].sort());
      // The restriction composes with a search and a folder.
      const one = (await as.expect(200, 'GET', `/users?search=${encodeURIComponent('username = "obj-0300"')}`)) as { pagination: { count: number } };
      expect(one.pagination.count).to.equal(1);
      const none = (await as.expect(200, 'GET', `/users?search=${encodeURIComponent('username = "obj-0301"')}`)) as { pagination: { count: number } };
      expect(none.pagination.count).to.equal(0);
      expect(((await as.expect(200, 'GET', '/users?path=staff')) as { pagination: { count: number } }).pagination.count).to.equal(3);
      // One object, not its neighbours.
      await as.expect(200, 'GET', `/users/${chosen[1]}`);
      expectProblem(await as.call('GET', `/users/${ids[301]}`), 403);
      expectProblem(await as.call('PATCH', `/users/${chosen[1]}`, { name: 'x' }), 403);
      // Nothing from a permission nobody granted on anything: the folder tree needs user.view on every user.
      expectProblem(await as.call('GET', '/users/paths'), 403);
    });

    it('a holder acts on its one object only, by id or by name, and the grant can be taken back', async () => {
      const h = await holder(s, [], 'changer');
      const target = await s.users.create({ username: 'obj-target' }, SYSTEM_ACTOR);
      const granted = (await root.expect(201, 'POST', `/roles/${h.roleId}/object_permissions`, { permission: 'user.change', object_type: 'user', object_id: 'obj-target' })) as { object_id: string; object_name: string; role: { id: string } };
      expect(granted.object_id).to.equal(target.id);
      expect(granted.object_name).to.equal('obj-target');
      const as = root.as(h.token);
      await as.expect(200, 'PATCH', `/users/${target.id}`, { name: 'changed by holder' });
      expectProblem(await as.call('PATCH', `/users/${ids[1]}`, { name: 'no' }), 403);
      const listed = (await root.expect(200, 'GET', `/roles/${h.roleId}/object_permissions`)) as { results: Array<{ permission: string; object_id: string }> };
      expect(listed.results.map((r) => [r.permission, r.object_id])).to.deep.equal([['user.change', target.id]]);
      const who = (await root.expect(200, 'GET', `/users/${target.id}/permissions`)) as { results: Array<{ role: { id: string }; permission: string; scope: string }> };
      expect(who.results.filter((r) => r.scope === 'object').map((r) => [r.role.id, r.permission])).to.deep.equal([[h.roleId, 'user.change']]);
      const globalChanger = await holder(s, ['user.change'], 'global-changer');
      const again = (await root.expect(200, 'GET', `/users/${target.id}/permissions`)) as { results: Array<{ role: { id: string }; permission: string; scope: string }> };
      expect(again.results.filter((r) => r.scope === 'global').map((r) => [r.role.id, r.permission])).to.deep.include([globalChanger.roleId, 'user.change']);
      await root.expect(204, 'DELETE', `/roles/${h.roleId}/object_permissions`, { permission: 'user.change', object_type: 'user', object_id: target.id });
      expectProblem(await as.call('PATCH', `/users/${target.id}`, { name: 'again' }), 403);
      expectProblem(await root.call('DELETE', `/roles/${h.roleId}/object_permissions`, { permission: 'user.change', object_type: 'user', object_id: target.id }), 404);
      expectProblem(await root.call('POST', `/roles/${h.roleId}/object_permissions`, { permission: 'role.change', object_type: 'user', object_id: target.id }), 400, ['permission']);
      expectProblem(await root.call('POST', `/roles/${h.roleId}/object_permissions`, { permission: 'user.view', object_type: 'user', object_id: 'nobody-here' }), 400, ['object_id']);
    });

    it('group.view on one group shows that group only', async () => {
      const h = await holder(s, [], 'groupviewer');
      const g = await s.groups.create({ name: 'obj-visible' }, SYSTEM_ACTOR);
      await s.groups.create({ name: 'obj-hidden' }, SYSTEM_ACTOR);
      await root.expect(201, 'POST', `/roles/${h.roleId}/object_permissions`, { permission: 'group.view', object_type: 'group', object_id: 'obj-visible' });
      const list = (await root.as(h.token).expect(200, 'GET', '/groups')) as { results: Array<{ id: string }>; pagination: { count: number } };
      expect(list.pagination.count).to.equal(1);
      expect(list.results.map((r) => r.id)).to.deep.equal([g.id]);
    });

    it('nobody grants on a superuser object but a superuser, nor grants what they do not hold on the object', async () => {
      const granter = await holder(s, ['role.change', 'user.view'], 'granter');
      const victim = await holder(s, [], 'victim-role');
      const adminId = (await s.users.findByUsername('admin'))!.id;
      const onRoot = await root.as(granter.token).call('POST', `/roles/${victim.roleId}/object_permissions`, { permission: 'user.view', object_type: 'user', object_id: adminId });
      expectProblem(onRoot, 403);
      expect(onRoot.body.rule).to.equal(RULES.noPathToSuperuser);
      const notHeld = await root.as(granter.token).call('POST', `/roles/${victim.roleId}/object_permissions`, { permission: 'user.set_password', object_type: 'user', object_id: ids[2] });
      expectProblem(notHeld, 403);
      expect(notHeld.body.rule).to.equal(RULES.grantOnlyWhatYouHold);
      await root.as(granter.token).expect(201, 'POST', `/roles/${victim.roleId}/object_permissions`, { permission: 'user.view', object_type: 'user', object_id: ids[2] });
      // A superuser may let a role view the superuser, but the holder still cannot act on it.
      await root.expect(201, 'POST', `/roles/${victim.roleId}/object_permissions`, { permission: 'user.set_password', object_type: 'user', object_id: adminId });
      const act = await root.as(victim.token).call('POST', `/users/${adminId}/set_password`, { password: 'object-granted-1' });
      expectProblem(act, 403);
      expect(act.body.rule).to.equal(RULES.noPathToSuperuser);
    });
  });
}
