/**
 * Server-side sort (RFC 2891) across entry kinds, paged results (RFC 2696) at the boundaries
 * between them, and Compare seeing exactly what search sees.
 */
import { expect } from 'chai';
import { Client, NoSuchObjectError, ServerSideSortingRequestControl } from 'ldapts';
import type { Entry } from 'ldapts';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, groupDn, userDn } from './ldap-support.js';

const PW = 'member-password-1';

/** Code point order of UTF-8 (what both dialects' text columns sort by here). */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

for (const dialect of dialects()) {
  describe(`LDAP sort, paging and compare on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let admin: Client;

    before(async () => {
      server = await bootServer(dialect);
      const { services } = server.running;
      const mk = (username: string, name: string, password?: string) =>
        services.users.create({ username, name, email: `${username}@example.com`, ...(password ? { password } : {}) }, SYSTEM_ACTOR);
      const amy = await mk('amy', 'Zeta Amy', PW);
      await mk('Dan', 'Dan Ant');
      await mk('kim', 'kim Kay');
      await mk('zoe', 'Bo Zoe');
      await mk('mia', 'Mia Mo');
      const eng = await services.groups.create({ name: 'Eels' }, SYSTEM_ACTOR);
      const backend = await services.groups.create({ name: 'bees', parents: [eng.id] }, SYSTEM_ACTOR);
      await services.groups.create({ name: 'owls' }, SYSTEM_ACTOR);
      await services.groups.create({ name: 'lynx' }, SYSTEM_ACTOR);
      await services.groups.changeMembers(backend.id, { addUsers: [amy.id] }, SYSTEM_ACTOR);
      admin = new Client({ url: server.ldap });
      await admin.bind(userDn('admin'), ADMIN_PASSWORD);
    });
    after(async () => {
      await admin?.unbind().catch(() => undefined);
      await server?.stop();
    });

    const sortBy = (attributeType: string, reverseOrder = false) =>
      new ServerSideSortingRequestControl({ value: [{ attributeType, reverseOrder }] });
    const first = (v: Entry[string] | undefined): string | undefined => (Array.isArray(v) ? (v[0] as string | undefined) : (v as string | undefined));

    it('sorts a subtree search on cn as one list across users and groups, entries without cn last', async () => {
      const r = await admin.search(BASE, { scope: 'sub', filter: '(objectClass=*)', attributes: ['cn'] }, sortBy('cn'));
      const cns = r.searchEntries.map((e) => first(e.cn));
      const withCn = cns.filter((c): c is string => c !== undefined);
      expect(withCn).to.have.length(6 + 5); // admin + 5 users, admins + 4 groups
      expect(withCn).to.deep.equal([...withCn].sort((a, b) => byCodePoint(a.toLowerCase(), b.toLowerCase())));
      expect(withCn.slice(0, 4)).to.deep.equal(['admin', 'admins', 'amy', 'bees']); // users and groups interleaved
      expect(cns.slice(withCn.length)).to.deep.equal([undefined, undefined, undefined]); // base, ou=users, ou=groups
      const rev = await admin.search(BASE, { scope: 'sub', filter: '(objectClass=*)', attributes: ['cn'] }, sortBy('cn', true));
      expect(rev.searchEntries.map((e) => first(e.cn))).to.deep.equal([undefined, undefined, undefined, ...[...withCn].reverse()]);
    });

    it('sorted and paged: the merged order survives every page size', async () => {
      const whole = (await admin.search(BASE, { scope: 'sub', filter: '(|(objectClass=person)(objectClass=posixGroup))', attributes: ['1.1'] }, sortBy('cn'))).searchEntries.map((e) => e.dn);
      expect(whole).to.have.length(11);
      const cn = (dn: string) => /^cn=([^,]+)/.exec(dn)![1]!.toLowerCase();
      expect(whole.map(cn)).to.deep.equal(whole.map(cn).sort(byCodePoint)); // one ordering across users and groups
      for (let size = 1; size <= whole.length + 1; size++) {
        const pages: string[][] = [];
        for await (const page of admin.searchPaginated(BASE, { scope: 'sub', filter: '(|(objectClass=person)(objectClass=posixGroup))', attributes: ['1.1'], paged: { pageSize: size } }, sortBy('cn'))) {
          pages.push(page.searchEntries.map((e) => e.dn));
        }
        expect(pages.flat(), `page size ${size}`).to.deep.equal(whole);
        expect(pages.filter((p) => p.length === 0), `empty pages at page size ${size}`).to.deep.equal([]);
      }
    });

    it('sorts on displayName: users by name, then the entries without one', async () => {
      const r = await admin.search(BASE, { scope: 'sub', filter: '(|(objectClass=person)(objectClass=posixGroup))', attributes: ['displayName', 'cn'] }, sortBy('displayName'));
      const names = r.searchEntries.map((e) => first(e.displayName));
      const users = names.filter((n): n is string => n !== undefined);
      expect(users).to.have.length(6);
      expect(names.slice(0, 6)).to.deep.equal([...users].sort((a, b) => byCodePoint(a.toLowerCase(), b.toLowerCase())));
      expect(r.searchEntries.slice(6).map((e) => e.dn)).to.have.members(['admins', 'bees', 'Eels', 'owls', 'lynx'].map(groupDn));
    });

    it('pages end with the empty cookie on the last non-empty page, also where users give way to groups', async () => {
      for (const filter of ['(objectClass=*)', '(|(objectClass=person)(objectClass=posixGroup))', '(objectClass=person)', '(cn=*)']) {
        const whole = (await admin.search(BASE, { scope: 'sub', filter, attributes: ['1.1'] })).searchEntries.map((e) => e.dn);
        expect(whole.length, filter).to.be.greaterThan(3);
        for (let size = 1; size <= whole.length + 1; size++) {
          const pages: string[][] = [];
          for await (const page of admin.searchPaginated(BASE, { scope: 'sub', filter, attributes: ['1.1'], paged: { pageSize: size } })) {
            pages.push(page.searchEntries.map((e) => e.dn));
          }
          expect(pages.flat(), `${filter}, page size ${size}`).to.deep.equal(whole);
          expect(pages.filter((p) => p.length === 0), `${filter}: empty pages at page size ${size}`).to.deep.equal([]);
        }
      }
    });

    it('compare sees the groups search shows a member (nested membership) and answers as search does', async () => {
      const amy = new Client({ url: server.ldap });
      await amy.bind(userDn('amy'), PW);
      try {
        const seen = (await amy.search(BASE, { scope: 'sub', filter: '(objectClass=posixGroup)', attributes: ['cn'] })).searchEntries.map((e) => e.dn);
        expect(seen).to.have.members([groupDn('bees'), groupDn('Eels')]);
        // Eels is visible through bees (its child): compare must see it too.
        expect(await amy.compare(groupDn('Eels'), 'cn', 'eels')).to.equal(true);
        expect(await amy.compare(groupDn('Eels'), 'member', groupDn('bees'))).to.equal(true);
        expect(await amy.compare(groupDn('Eels'), 'uniqueMember', userDn('amy'))).to.equal(false); // direct members only, as search lists them
        expect(await amy.compare(groupDn('bees'), 'memberUid', 'amy')).to.equal(true);
        expect(await amy.compare(groupDn('bees'), 'memberOf', groupDn('Eels'))).to.equal(true);
        let err: unknown;
        try { await amy.compare(groupDn('owls'), 'cn', 'owls'); } catch (e) { err = e; }
        expect(err).to.be.instanceOf(NoSuchObjectError);
        err = undefined;
        try { await amy.compare(userDn('kim'), 'cn', 'kim'); } catch (e) { err = e; }
        expect(err).to.be.instanceOf(NoSuchObjectError);
        expect(await amy.compare(userDn('amy'), 'memberOf', groupDn('bees'))).to.equal(true);
      } finally {
        await amy.unbind().catch(() => undefined);
      }
    });
  });
}
