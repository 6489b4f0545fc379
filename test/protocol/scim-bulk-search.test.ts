import { expect } from 'chai';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { ERROR, GROUP, LIST, scimClient, USER, type Json, type ScimClient } from './scim-support.js';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';

for (const dialect of dialects()) {
  describe(`SCIM Bulk and .search (${dialect})`, function () {
    let server: BootedServer;
    let scim: ScimClient;

    before(async () => {
      server = await bootServer(dialect, { 'scim.bulk_max_operations': 5, 'scim.bulk_max_payload': 4096 });
      scim = scimClient(server);
    });
    after(async () => { await server?.stop(); });

    it('creates a user and a group holding it through a bulkId reference', async () => {
      const r = await scim.post('/Bulk', {
        schemas: [BULK],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'qwerty', data: { schemas: [USER], userName: 'Alice' } },
          { method: 'POST', path: '/Groups', bulkId: 'ytrewq', data: { schemas: [GROUP], displayName: 'Tour Guides', members: [{ type: 'User', value: 'bulkId:qwerty' }] } },
          { method: 'PATCH', path: '/Users/bulkId:qwerty', data: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'title', value: 'Guide' }] } },
        ],
      });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.schemas).to.deep.equal(['urn:ietf:params:scim:api:messages:2.0:BulkResponse']);
      const [user, group, patch] = r.json.Operations as Json[];
      expect(user).to.include({ method: 'POST', bulkId: 'qwerty', status: '201', version: 'W/"1"' });
      expect(group).to.include({ method: 'POST', bulkId: 'ytrewq', status: '201' });
      expect(patch).to.include({ method: 'PATCH', status: '200' });
      const g = await scim.call('GET', String(group!.location).slice(scim.base.length));
      const userId = String(user!.location).split('/').pop();
      expect(g.json.members.map((m: Json) => m.value)).to.deep.equal([userId]);
      expect((await scim.get(`/Users/${userId}`)).json.title).to.equal('Guide');
    });

    it('reports failed operations, keeps going, and stops after failOnErrors', async () => {
      const ops = [
        { method: 'POST', path: '/Users', bulkId: 'a', data: { userName: 'bulk-a' } },
        { method: 'POST', path: '/Users', bulkId: 'b', data: { userName: 'bulk-a' } },
        { method: 'DELETE', path: '/Users/00000000-0000-4000-8000-000000000000' },
        { method: 'POST', path: '/Users', bulkId: 'c', data: { userName: 'bulk-c' } },
      ];
      const all = await scim.post('/Bulk', { schemas: [BULK], Operations: ops });
      expect(all.json.Operations.map((o: Json) => o.status)).to.deep.equal(['201', '409', '404', '201']);
      expect(all.json.Operations[1].response).to.include({ scimType: 'uniqueness', status: '409' });
      expect(all.json.Operations[1].response.schemas).to.deep.equal([ERROR]);
      const stop = await scim.post('/Bulk', { schemas: [BULK], failOnErrors: 1, Operations: [
        { method: 'POST', path: '/Users', bulkId: 'd', data: { userName: 'bulk-a' } },
        { method: 'POST', path: '/Users', bulkId: 'e', data: { userName: 'bulk-e' } },
      ] });
      expect(stop.json.Operations).to.have.length(1);
      expect((await scim.get('/Users?filter=userName%20eq%20%22bulk-e%22')).json.totalResults).to.equal(0);
      const unresolved = await scim.post('/Bulk', { schemas: [BULK], Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'g', data: { displayName: 'orphans', members: [{ value: 'bulkId:nope' }] } },
      ] });
      expect(unresolved.json.Operations[0].status).to.equal('409');
    });

    it('a failed operation leaves no trace (each runs in its own savepoint)', async () => {
      const r = await scim.post('/Bulk', { schemas: [BULK], Operations: [
        { method: 'POST', path: '/Groups', bulkId: 'half', data: { displayName: 'half-made', members: [{ value: '00000000-0000-4000-8000-000000000000' }] } },
      ] });
      expect(r.json.Operations[0].status).to.equal('400');
      expect((await scim.get('/Groups?filter=displayName%20eq%20%22half-made%22')).json.totalResults).to.equal(0);
    });

    it('enforces maxOperations and maxPayloadSize with 413', async () => {
      const many = Array.from({ length: 6 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `m${i}`, data: { userName: `many-${i}` } }));
      const tooMany = await scim.post('/Bulk', { schemas: [BULK], Operations: many });
      expect(tooMany.status).to.equal(413);
      expect(tooMany.json.schemas).to.deep.equal([ERROR]);
      const big = await scim.post('/Bulk', { schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', bulkId: 'x', data: { userName: 'big', title: 'x'.repeat(5000) } }] });
      expect(big.status).to.equal(413);
      expect((await scim.get('/Users?filter=userName%20eq%20%22many-0%22')).json.totalResults).to.equal(0);
      const bad = await scim.post('/Bulk', { schemas: [BULK], Operations: [{ method: 'GET', path: '/Users' }] });
      expect(bad.status).to.equal(400);
      expect(bad.json.scimType).to.equal('invalidSyntax');
    });

    it('POST /.search at the root returns Users then Groups in one ListResponse', async () => {
      await scim.post('/Groups', { schemas: [GROUP], displayName: 'search-group' });
      const all = await scim.post('/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], count: 100 });
      expect(all.status).to.equal(200);
      expect(all.json.schemas).to.deep.equal([LIST]);
      const types = all.json.Resources.map((r: Json) => r.meta.resourceType);
      expect(types.indexOf('Group')).to.be.greaterThan(types.lastIndexOf('User'));
      expect(all.json.totalResults).to.equal(all.json.Resources.length);
      // displayName exists on both types; userName only on Users (so no Group matches).
      const byName = await scim.post('/.search', { filter: 'displayName eq "search-group"' });
      expect(byName.json.Resources.map((r: Json) => r.meta.resourceType)).to.deep.equal(['Group']);
      const users = await scim.post('/.search', { filter: 'userName eq "alice"', attributes: ['userName'] });
      expect(users.json.Resources).to.deep.equal([{ schemas: [USER], id: users.json.Resources[0].id, userName: 'Alice' }]);
      const page = await scim.post('/.search', { startIndex: all.json.totalResults, count: 1 });
      expect(page.json.Resources[0].meta.resourceType).to.equal('Group');
      const bad = await scim.post('/.search', { filter: 'nonsense eq 1' });
      expect(bad.status).to.equal(400);
      expect(bad.json.scimType).to.equal('invalidFilter');
    });
  });
}
