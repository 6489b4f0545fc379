import { expect } from 'chai';
import { insertUsers } from '../support/bulk-users.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { GROUP, q, scimClient, type Json, type ScimClient } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`SCIM large groups (${dialect})`, function () {
    this.timeout(180000);
    let server: BootedServer;
    let scim: ScimClient;
    let ids: string[];

    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
      ids = await insertUsers(server.database.db, 40000, 'large');
    });
    after(async () => { await server?.stop(); });

    async function group(displayName: string): Promise<Json> {
      const r = await scim.post('/Groups', { schemas: [GROUP], displayName });
      expect(r.status, r.text).to.equal(201);
      return r.json;
    }

    it('one PATCH adds 1,000 members (SQLite answered 500: a 1,000-term compound SELECT)', async () => {
      const g = await group('thousand');
      const r = await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: ids.slice(0, 1000).map((value) => ({ value })) }]);
      expect(r.status, r.text).to.equal(204);
      const got = await scim.get(`/Groups/${g.id}`);
      expect(got.json.members).to.have.length(1000);
    });

    it('one PATCH adds 40,000 members, a filter finds one of them, one PATCH removes them all', async () => {
      const g = await group('forty-thousand');
      const r = await scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }]);
      expect(r.status, r.text).to.equal(204);
      const excluded = await scim.get(`/Groups/${g.id}?excludedAttributes=members`);
      expect(excluded.json).to.not.have.property('members');
      const full = await scim.get(`/Groups/${g.id}`);
      expect(full.json.members).to.have.length(40000);
      const probe = await scim.get(`/Groups?filter=${q(`members.value eq "${ids[39999]}"`)}&excludedAttributes=members`);
      expect(probe.json.Resources.map((x: Json) => x.id)).to.include(g.id);
      const removed = await scim.patch(`/Groups/${g.id}`, [{ op: 'remove', path: 'members', value: ids.map((value) => ({ value })) }]);
      expect(removed.status, removed.text).to.equal(204);
      expect((await scim.get(`/Groups/${g.id}`)).json.members ?? []).to.have.length(0);
    });

    it('PUT replaces the membership with 40,000 members', async () => {
      const g = await group('put-forty-thousand');
      const r = await scim.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: 'put-forty-thousand', members: ids.map((value) => ({ value })) });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.members).to.have.length(40000);
    });
  });
}
