import { expect } from 'chai';
import { Client } from 'ldapts';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { scimClient, USER } from './scim-support.js';

const BASE = 'dc=example,dc=com';

/** DESIGN.md: LDAP `mail` carries every address of `emails`, primary first, and a filter matches any of them. */
for (const dialect of dialects()) {
  describe(`LDAP mail: every address, primary first, on ${dialect}`, function () {
    this.timeout(60_000);
    let server: BootedServer;
    let ldap: Client;
    before(async () => {
      server = await bootServer(dialect);
      const r = await scimClient(server).post('/Users', {
        schemas: [USER], userName: 'mira',
        emails: [{ value: 'mira.home@example.org', type: 'home' }, { value: 'Mira@Work.example', type: 'work', primary: true }],
      });
      expect(r.status, JSON.stringify(r.json)).to.equal(201);
      ldap = new Client({ url: server.ldap });
      await ldap.bind(`cn=admin,ou=users,${BASE}`, ADMIN_PASSWORD);
    });
    after(async () => {
      await ldap?.unbind().catch(() => undefined);
      await server?.stop();
    });

    it('lists every address in mail, the primary first', async () => {
      const { searchEntries } = await ldap.search(`ou=users,${BASE}`, { scope: 'sub', filter: '(uid=mira)', attributes: ['mail'] });
      expect(searchEntries).to.have.length(1);
      expect(searchEntries[0]!.mail).to.deep.equal(['Mira@Work.example', 'mira.home@example.org']);
    });

    it('matches a filter on any address, ignoring case, and not on one the user lacks', async () => {
      for (const filter of ['(mail=mira.home@example.org)', '(mail=MIRA@work.example)', '(mail=*home*)', '(&(uid=mira)(mail=*))']) {
        const { searchEntries } = await ldap.search(`ou=users,${BASE}`, { scope: 'sub', filter, attributes: ['uid'] });
        expect(searchEntries.map((e) => e.uid), filter).to.deep.equal(['mira']);
      }
      const none = await ldap.search(`ou=users,${BASE}`, { scope: 'sub', filter: '(mail=someone@else.example)', attributes: ['uid'] });
      expect(none.searchEntries).to.deep.equal([]);
      const notHome = await ldap.search(`ou=users,${BASE}`, { scope: 'sub', filter: '(&(uid=mira)(!(mail=mira.home@example.org)))', attributes: ['uid'] });
      expect(notHome.searchEntries).to.deep.equal([]);
    });
  });
}
