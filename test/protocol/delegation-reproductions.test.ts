/** Each reproduction of issue 13, as a new user with a helpdesk role would try it, on both dialects. */
import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { RULES } from '../../src/services/delegation-rules.js';
import type { Services } from '../../src/services/index.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';
import { bindOk, haveTool, run, userDn } from './ldap-support.js';
import { holder, impersonationOf, PASSWORD, refusalRecorded, superuser } from './delegation-support.js';

for (const dialect of dialects()) {
  describe(`issue 13 reproductions on ${dialect}`, function () {
    this.timeout(120000);
    const tools = haveTool('ldappasswd');
    let server: BootedServer;
    let s: Services;
    let root: AdminClient;
    let adminId: string;

    before(async () => {
      server = await bootServer(dialect);
      s = server.running.services;
      root = await adminClient(server.http, server.token);
      adminId = (await s.users.findByUsername('admin'))!.id;
    });
    after(async () => { await server?.stop(); });

    it('user.set_password cannot set a superuser\'s password: admin API 403, LDAP Password Modify 50; the refusal is an event', async function () {
      if (!tools) this.skip();
      const h = await holder(s, ['user.set_password'], 'helpdesk');
      const r = await root.as(h.token).call('POST', `/users/${adminId}/set_password`, { password: 'taken-over-1' });
      expectProblem(r, 403);
      expect(r.body.rule).to.equal(RULES.noPathToSuperuser);
      expect(r.body.detail).to.match(/no_path_to_superuser: only a superuser may set the password of a superuser account/);
      expect(await refusalRecorded(s, RULES.noPathToSuperuser, adminId)).to.equal(true);
      const ldap = await run('ldappasswd', ['-x', '-H', server.ldap, '-D', userDn(h.username), '-w', PASSWORD, '-s', 'taken-over-2', userDn('admin')]);
      expect(ldap.code).to.not.equal(0);
      expect(ldap.stdout + ldap.stderr).to.match(/\(50\)/);
      expect(ldap.stdout + ldap.stderr).to.match(/no_path_to_superuser/);
      expect(await bindOk(server.ldap, userDn('admin'), ADMIN_PASSWORD)).to.equal(true);
      expect(await bindOk(server.ldap, userDn('admin'), 'taken-over-2')).to.equal(false);
      // The same holder still does its job on a plain user.
      const plain = await s.users.create({ username: 'repro-plain-1' }, SYSTEM_ACTOR);
      await root.as(h.token).expect(204, 'POST', `/users/${plain.id}/set_password`, { password: 'helpdesk-set-1' });
    });

    it('user.recovery cannot create or email a recovery link for a superuser', async () => {
      const h = await holder(s, ['user.recovery'], 'helpdesk');
      const link = await root.as(h.token).call('POST', `/users/${adminId}/recovery`);
      expectProblem(link, 403);
      expect(link.body.rule).to.equal(RULES.noPathToSuperuser);
      expectProblem(await root.as(h.token).call('POST', `/users/${adminId}/recovery_email`), 403);
      const open = await server.database.db.knex('recovery_tokens').where({ user_id: adminId });
      expect(open).to.have.length(0);
    });

    it('group.change cannot add its holder to admins; group.add cannot create a superuser group', async () => {
      const h = await holder(s, ['group.change', 'group.add'], 'helpdesk');
      const admins = (await s.groups.findByName('admins'))!;
      const add = await root.as(h.token).call('POST', `/groups/${admins.id}/add_user`, { user: h.id });
      expectProblem(add, 403);
      expect(add.body.rule).to.equal(RULES.noPathToSuperuser);
      const viaUser = await root.as(h.token).call('POST', `/users/${h.id}/groups`, { group: admins.id });
      expectProblem(viaUser, 403);
      expect(await s.access.isSuperuser(h.id)).to.equal(false);
      const created = await root.as(h.token).call('POST', '/groups', { name: 'my-admins', is_superuser: true });
      expectProblem(created, 403);
      expect(created.body.rule).to.equal(RULES.grantOnlyWhatYouHold);
      const createdWithMe = await root.as(h.token).call('POST', `/users/${h.id}/groups/create`, { name: 'my-admins-2', is_superuser: true });
      expectProblem(createdWithMe, 403);
      const underAdmins = await root.as(h.token).call('POST', '/groups', { name: 'my-admins-3', parents: [admins.id] });
      expectProblem(underAdmins, 403);
      const plain = (await root.as(h.token).expect(201, 'POST', '/groups', { name: 'my-plain' })) as { id: string };
      const flag = await root.as(h.token).call('PATCH', `/groups/${plain.id}`, { is_superuser: true });
      expectProblem(flag, 403);
      const reparent = await root.as(h.token).call('PATCH', `/groups/${plain.id}`, { parents: [admins.id] });
      expectProblem(reparent, 403);
      expect(await s.groups.findByName('my-admins')).to.equal(null);
      expect(await s.access.isSuperuser(h.id)).to.equal(false);
    });

    it('user.change cannot mint an API token for a superuser', async () => {
      const h = await holder(s, ['user.change'], 'helpdesk');
      const before = (await s.auth.tokensOf(adminId)).length;
      const r = await root.as(h.token).call('POST', '/tokens', { user: adminId, description: 'mine now' });
      expectProblem(r, 403);
      expect(r.body.rule).to.equal(RULES.noPathToSuperuser);
      expect(await s.auth.tokensOf(adminId)).to.have.length(before);
    });

    it('role.assign cannot hand out permissions its holder does not hold; role.change cannot add them', async () => {
      const everything = await s.roles.create({ name: 'everything', permissions: ['user.view', 'user.change', 'settings.change', 'role.assign'] }, SYSTEM_ACTOR);
      const h = await holder(s, ['role.assign', 'role.change', 'role.add'], 'assigner');
      const r = await root.as(h.token).call('POST', `/users/${h.id}/roles`, { role: everything.id });
      expectProblem(r, 403);
      expect(r.body.rule).to.equal(RULES.grantOnlyWhatYouHold);
      expect(r.body.permission).to.equal('settings.change');
      expect((await s.access.permissionsOf(h.id)).has('settings.change')).to.equal(false);
      const own = await root.as(h.token).call('PATCH', `/roles/${h.roleId}`, { permissions: ['role.assign', 'role.change', 'role.add', 'settings.change'] });
      expectProblem(own, 403);
      expect(own.body.rule).to.equal(RULES.grantOnlyWhatYouHold);
      expectProblem(await root.as(h.token).call('POST', '/roles', { name: 'grab', permissions: ['settings.change'] }), 403);
      // A role holding only what the assigner holds is fine.
      const small = await s.roles.create({ name: 'small', permissions: ['role.assign'] }, SYSTEM_ACTOR);
      const other = await s.users.create({ username: 'repro-assignee' }, SYSTEM_ACTOR);
      await root.as(h.token).expect(204, 'POST', `/users/${other.id}/roles`, { role: small.id });
    });

    it('user.view alone reads neither sessions nor API tokens of others; key prefixes are 8 characters', async () => {
      const h = await holder(s, ['user.view'], 'viewer');
      const other = await holder(s, [], 'victim');
      await s.auth.createSession(other.id, { clientIp: '10.1.2.3', userAgent: 'victim-browser' });
      const sessions = await root.as(h.token).call('GET', `/users/${other.id}/sessions`);
      expectProblem(sessions, 403);
      expect(sessions.body.permission).to.equal('user.change');
      const tokens = await root.as(h.token).call('GET', `/tokens?user=${other.id}`);
      expectProblem(tokens, 403);
      const one = (await s.auth.tokensOf(other.id))[0]!;
      expectProblem(await root.as(h.token).call('GET', `/tokens/${one.id}`), 403);
      const listed = (await root.expect(200, 'GET', `/tokens?user=${other.id}`)) as { results: Array<{ key_prefix: string }> };
      expect(listed.results.length).to.be.greaterThan(0);
      for (const t of listed.results) {
        expect(t.key_prefix).to.have.length(8);
        expect(other.token.startsWith(t.key_prefix)).to.equal(true);
      }
      const created = (await root.expect(201, 'POST', '/tokens', { description: 'x' })) as { key: string; key_prefix: string };
      expect(created.key_prefix).to.equal(created.key.slice(0, 8));
    });

    it('the only superuser cannot delete or deactivate itself, nor lose its group or its flag (409 naming the rule)', async () => {
      const del = await root.call('DELETE', `/users/${adminId}`);
      expectProblem(del, 409);
      expect(del.body.rule).to.equal(RULES.lastSuperuser);
      expect(await refusalRecorded(s, RULES.lastSuperuser, adminId)).to.equal(true);
      expectProblem(await root.call('PATCH', `/users/${adminId}`, { is_active: false }), 409);
      expectProblem(await root.call('POST', '/users/bulk_delete', { ids: [adminId] }), 409);
      const admins = (await s.groups.findByName('admins'))!;
      expectProblem(await root.call('POST', `/groups/${admins.id}/remove_user`, { user: adminId }), 409);
      expectProblem(await root.call('PATCH', `/groups/${admins.id}`, { is_superuser: false }), 409);
      expectProblem(await root.call('DELETE', `/groups/${admins.id}`), 409);
      expect(await s.access.isSuperuser(adminId)).to.equal(true);
      // With a second superuser, the first may go.
      const second = await superuser(s, 'second');
      const t = await s.auth.createToken(second.id, {}, SYSTEM_ACTOR);
      await root.as(t.key).expect(200, 'PATCH', `/users/${adminId}`, { is_active: false });
      expectProblem(await root.as(t.key).call('DELETE', `/users/${second.id}`), 409);
      await s.users.update(adminId, { isActive: true }, SYSTEM_ACTOR);
    });

    it('an impersonation session ends when impersonation is turned off; it cannot impersonate, mint tokens or touch the impersonator', async () => {
      const h = await holder(s, ['user.impersonate', 'user.change'], 'imp');
      const token = await impersonationOf(server, h.id);
      const as = root.as(token);
      const me = (await as.expect(200, 'GET', '/me')) as { user: { id: string }; original: { id: string }; permissions: string[] };
      expect(me.user.id).to.equal(h.id);
      expect(me.original.id).to.equal(adminId);
      expect(me.permissions).to.deep.equal(['user.change', 'user.impersonate']);
      const plain = await s.users.create({ username: 'repro-imp-target', password: PASSWORD }, SYSTEM_ACTOR);
      const again = await as.call('POST', `/users/${plain.id}/impersonate`, { reason: 'x' });
      expectProblem(again, 403);
      expect(again.body.rule).to.equal(RULES.impersonationSession);
      const mint = await as.call('POST', '/tokens', { description: 'keep me' });
      expectProblem(mint, 403);
      expect(mint.body.rule).to.equal(RULES.impersonationSession);
      const touch = await as.call('PATCH', `/users/${adminId}`, { name: 'changed by impersonation' });
      expectProblem(touch, 403);
      expect(touch.body.rule).to.equal(RULES.impersonationSession);
      await as.expect(200, 'PATCH', `/users/${plain.id}`, { name: 'fine' });
      await root.expect(200, 'PATCH', '/settings', { 'impersonation.enabled': false });
      const after = await as.call('GET', '/me');
      expect(after.status).to.equal(401);
      expect(after.body.detail).to.match(/impersonation has been turned off/);
      await root.expect(200, 'PATCH', '/settings', { 'impersonation.enabled': true });
      expect((await as.call('GET', '/me')).status, 'the session stays ended').to.equal(401);
    });

    it('GET /me lists the caller\'s global permissions (all of them for a superuser)', async () => {
      const me = (await root.expect(200, 'GET', '/me')) as { permissions: string[]; original: null };
      expect(me.original).to.equal(null);
      expect(me.permissions).to.include.members(['user.view', 'settings.change', 'scim.provision']);
      const h = await holder(s, ['user.view'], 'me');
      expect(((await root.as(h.token).expect(200, 'GET', '/me')) as { permissions: string[] }).permissions).to.deep.equal(['user.view']);
    });

    it('SCIM: a provisioning token of a non-superuser cannot touch a superuser', async () => {
      const h = await holder(s, ['scim.provision'], 'idp');
      const res = await fetch(`${server.http}/scim/v2/Users/${adminId}`, { method: 'DELETE', headers: { authorization: `Bearer ${h.token}` } });
      expect(res.status).to.equal(403);
      expect(await res.text()).to.match(/no_path_to_superuser/);
      expect(await s.users.findByUsername('admin')).to.not.equal(null);
    });
  });
}
