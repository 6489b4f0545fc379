import { expect } from 'chai';
import { Client, InsufficientAccessError, NoSuchObjectError, ServerSideSortingRequestControl } from 'ldapts';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, dnsOf, groupDn, haveTool, run, seedUsers, userDn, valuesOf } from './ldap-support.js';

const ALICE_PW = 'alice-password-1';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return undefined;
}
const BOB_PW = 'bob-password-22';

for (const dialect of dialects()) {
  describe(`LDAP search on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let admin: Client;
    let backendGid = 0;
    const tools = haveTool('ldapsearch');
    const adminArgs = () => ['-x', '-LLL', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD];

    before(async () => {
      server = await bootServer(dialect);
      const { services } = server.running;
      await seedUsers(services, 500);
      const alice = await services.users.create({ username: 'alice', name: 'Alice Liddell', email: 'alice@example.com', password: ALICE_PW, attributes: { department: 'eng' } }, SYSTEM_ACTOR);
      await services.users.create({ username: 'bob', name: 'Bob', email: 'bob@example.com', password: BOB_PW }, SYSTEM_ACTOR);
      const eng = await services.groups.create({ name: 'engineering' }, SYSTEM_ACTOR);
      const backend = await services.groups.create({ name: 'backend', parents: [eng.id] }, SYSTEM_ACTOR);
      backendGid = 10000 + 1000000 + backend.seq;
      await services.groups.changeMembers(backend.id, { addUsers: [alice.id] }, SYSTEM_ACTOR);
      admin = new Client({ url: server.ldap });
      await admin.bind(userDn('admin'), ADMIN_PASSWORD);
    });
    after(async () => {
      await admin?.unbind().catch(() => undefined);
      await server?.stop();
    });

    async function search(filter: string, base = BASE, attributes?: string[]) {
      const r = await admin.search(base, { scope: 'sub', filter, ...(attributes ? { attributes } : {}) });
      return r.searchEntries;
    }

    it('serves the root DSE to anonymous clients (ldapts)', async () => {
      const c = new Client({ url: server.ldap });
      const r = await c.search('', { scope: 'base', filter: '(objectClass=*)' });
      const e = r.searchEntries[0]!;
      expect(e.namingContexts).to.equal(BASE);
      expect(e.defaultNamingContext).to.equal(BASE);
      expect(e.supportedLDAPVersion).to.equal('3');
      expect(e.supportedControl).to.have.members(['1.2.840.113556.1.4.319', '1.2.840.113556.1.4.473', '1.3.6.1.1.13.1', '1.3.6.1.1.13.2', '1.3.6.1.4.1.42.2.27.8.5.1']);
      expect(e.supportedExtension).to.have.members(['1.3.6.1.4.1.4203.1.11.1', '1.3.6.1.4.1.4203.1.11.3']); // no StartTLS without a certificate
      expect(e.subschemaSubentry).to.equal('cn=subschema');
      expect(e.vendorName).to.equal('dirgate');
      await c.unbind();
    });

    it('serves cn=subschema and refuses anonymous tree searches', async () => {
      const c = new Client({ url: server.ldap });
      const r = await c.search('cn=subschema', { scope: 'base', filter: '(objectClass=*)', attributes: ['attributeTypes', 'objectClasses'] });
      const e = r.searchEntries[0]!;
      expect((e.attributeTypes as string[]).some((t) => t.includes("NAME 'uidNumber'"))).to.equal(true);
      expect((e.objectClasses as string[]).some((t) => t.includes("NAME 'posixAccount'"))).to.equal(true);
      let err: unknown;
      try { await c.search(BASE, { scope: 'sub', filter: '(objectClass=*)' }); } catch (x) { err = x; }
      expect(err).to.be.instanceOf(InsufficientAccessError);
      await c.unbind();
    });

    it('builds user entries as DESIGN.md lists them; operational attributes only on request', async () => {
      const [e] = await search('(uid=alice)');
      expect(e!.dn).to.equal(userDn('alice'));
      expect(e!.objectClass).to.have.members(['top', 'person', 'organizationalPerson', 'inetOrgPerson', 'posixAccount']);
      expect(e!.cn).to.equal('alice');
      expect(e!.displayName).to.equal('Alice Liddell');
      expect(e!.sn).to.equal('Liddell');
      expect(e!.givenName).to.equal('Alice');
      expect(e!.mail).to.equal('alice@example.com');
      expect(e!.memberOf).to.equal(groupDn('backend'));
      expect(e!.homeDirectory).to.equal('/home/alice');
      expect(e!.uidNumber).to.equal(e!.gidNumber);
      expect(e!.department).to.equal('eng');
      expect(e!.dirgateActive).to.equal('TRUE');
      expect(e!.dirgateSuperuser).to.equal('FALSE');
      expect(e).to.not.have.property('entryUUID');
      const [op] = await search('(uid=alice)', BASE, ['+']);
      expect(op!.entryUUID).to.match(/^[0-9a-f-]{36}$/);
      expect(op!.createTimestamp).to.match(/^\d{14}Z$/);
      expect(op).to.not.have.property('cn');
      const [mixed] = await search('(UID=ALICE)', BASE, ['CN', 'entryuuid']);
      expect(Object.keys(mixed!).sort()).to.deep.equal(['cn', 'dn', 'entryUUID']);
      const [none] = await search('(uid=alice)', BASE, ['1.1']);
      // ldapts lists requested attributes even when absent; none may carry a value.
      expect(Object.entries(none!).filter(([k, v]) => k !== 'dn' && (v as unknown[]).length > 0)).to.deep.equal([]);
    });

    it('builds group entries with members, memberUid, gidNumber and parents', async () => {
      const [g] = await search('(cn=backend)', `ou=groups,${BASE}`);
      expect(g!.objectClass).to.have.members(['top', 'groupOfNames', 'groupOfUniqueNames', 'posixGroup']);
      expect(g!.member).to.equal(userDn('alice'));
      expect(g!.uniqueMember).to.equal(userDn('alice'));
      expect(g!.memberUid).to.equal('alice');
      expect(g!.gidNumber).to.equal(String(backendGid));
      expect(g!.memberOf).to.equal(groupDn('engineering'));
      const [eng] = await search('(cn=engineering)', `ou=groups,${BASE}`);
      expect(eng!.member).to.equal(groupDn('backend'));
    });

    it('answers the searches Gitea, Nextcloud and SSSD send', async () => {
      const dns = async (f: string, base = BASE) => (await search(f, base)).map((e) => e.dn);
      expect(await dns('(&(objectClass=person)(|(uid=alice)(mail=alice)))')).to.deep.equal([userDn('alice')]);
      expect(await dns('(&(objectClass=person)(|(uid=alice@example.com)(mail=alice@example.com)))')).to.deep.equal([userDn('alice')]);
      expect(await dns(`(member=${userDn('alice')})`, `ou=groups,${BASE}`)).to.deep.equal([groupDn('backend')]);
      expect(await dns(`(&(objectclass=inetOrgPerson)(memberOf=${groupDn('backend')}))`)).to.deep.equal([userDn('alice')]);
      expect(await dns('(&(uid=alice)(objectclass=posixAccount)(&(uidNumber=*)(!(uidNumber=0))))')).to.deep.equal([userDn('alice')]);
      expect(await dns(`(&(member=${userDn('alice')})(objectClass=posixGroup)(cn=*))`)).to.deep.equal([groupDn('backend')]);
      expect(await dns(`(&(gidNumber=${backendGid})(objectClass=posixGroup))`)).to.deep.equal([groupDn('backend')]);
      expect(await dns('(&(objectclass=posixGroup)(memberUid=alice))')).to.deep.equal([groupDn('backend')]);
    });

    it('memberOf is direct; LDAP_MATCHING_RULE_IN_CHAIN is transitive', async () => {
      const dns = async (f: string) => (await search(f)).map((e) => e.dn);
      expect(await dns(`(memberOf=${groupDn('engineering')})`)).to.deep.equal([groupDn('backend')]);
      expect(await dns(`(&(objectClass=person)(memberOf:1.2.840.113556.1.4.1941:=${groupDn('engineering')}))`)).to.deep.equal([userDn('alice')]);
      expect(await dns(`(member:1.2.840.113556.1.4.1941:=${userDn('alice')})`)).to.have.members([groupDn('backend'), groupDn('engineering')]);
    });

    it('honours scopes from any DN, and noSuchObject with matchedDN', async () => {
      const one = await admin.search(BASE, { scope: 'one', filter: '(objectClass=*)' });
      expect(one.searchEntries.map((e) => e.dn)).to.deep.equal([`ou=users,${BASE}`, `ou=groups,${BASE}`]);
      const base = await admin.search(userDn('bob'), { scope: 'base', filter: '(objectClass=*)' });
      expect(base.searchEntries.map((e) => e.dn)).to.deep.equal([userDn('bob')]);
      const viaUid = await admin.search(`uid=bob,ou=users,${BASE}`, { scope: 'base', filter: '(objectClass=*)' });
      expect(viaUid.searchEntries).to.have.length(1);
      let err: unknown;
      try { await admin.search(userDn('nobody'), { scope: 'base', filter: '(objectClass=*)' }); } catch (x) { err = x; }
      expect(err).to.be.instanceOf(NoSuchObjectError);
      const groups = await admin.search(`ou=groups,${BASE}`, { scope: 'one', filter: '(objectClass=*)', attributes: ['cn'] });
      expect(groups.searchEntries.map((e) => e.cn)).to.have.members(['admins', 'engineering', 'backend']);
    });

    it('pages with real cookies (ldapts) and sorts server-side', async () => {
      const r = await admin.search(`ou=users,${BASE}`, { scope: 'one', filter: '(uid=user*)', attributes: ['uid'], paged: { pageSize: 70 } });
      expect(r.searchEntries).to.have.length(500);
      expect(new Set(r.searchEntries.map((e) => e.uid)).size).to.equal(500);
      const sorted = await admin.search(`ou=users,${BASE}`, { scope: 'one', filter: '(uid=user00*)', attributes: ['uid'], paged: { pageSize: 40 } },
        new ServerSideSortingRequestControl({ value: [{ attributeType: 'uid', reverseOrder: true }] }));
      const uids = sorted.searchEntries.map((e) => e.uid as string);
      expect(uids).to.have.length(99);
      expect(uids).to.deep.equal([...uids].sort().reverse());
    });

    it('shows other users only their own entry and their groups', async () => {
      const bob = new Client({ url: server.ldap });
      await bob.bind(userDn('bob'), BOB_PW);
      const seen = await bob.search(BASE, { scope: 'sub', filter: '(|(objectClass=person)(objectClass=posixGroup))' });
      expect(seen.searchEntries.map((e) => e.dn)).to.deep.equal([userDn('bob')]);
      await bob.unbind();
      const alice = new Client({ url: server.ldap });
      await alice.bind(userDn('alice'), ALICE_PW);
      const hers = await alice.search(BASE, { scope: 'sub', filter: '(|(objectClass=person)(objectClass=posixGroup))' });
      expect(hers.searchEntries.map((e) => e.dn)).to.have.members([userDn('alice'), groupDn('backend'), groupDn('engineering')]);
      await alice.unbind();
      // A role with ldap.search_full_directory opens the whole directory.
      const { services } = server.running;
      const role = await services.roles.create({ name: 'ldap-readers', permissions: ['ldap.search_full_directory'] }, SYSTEM_ACTOR);
      const bobUser = (await services.users.findByUsername('bob'))!;
      await services.roles.assign({ userId: bobUser.id }, role.id, true, SYSTEM_ACTOR);
      const bob2 = new Client({ url: server.ldap });
      await bob2.bind(userDn('bob'), BOB_PW);
      const all = await bob2.search(`ou=users,${BASE}`, { scope: 'one', filter: '(objectClass=person)', attributes: ['1.1'], paged: { pageSize: 200 } });
      expect(all.searchEntries).to.have.length(503);
      await bob2.unbind();
      await services.roles.assign({ userId: bobUser.id }, role.id, false, SYSTEM_ACTOR);
    });

    it('applies permission changes and deactivation to the very next search on an open connection', async () => {
      // No cached permissions (issue 5): the identity is re-checked by every search, through the
      // search statement itself when it returns rows, explicitly when it returns none.
      const { services } = server.running;
      const bobUser = (await services.users.findByUsername('bob'))!;
      const role = await services.roles.create({ name: 'ldap-readers-live', permissions: ['ldap.search_full_directory'] }, SYSTEM_ACTOR);
      const bob = new Client({ url: server.ldap });
      await bob.bind(userDn('bob'), BOB_PW);
      const people = async () => (await bob.search(`ou=users,${BASE}`, { scope: 'one', filter: '(objectClass=person)', attributes: ['1.1'], paged: { pageSize: 200 } })).searchEntries.length;
      const admin = async () => (await bob.search(BASE, { scope: 'sub', filter: '(uid=admin)', attributes: ['1.1'] })).searchEntries.length;
      try {
        expect(await people()).to.equal(1);
        expect(await admin()).to.equal(0);
        await services.roles.assign({ userId: bobUser.id }, role.id, true, SYSTEM_ACTOR);
        expect(await admin()).to.equal(1); // an empty guarded result re-checks, then searches again
        expect(await people()).to.equal(503);
        await services.roles.assign({ userId: bobUser.id }, role.id, false, SYSTEM_ACTOR);
        expect(await people()).to.equal(1); // the guarded statement sees the change itself
        expect(await admin()).to.equal(0);
        await services.users.update(bobUser.id, { isActive: false }, SYSTEM_ACTOR);
        expect(await errorOf(people())).to.be.instanceOf(InsufficientAccessError);
      } finally {
        await services.users.update(bobUser.id, { isActive: true }, SYSTEM_ACTOR);
        await bob.unbind().catch(() => undefined);
      }
    });

    describe('with the OpenLDAP tools', function () {
      before(function () { if (!tools) this.skip(); });

      it('ldapsearch: root DSE', async () => {
        const r = await run('ldapsearch', ['-x', '-LLL', '-H', server.ldap, '-b', '', '-s', 'base']);
        expect(r.code, r.stderr).to.equal(0);
        expect(valuesOf(r.stdout, 'namingContexts')).to.deep.equal([BASE]);
        expect(valuesOf(r.stdout, 'supportedLDAPVersion')).to.deep.equal(['3']);
        expect(valuesOf(r.stdout, 'supportedFeatures')).to.include('1.3.6.1.4.1.4203.1.5.1');
      });

      it('ldapsearch: subtree, and -E pr=50/noprompt over 500 users returns all 500', async () => {
        const sub = await run('ldapsearch', [...adminArgs(), '-b', BASE, '(objectClass=*)', 'dn']);
        expect(sub.code, sub.stderr).to.equal(0);
        expect(dnsOf(sub.stdout)).to.have.length(3 + 503 + 3);
        const paged = await run('ldapsearch', [...adminArgs(), '-E', 'pr=50/noprompt', '-b', `ou=users,${BASE}`, '(uid=user*)', 'uid']);
        expect(paged.code, paged.stderr).to.equal(0);
        const uids = valuesOf(paged.stdout, 'uid');
        expect(uids).to.have.length(500);
        expect(new Set(uids).size).to.equal(500);
      });

      it('ldapsearch: -z size limits answer sizeLimitExceeded with the entries up to the limit', async () => {
        const r = await run('ldapsearch', [...adminArgs(), '-z', '7', '-b', `ou=users,${BASE}`, '(uid=user*)', 'uid']);
        expect(r.code).to.equal(4);
        expect(valuesOf(r.stdout, 'uid')).to.have.length(7);
      });

      it('ldapsearch: + returns the operational attributes', async () => {
        const r = await run('ldapsearch', [...adminArgs(), '-b', userDn('alice'), '-s', 'base', '(objectClass=*)', '+']);
        expect(r.code, r.stderr).to.equal(0);
        expect(valuesOf(r.stdout, 'entryUUID')).to.have.length(1);
        expect(valuesOf(r.stdout, 'modifyTimestamp')).to.have.length(1);
        expect(valuesOf(r.stdout, 'uid')).to.have.length(0);
      });

      it('ldapsearch: the application searches, as the tools send them', async () => {
        const cases: Array<[string, string[]]> = [
          ['(&(objectClass=person)(|(uid=alice)(mail=alice)))', [userDn('alice')]],
          [`(member=${userDn('alice')})`, [groupDn('backend')]],
          [`(&(objectclass=inetOrgPerson)(memberOf=${groupDn('backend')}))`, [userDn('alice')]],
          ['(&(uid=alice)(objectclass=posixAccount)(&(uidNumber=*)(!(uidNumber=0))))', [userDn('alice')]],
          [`(&(member=${userDn('alice')})(objectClass=posixGroup)(cn=*))`, [groupDn('backend')]],
          [`(&(gidNumber=${backendGid})(objectClass=posixGroup))`, [groupDn('backend')]],
          ['(&(objectclass=posixGroup)(memberUid=alice))', [groupDn('backend')]],
          [`(memberOf:1.2.840.113556.1.4.1941:=${groupDn('engineering')})`, [userDn('alice'), groupDn('backend')]],
        ];
        for (const [filter, expected] of cases) {
          const r = await run('ldapsearch', [...adminArgs(), '-b', BASE, filter, 'dn']);
          expect(r.code, `${filter}: ${r.stderr}`).to.equal(0);
          expect(dnsOf(r.stdout), filter).to.have.members(expected);
        }
      });
    });
  });
}
