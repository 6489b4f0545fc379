import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Attribute, Change, Client } from 'ldapts';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type Running } from '../../src/main.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, bindOk, groupDn, userDn } from './ldap-support.js';

/** The LDAP result code of a refused operation (ldapts errors carry it as `code`). */
async function codeOf(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await p;
  } catch (e) {
    return { code: (e as { code?: number }).code ?? -1, message: (e as Error).message };
  }
  return { code: 0, message: '' };
}

const change = (operation: 'add' | 'delete' | 'replace', type: string, values: string[] = []) =>
  new Change({ operation, modification: new Attribute({ type, values }) });

for (const dialect of dialects()) {
  describe(`LDAP writes (ldapts) on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let admin: Client;

    const entry = async (dn: string, attributes: string[] = ['*', '+']) => {
      const r = await admin.search(dn, { scope: 'base', attributes });
      return r.searchEntries[0]!;
    };
    /** A user holding exactly these permissions, bound over LDAP. */
    const holder = async (username: string, permissions: string[]): Promise<Client> => {
      const s = server.running.services;
      const u = await s.users.create({ username, password: `${username}-password` }, SYSTEM_ACTOR);
      if (permissions.length) {
        const role = await s.roles.create({ name: `role-${username}`, permissions }, SYSTEM_ACTOR);
        await s.roles.assign({ userId: u.id }, role.id, true, SYSTEM_ACTOR);
      }
      const c = new Client({ url: server.ldap });
      await c.bind(userDn(username), `${username}-password`);
      return c;
    };

    before(async () => {
      server = await bootServer(dialect);
      admin = new Client({ url: server.ldap });
      await admin.bind(userDn('admin'), ADMIN_PASSWORD);
    });
    after(async () => {
      await admin?.unbind().catch(() => undefined);
      await server?.stop();
    });

    it('adds a user with its attributes; it can bind, and every door sees it', async () => {
      await admin.add(userDn('alice'), {
        objectClass: ['top', 'inetOrgPerson', 'posixAccount'], cn: 'alice', uid: 'alice', sn: 'Liddell', givenName: 'Alice',
        mail: 'alice@example.com', userPassword: 'alice-password-1', department: 'Sales', employeeNumber: ['7', '8'],
      });
      const e = await entry(userDn('alice'));
      expect(e.displayName).to.equal('Alice Liddell');
      expect(e.mail).to.equal('alice@example.com');
      expect(e.sn).to.equal('Liddell');
      expect(e.department).to.equal('Sales');
      expect(e.employeeNumber).to.deep.equal(['7', '8']);
      expect(e.dirgateActive).to.equal('TRUE');
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-1')).to.equal(true);
      const u = await server.running.services.users.findByUsername('alice');
      expect(u!.attributes).to.deep.equal({ sn: 'Liddell', givenName: 'Alice', department: 'Sales', employeeNumber: ['7', '8'] });
      const { events } = await server.running.services.events.list({ userId: u!.id, action: 'user_created', limit: 10, offset: 0 });
      expect(events).to.have.length(1);
      expect(events[0]!.context.door).to.equal('ldap');
      expect(events[0]!.actorUsername).to.equal('admin');
    });

    it('modify: replace, add and delete in one request; modifyTimestamp moves', async () => {
      const before = await entry(userDn('alice'));
      await new Promise((r) => setTimeout(r, 1100)); // GeneralizedTime has one-second resolution
      await admin.modify(userDn('alice'), [
        change('replace', 'mail', ['alice@corp.example.com']),
        change('add', 'title', ['Engineer']),
        change('delete', 'employeeNumber', ['7']),
        change('replace', 'displayName', ['Alice L.']),
      ]);
      const e = await entry(userDn('alice'));
      expect(e.mail).to.equal('alice@corp.example.com');
      expect(e.title).to.equal('Engineer');
      expect(e.employeeNumber).to.equal('8');
      expect(e.displayName).to.equal('Alice L.');
      expect(String(e.modifyTimestamp) > String(before.modifyTimestamp)).to.equal(true);
    });

    it('modify is atomic: one bad change and nothing is applied', async () => {
      const r = await codeOf(admin.modify(userDn('alice'), [change('replace', 'title', ['Boss']), change('replace', 'mail', ['not-an-address'])]));
      expect(r.code).to.equal(21);
      expect(r.message).to.match(/mail/);
      expect((await entry(userDn('alice'))).title).to.equal('Engineer');
      const gone = await codeOf(admin.modify(userDn('alice'), [change('replace', 'title', ['Boss']), change('delete', 'nosuch', [])]));
      expect(gone.code).to.equal(16);
      const exists = await codeOf(admin.modify(userDn('alice'), [change('add', 'title', ['Engineer'])]));
      expect(exists.code).to.equal(20);
      expect((await entry(userDn('alice'))).title).to.equal('Engineer');
    });

    it('dirgateActive: FALSE deactivates (sessions revoked, binds refused); TRUE reactivates', async () => {
      const s = server.running.services;
      const u = (await s.users.findByUsername('alice'))!;
      await s.auth.createSession(u.id, {});
      await admin.modify(userDn('alice'), change('replace', 'dirgateActive', ['FALSE']));
      expect(await s.auth.sessionsOf(u.id)).to.have.length(0);
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-1')).to.equal(false);
      expect((await codeOf(admin.modify(userDn('alice'), change('replace', 'dirgateActive', ['maybe'])))).code).to.equal(21);
      await admin.modify(userDn('alice'), change('replace', 'dirgateActive', ['TRUE']));
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-1')).to.equal(true);
    });

    it('userPassword: replace by an admin; delete-old + add-new by the user itself; policy applies', async () => {
      await admin.modify(userDn('alice'), change('replace', 'userPassword', ['alice-password-2']));
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-2')).to.equal(true);
      const self = new Client({ url: server.ldap });
      await self.bind(userDn('alice'), 'alice-password-2');
      const wrongOld = await codeOf(self.modify(userDn('alice'), [change('delete', 'userPassword', ['nope']), change('add', 'userPassword', ['alice-password-3'])]));
      expect(wrongOld.code).to.equal(16);
      const withoutOld = await codeOf(self.modify(userDn('alice'), change('replace', 'userPassword', ['alice-password-3'])));
      expect(withoutOld.code).to.equal(50);
      expect(withoutOld.message).to.match(/user\.set_password/);
      const short = await codeOf(self.modify(userDn('alice'), [change('delete', 'userPassword', ['alice-password-2']), change('add', 'userPassword', ['x'])]));
      expect(short.code).to.equal(19);
      await self.modify(userDn('alice'), [change('delete', 'userPassword', ['alice-password-2']), change('add', 'userPassword', ['alice-password-3'])]);
      await self.unbind();
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-2')).to.equal(false);
      expect(await bindOk(server.ldap, userDn('alice'), 'alice-password-3')).to.equal(true);
    });

    it('groups: add with members, member add/delete, memberUid, nesting, cycles refused with 53', async () => {
      await admin.add(userDn('bob'), { objectClass: 'inetOrgPerson', cn: 'bob', sn: 'Builder' });
      await admin.add(groupDn('staff'), { objectClass: ['groupOfNames', 'posixGroup'], cn: 'staff', member: [userDn('alice')] });
      await admin.add(groupDn('everyone'), { objectClass: 'groupOfUniqueNames', cn: 'everyone', uniqueMember: [groupDn('staff')] });
      await admin.modify(groupDn('staff'), change('add', 'member', [userDn('bob')]));
      expect((await entry(groupDn('staff'))).memberUid).to.deep.equal(['alice', 'bob']);
      await admin.modify(groupDn('staff'), change('delete', 'memberUid', ['alice']));
      expect((await entry(groupDn('staff'))).member).to.equal(userDn('bob'));
      expect((await entry(userDn('bob'), ['memberOf'])).memberOf).to.equal(groupDn('staff'));
      const cycle = await codeOf(admin.modify(groupDn('staff'), change('add', 'member', [groupDn('everyone')])));
      expect(cycle.code).to.equal(53);
      expect(cycle.message).to.match(/cycle/);
      const nobody = await codeOf(admin.modify(groupDn('staff'), change('add', 'member', [userDn('nobody')])));
      expect(nobody.code).to.equal(21);
      expect(nobody.message).to.match(/member/);
      await admin.modify(groupDn('staff'), change('replace', 'member', [userDn('alice'), userDn('bob')]));
      expect((await entry(groupDn('staff'))).memberUid).to.deep.equal(['alice', 'bob']);
    });

    it('modify DN renames users and groups; moves and deleteoldrdn=FALSE are refused', async () => {
      await admin.modifyDN(userDn('bob'), 'cn=robert');
      expect((await entry(userDn('robert'))).uid).to.equal('robert');
      expect((await entry(groupDn('staff'))).memberUid).to.deep.equal(['alice', 'robert']);
      await admin.modifyDN(groupDn('staff'), `cn=team,ou=groups,${BASE}`);
      expect((await entry(userDn('robert'), ['memberOf'])).memberOf).to.equal(groupDn('team'));
      expect((await codeOf(admin.modifyDN(userDn('robert'), `cn=robert,ou=groups,${BASE}`))).code).to.equal(53);
      expect((await codeOf(admin.modifyDN(userDn('robert'), 'cn=alice'))).code).to.equal(68);
    });

    it('delete removes users and groups (a group with members too)', async () => {
      await admin.add(userDn('carl'), { objectClass: 'inetOrgPerson', sn: 'C' });
      await admin.del(userDn('carl'));
      expect(await server.running.services.users.findByUsername('carl')).to.equal(null);
      await admin.del(groupDn('team'));
      expect(await server.running.services.groups.findByName('team')).to.equal(null);
      expect((await codeOf(admin.del(userDn('carl')))).code).to.equal(32);
      expect((await codeOf(admin.del(`ou=users,${BASE}`))).code).to.equal(66);
    });

    it('refusals: 65, 68, 32, 53, 21, 17, 19 — each naming the attribute', async () => {
      const cases: Array<[Promise<unknown>, number, RegExp]> = [
        [admin.add(userDn('dora'), { cn: 'dora', sn: 'D' }), 65, /objectClass/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', cn: 'dora' }), 65, /sn/],
        [admin.add(userDn('dora'), { objectClass: 'shadowAccount', cn: 'dora' }), 65, /shadowAccount/],
        [admin.add(userDn('alice'), { objectClass: 'inetOrgPerson', sn: 'again' }), 68, /alice/],
        [admin.add(`cn=dora,ou=people,${BASE}`, { objectClass: 'inetOrgPerson', sn: 'D' }), 32, /outside/],
        [admin.add(`cn=dora,dc=other,dc=org`, { objectClass: 'inetOrgPerson', sn: 'D' }), 32, /outside/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', userPassword: '{SSHA}abcdefgh' }), 53, /userPassword.*SSHA/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', mail: 'nope' }), 21, /mail/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', uid: 'someoneelse' }), 21, /uid/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', bad_name: 'x' }), 17, /bad_name/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', uidNumber: '5' }), 19, /uidNumber/],
        [admin.add(userDn('dora'), { objectClass: 'inetOrgPerson', sn: 'D', member: groupDn('x') }), 65, /member/],
        [admin.modify(userDn('alice'), change('replace', 'cn', ['other'])), 67, /cn/],
        [admin.modify(userDn('alice'), change('replace', 'memberOf', [groupDn('admins')])), 19, /memberOf/],
      ];
      for (const [p, code, message] of cases) {
        const r = await codeOf(p);
        expect(r.code, r.message).to.equal(code);
        expect(r.message).to.match(message);
      }
      expect(await server.running.services.users.findByUsername('dora')).to.equal(null);
    });

    it('permissions: user.view only gets 50 naming the permission; no path to a superuser', async () => {
      const viewer = await holder('viewer', ['user.view', 'ldap.search_full_directory']);
      const r = await codeOf(viewer.add(userDn('eve'), { objectClass: 'inetOrgPerson', sn: 'E' }));
      expect(r.code).to.equal(50);
      expect(r.message).to.match(/user\.add/);
      expect((await codeOf(viewer.modify(userDn('alice'), change('replace', 'title', ['x'])))).message).to.match(/user\.change/);
      expect((await codeOf(viewer.del(userDn('alice')))).message).to.match(/user\.delete/);
      await viewer.unbind();

      const helpdesk = await holder('helpdesk', ['user.change', 'user.set_password', 'user.delete', 'group.change']);
      for (const p of [
        helpdesk.modify(userDn('admin'), change('replace', 'userPassword', ['taken-over-1'])),
        helpdesk.modify(userDn('admin'), change('replace', 'mail', ['evil@example.com'])),
        helpdesk.del(userDn('admin')),
        helpdesk.modify(groupDn('admins'), change('add', 'member', [userDn('helpdesk')])),
      ]) {
        const refused = await codeOf(p);
        expect(refused.code, refused.message).to.equal(50);
        expect(refused.message).to.match(/superuser/);
      }
      await helpdesk.modify(userDn('alice'), change('replace', 'title', ['Helped']));
      await helpdesk.unbind();
      expect(await bindOk(server.ldap, userDn('admin'), ADMIN_PASSWORD)).to.equal(true);
      expect(await server.running.services.access.isSuperuser((await server.running.services.users.findByUsername('helpdesk'))!.id)).to.equal(false);
    });

    it('permissions on one object: user.change on alice alone changes alice, not robert', async () => {
      const s = server.running.services;
      const u = await s.users.create({ username: 'onehelper', password: 'onehelper-password' }, SYSTEM_ACTOR);
      const role = await s.roles.create({ name: 'role-onehelper', permissions: [] }, SYSTEM_ACTOR);
      await s.roles.assign({ userId: u.id }, role.id, true, SYSTEM_ACTOR);
      const alice = (await s.users.findByUsername('alice'))!;
      await s.roles.grantOnObject(role.id, { permission: 'user.change', objectType: 'user', objectId: alice.id }, SYSTEM_ACTOR);
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('onehelper'), 'onehelper-password');
      await c.modify(userDn('alice'), change('replace', 'title', ['Delegated']));
      expect((await s.users.findByUsername('alice'))!.attributes.title).to.equal('Delegated');
      const other = await codeOf(c.modify(userDn('robert'), change('replace', 'title', ['Nope'])));
      expect(other.code).to.equal(50);
      expect(other.message).to.match(/user\.change/);
      await c.unbind();
    });

    it('the last active superuser cannot be deleted or deactivated over LDAP (53, naming the rule)', async () => {
      for (const p of [admin.del(userDn('admin')), admin.modify(userDn('admin'), change('replace', 'dirgateActive', ['FALSE']))]) {
        const r = await codeOf(p);
        expect(r.code, r.message).to.equal(53);
        expect(r.message).to.match(/last_superuser/);
      }
      expect(await bindOk(server.ldap, userDn('admin'), ADMIN_PASSWORD)).to.equal(true);
    });

    it('cn=subschema says what is writable', async () => {
      const types = (await entry('cn=subschema', ['attributeTypes'])).attributeTypes as string[];
      const of = (name: string) => types.find((t) => t.includes(`NAME '${name}'`))!;
      expect(of('dirgateActive')).to.not.match(/NO-USER-MODIFICATION/);
      expect(of('mail')).to.not.match(/NO-USER-MODIFICATION/);
      for (const n of ['uidNumber', 'gidNumber', 'homeDirectory', 'memberOf', 'dirgateSuperuser', 'entryUUID']) expect(of(n), n).to.match(/NO-USER-MODIFICATION/);
    });

    it('anonymous writes are refused with 50', async () => {
      const anon = new Client({ url: server.ldap });
      expect((await codeOf(anon.add(userDn('anon'), { objectClass: 'inetOrgPerson', sn: 'A' }))).code).to.equal(50);
      await anon.unbind();
    });
  });

  describe(`LDAP writes seen by a second instance on ${dialect}`, function () {
    this.timeout(60000);
    let a: BootedServer;
    let b: Running;
    before(async () => {
      a = await bootServer(dialect);
      const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
        'database.url': a.database.url, host: '127.0.0.1', 'http.port': 0, 'ldap.port': 0, 'ldap.ldaps_port': 0,
        'exports.dir': mkdtempSync(join(tmpdir(), 'dirgate-exports-')), 'auth.scrypt_n': 1024, 'log.level': 'silent',
      });
      b = await startServer(config, pino({ level: 'silent' }));
    });
    after(async () => {
      await b?.stop();
      await a?.stop();
    });

    it('an entry added on one instance is read, changed and deactivated on the other at once', async () => {
      const onA = new Client({ url: a.ldap });
      const onB = new Client({ url: `ldap://127.0.0.1:${b.ldapPort}` });
      await onA.bind(userDn('admin'), ADMIN_PASSWORD);
      await onB.bind(userDn('admin'), ADMIN_PASSWORD);
      await onA.add(userDn('twin'), { objectClass: 'inetOrgPerson', sn: 'Twin', userPassword: 'twin-password-1' });
      expect((await onB.search(userDn('twin'), { scope: 'base', attributes: ['sn'] })).searchEntries[0]!.sn).to.equal('Twin');
      expect(await bindOk(`ldap://127.0.0.1:${b.ldapPort}`, userDn('twin'), 'twin-password-1')).to.equal(true);
      await onB.modify(userDn('twin'), change('replace', 'dirgateActive', ['FALSE']));
      expect(await bindOk(a.ldap, userDn('twin'), 'twin-password-1')).to.equal(false);
      await onA.unbind();
      await onB.unbind();
    });
  });

  describe(`LDAP writes with DIRGATE_LDAP_READ_ONLY on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    before(async () => { server = await bootServer(dialect, { 'ldap.read_only': true }); });
    after(async () => { await server?.stop(); });

    it('answers add, modify, delete and modify DN with 53 pointing at SCIM and the admin API', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      for (const op of [
        c.del(userDn('admin')),
        c.add(`cn=x,ou=users,${BASE}`, { objectClass: 'inetOrgPerson', cn: 'x', sn: 'x' }),
        c.modify(userDn('admin'), change('replace', 'title', ['x'])),
        c.modifyDN(userDn('admin'), 'cn=admin2'),
      ]) {
        const r = await codeOf(op);
        expect(r.code).to.equal(53);
        expect(r.message).to.match(/read-only.*SCIM.*admin API/);
      }
      const types = (await c.search('cn=subschema', { scope: 'base', attributes: ['attributeTypes'] })).searchEntries[0]!.attributeTypes as string[];
      expect(types.every((t) => t.includes('NO-USER-MODIFICATION'))).to.equal(true);
      await c.unbind();
      expect(await server.running.services.users.findByUsername('x')).to.equal(null);
    });
  });
}
