/**
 * LDAP writes from real clients: the OpenLDAP tools (ldapadd, ldapmodify, ldapdelete,
 * ldapmodrdn, ldappasswd), python ldap3, a replay of Keycloak's WRITABLE federation, and a round
 * trip through SCIM and the admin API.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Attribute, Change, Client } from 'ldapts';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, bindOk, groupDn, haveTool, run, userDn, valuesOf } from './ldap-support.js';

const PYTHON = '/usr/bin/python3';

/** Whether /usr/bin/python3 imports ldap3; under CI=true its absence fails the suite (.ci/run installs python3-ldap3). */
function haveLdap3(): boolean {
  const ok = spawnSync(PYTHON, ['-c', 'import ldap3'], { encoding: 'utf8' }).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error('python3-ldap3 is missing (CI=true forbids skipping)');
  return ok;
}

const change = (operation: 'add' | 'delete' | 'replace', type: string, values: string[] = []) =>
  new Change({ operation, modification: new Attribute({ type, values }) });

for (const dialect of dialects()) {
  describe(`LDAP writes from real clients on ${dialect}`, function () {
    this.timeout(90000);
    let server: BootedServer;
    let dir: string;
    const tools = haveTool('ldapadd') && haveTool('ldapmodify') && haveTool('ldapdelete') && haveTool('ldapmodrdn') && haveTool('ldappasswd');
    const python = haveLdap3();
    const asAdmin = () => ['-x', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD];
    const ldif = (name: string, text: string) => {
      const file = join(dir, name);
      writeFileSync(file, text);
      return file;
    };
    const search = (dn: string, ...attrs: string[]) => run('ldapsearch', [...asAdmin(), '-LLL', '-b', dn, '-s', 'base', ...attrs]);

    before(async () => {
      server = await bootServer(dialect);
      dir = mkdtempSync(join(tmpdir(), 'dirgate-ldap-write-'));
    });
    after(async () => {
      await server?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    describe('the OpenLDAP tools', function () {
      before(function () { if (!tools) this.skip(); });

      it('ldapadd a user and a group; ldappasswd for the new user; ldapmodify several changes, one invalid → nothing applied', async () => {
        const add = await run('ldapadd', [...asAdmin(), '-f', ldif('add.ldif', [
          `dn: cn=ivy,ou=users,${BASE}`, 'objectClass: inetOrgPerson', 'objectClass: posixAccount', 'cn: ivy', 'uid: ivy',
          'sn: Green', 'givenName: Ivy', 'mail: ivy@example.com', 'userPassword: ivy-password-1', 'title: Botanist', '',
          `dn: cn=gardeners,ou=groups,${BASE}`, 'objectClass: groupOfNames', 'cn: gardeners', `member: cn=ivy,ou=users,${BASE}`, '',
        ].join('\n'))]);
        expect(add.code, add.stderr).to.equal(0);
        const pw = await run('ldappasswd', ['-x', '-H', server.ldap, '-D', userDn('ivy'), '-w', 'ivy-password-1', '-a', 'ivy-password-1', '-s', 'ivy-password-2']);
        expect(pw.code, pw.stderr).to.equal(0);
        expect(await bindOk(server.ldap, userDn('ivy'), 'ivy-password-2')).to.equal(true);

        const bad = await run('ldapmodify', [...asAdmin(), '-f', ldif('bad.ldif', [
          `dn: cn=ivy,ou=users,${BASE}`, 'changetype: modify', 'replace: title', 'title: Head Gardener', '-',
          'replace: displayName', 'displayName: Ivy G.', '-', 'replace: mail', 'mail: not-an-address', '-', '',
        ].join('\n'))]);
        expect(bad.code).to.equal(21); // ldapmodify exits with the result code
        expect(bad.stderr).to.match(/mail/);
        const after = await search(userDn('ivy'), 'title', 'displayName', 'mail');
        expect(valuesOf(after.stdout, 'title')).to.deep.equal(['Botanist']);
        expect(valuesOf(after.stdout, 'displayName')).to.deep.equal(['Ivy Green']);

        const good = await run('ldapmodify', [...asAdmin(), '-f', ldif('good.ldif', [
          `dn: cn=ivy,ou=users,${BASE}`, 'changetype: modify', 'replace: title', 'title: Head Gardener', '-',
          'add: telephoneNumber', 'telephoneNumber: +1 555 0100', '-', '',
          `dn: cn=gardeners,ou=groups,${BASE}`, 'changetype: modify', 'add: memberUid', 'memberUid: admin', '-', '',
        ].join('\n'))]);
        expect(good.code, good.stderr).to.equal(0);
        expect(valuesOf((await search(userDn('ivy'), 'title')).stdout, 'title')).to.deep.equal(['Head Gardener']);
        expect(valuesOf((await search(groupDn('gardeners'), 'memberUid')).stdout, 'memberUid')).to.deep.equal(['admin', 'ivy']);
      });

      it('Pre-Read and Post-Read controls (RFC 4527) through ldapmodify -e', async () => {
        const r = await run('ldapmodify', [...asAdmin(), '-e', '!preread=title,mail', '-e', '!postread=title,modifyTimestamp', '-f', ldif('read.ldif', [
          `dn: cn=ivy,ou=users,${BASE}`, 'changetype: modify', 'replace: title', 'title: Chief Gardener', '-', '',
        ].join('\n'))]);
        expect(r.code, r.stderr).to.equal(0);
        // ldapmodify prints each control's entry: the title before, then after.
        const out = r.stdout.replace(/\n /g, '');
        expect(out).to.match(/==> preread/);
        expect(out).to.match(/==> postread/);
        const pre = out.slice(out.indexOf('==> preread'), out.indexOf('==> postread'));
        const post = out.slice(out.indexOf('==> postread'));
        expect(pre, out).to.match(/title: Head Gardener/);
        expect(pre).to.match(/mail: ivy@example.com/);
        expect(post).to.match(/title: Chief Gardener/);
        expect(post).to.match(/modifyTimestamp: \d{14}Z/);
        expect(post).to.not.match(/mail:/);
        const root = await run('ldapsearch', ['-x', '-H', server.ldap, '-LLL', '-b', '', '-s', 'base', 'supportedControl']);
        expect(valuesOf(root.stdout, 'supportedControl')).to.include.members(['1.3.6.1.1.13.1', '1.3.6.1.1.13.2']);
      });

      it('ldapmodrdn -r renames; ldapdelete deletes', async () => {
        const mv = await run('ldapmodrdn', [...asAdmin(), '-r', userDn('ivy'), 'cn=ivy2']);
        expect(mv.code, mv.stderr).to.equal(0);
        expect(valuesOf((await search(userDn('ivy2'), 'uid')).stdout, 'uid')).to.deep.equal(['ivy2']);
        const keep = await run('ldapmodrdn', [...asAdmin(), userDn('ivy2'), 'cn=ivy3']);
        expect(keep.code).to.equal(19); // deleteoldrdn FALSE cannot keep a second name
        const del = await run('ldapdelete', [...asAdmin(), userDn('ivy2'), groupDn('gardeners')]);
        expect(del.code, del.stderr).to.equal(0);
        expect(await server.running.services.users.findByUsername('ivy2')).to.equal(null);
        expect(await server.running.services.groups.findByName('gardeners')).to.equal(null);
      });
    });

    describe('python ldap3', function () {
      before(function () { if (!python) this.skip(); });

      it('add, modify (MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE), modify_dn, delete', async () => {
        const script = ldif('client.py', `
import json, sys
from ldap3 import Server, Connection, NONE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE
host, port, base, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
# roomNumber is a custom attribute here: cn=subschema does not define it, and ldap3 checks names against the schema it reads.
c = Connection(Server(host, port=port, get_info=NONE), 'cn=admin,ou=users,' + base, password, auto_bind=True)
out = {}
def step(name, ok):
    out[name] = [ok, c.result['result'], c.result['message']]
step('add', c.add('cn=pyuser,ou=users,' + base, ['inetOrgPerson', 'organizationalPerson'],
                  {'sn': 'Python', 'givenName': 'Monty', 'mail': 'py@example.com', 'userPassword': 'py-password-1', 'roomNumber': ['1', '2']}))
step('modify', c.modify('cn=pyuser,ou=users,' + base, {
    'roomNumber': [(MODIFY_DELETE, ['1']), (MODIFY_ADD, ['3'])],
    'mail': [(MODIFY_REPLACE, ['monty@example.com'])],
}))
step('bad', c.modify('cn=pyuser,ou=users,' + base, {'mail': [(MODIFY_REPLACE, ['x'])], 'roomNumber': [(MODIFY_REPLACE, ['9'])]}))
c.search('cn=pyuser,ou=users,' + base, '(objectClass=*)', attributes=['roomNumber', 'mail', 'displayName'])
e = c.entries[0]
out['entry'] = {'roomNumber': sorted(e.roomNumber.values), 'mail': e.mail.value, 'displayName': e.displayName.value}
step('modify_dn', c.modify_dn('cn=pyuser,ou=users,' + base, 'cn=pyuser2'))
step('delete', c.delete('cn=pyuser2,ou=users,' + base))
print(json.dumps(out))
`);
        const r = await run(PYTHON, [script, '127.0.0.1', String(server.ldapPort), BASE, ADMIN_PASSWORD]);
        expect(r.code, r.stderr).to.equal(0);
        const out = JSON.parse(r.stdout) as Record<string, unknown>;
        expect(out.add).to.deep.include.members([true, 0]);
        expect(out.modify).to.deep.include.members([true, 0]);
        expect((out.bad as unknown[])[1]).to.equal(21);
        expect(out.entry).to.deep.equal({ roomNumber: ['2', '3'], mail: 'monty@example.com', displayName: 'Monty Python' });
        expect(out.modify_dn).to.deep.include.members([true, 0]);
        expect(out.delete).to.deep.include.members([true, 0]);
        expect(await server.running.services.users.findByUsername('pyuser2')).to.equal(null);
      });
    });

    it('Keycloak WRITABLE replay: create, Password Modify, password by attribute, profile update, group by member', async () => {
      const s = server.running.services;
      // The federation's bind account: a service account with the permissions the writes need, not a superuser.
      const svc = await s.users.create({ username: 'keycloak', password: 'keycloak-password', type: 'service_account' }, SYSTEM_ACTOR);
      const role = await s.roles.create({ name: 'keycloak-federation', permissions: ['user.view', 'user.add', 'user.change', 'user.set_password', 'user.delete', 'group.view', 'group.add', 'group.change', 'ldap.search_full_directory'] }, SYSTEM_ACTOR);
      await s.roles.assign({ userId: svc.id }, role.id, true, SYSTEM_ACTOR);
      const kc = new Client({ url: server.ldap });
      await kc.bind(userDn('keycloak'), 'keycloak-password');
      // LDAPIdentityStore.add: the RDN attribute (uid), the user object classes, the mappers' attributes;
      // mandatory ones without a value are sent as " " (EMPTY_ATTRIBUTE_VALUE), and with sync registrations
      // and Password Modify a random userPassword (the "random initial password" hardcoded mapper).
      const dn = `uid=kcuser,ou=users,${BASE}`;
      await kc.add(dn, {
        objectClass: ['inetOrgPerson', 'organizationalPerson'], uid: 'kcuser', cn: 'kcuser', sn: ' ', givenName: 'Kay',
        mail: 'kay@example.com', userPassword: 'Zrandom-initial-0123456789',
      });
      // It reads the entry back for its UUID attribute (entryUUID).
      const back = await kc.search(dn, { scope: 'base', attributes: ['entryUUID', 'createTimestamp', 'modifyTimestamp'] });
      expect(back.searchEntries[0]!.entryUUID).to.equal((await s.users.findByUsername('kcuser'))!.id);
      // LDAPOperationManager.passwordModifyExtended: userIdentity = the DN, newPasswd, no oldPasswd.
      await kc.exop('1.3.6.1.4.1.4203.1.11.1', pwdModify(dn, 'kay-password-1'));
      expect(await bindOk(server.ldap, userDn('kcuser'), 'kay-password-1')).to.equal(true);
      // Without the extension: a REPLACE of userPassword.
      await kc.modify(dn, change('replace', 'userPassword', ['kay-password-2']));
      expect(await bindOk(server.ldap, userDn('kcuser'), 'kay-password-2')).to.equal(true);
      // A profile update replaces the mapped attributes that changed.
      await kc.modify(dn, [change('replace', 'sn', ['Kayson']), change('replace', 'mail', ['kay@corp.example.com'])]);
      const u = (await s.users.findByUsername('kcuser'))!;
      expect(u.email).to.equal('kay@corp.example.com');
      expect(u.name).to.equal('Kay Kayson');
      // Group mapper: groups are created with the membership placeholder, members added and removed by `member`.
      await kc.add(groupDn('kc-group'), { objectClass: ['groupOfNames'], cn: 'kc-group', member: 'cn=empty-membership-placeholder' });
      await kc.modify(groupDn('kc-group'), change('add', 'member', [dn]));
      const added = await kc.modify(groupDn('kc-group'), change('add', 'member', [dn])).then(() => 0, (e: { code: number }) => e.code);
      expect([0, 20]).to.include(added); // Keycloak catches AttributeInUseException either way
      expect((await s.groups.memberIds((await s.groups.findByName('kc-group'))!.id))).to.deep.equal([u.id]);
      await kc.modify(groupDn('kc-group'), [change('delete', 'member', [dn]), change('add', 'member', ['cn=empty-membership-placeholder'])]);
      expect((await s.groups.memberIds((await s.groups.findByName('kc-group'))!.id))).to.deep.equal([]);
      // The federation account may not touch a superuser.
      const refused = await kc.modify(userDn('admin'), change('replace', 'userPassword', ['taken-over-1'])).then(() => 0, (e: { code: number }) => e.code);
      expect(refused).to.equal(50);
      await kc.unbind();
    });

    it('round trip: created over LDAP, read over SCIM and the admin API, changed over SCIM, read over LDAP', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      await c.add(userDn('round'), { objectClass: 'inetOrgPerson', sn: 'Trip', givenName: 'Round', mail: 'round@example.com', costCenter: '42' });
      const auth = { Authorization: `Bearer ${server.token}` };
      const list = await (await fetch(`${server.http}/scim/v2/Users?filter=${encodeURIComponent('userName eq "round"')}`, { headers: auth })).json() as { Resources: Array<Record<string, unknown>> };
      const scimUser = list.Resources[0]!;
      expect(scimUser.displayName).to.equal('Round Trip');
      const id = String(scimUser.id);
      const first = await fetch(`${server.http}/scim/v2/Users/${id}`, { headers: auth });
      const etag1 = first.headers.get('etag');
      const adminUser = await (await fetch(`${server.http}/api/v1/users/${id}`, { headers: auth })).json() as Record<string, unknown>;
      expect(adminUser.email).to.equal('round@example.com');
      expect((adminUser.attributes as Record<string, unknown>).costCenter).to.equal('42');

      await c.modify(userDn('round'), change('replace', 'costCenter', ['43']));
      const second = await fetch(`${server.http}/scim/v2/Users/${id}`, { headers: auth });
      expect(second.headers.get('etag')).to.not.equal(etag1);

      const patch = await fetch(`${server.http}/scim/v2/Users/${id}`, {
        method: 'PATCH', headers: { ...auth, 'content-type': 'application/scim+json' },
        body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', path: 'displayName', value: 'Round Trip II' }] }),
      });
      expect(patch.status).to.equal(200);
      const e = (await c.search(userDn('round'), { scope: 'base', attributes: ['displayName', 'costCenter'] })).searchEntries[0]!;
      expect(e.displayName).to.equal('Round Trip II');
      expect(e.costCenter).to.equal('43');
      await c.unbind();
    });
  });
}

/** PasswdModifyRequestValue (RFC 3062): [0] userIdentity, [2] newPasswd. */
function pwdModify(identity: string, password: string): Buffer {
  const part = (tag: number, v: string) => { const b = Buffer.from(v); return Buffer.concat([Buffer.from([tag, b.length]), b]); };
  const body = Buffer.concat([part(0x80, identity), part(0x82, password)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}
