import { expect } from 'chai';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { GROUP, q, scimClient, userBody, type Json, type ScimClient } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`SCIM Groups (${dialect})`, function () {
    let server: BootedServer;
    let scim: ScimClient;
    const users: Json[] = [];

    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
      for (let i = 0; i < 5; i++) users.push((await scim.post('/Users', userBody(`member-${i}`))).json);
    });
    after(async () => { await server?.stop(); });

    async function group(displayName: string, members: Json[] = []): Promise<Json> {
      const r = await scim.post('/Groups', { schemas: [GROUP], displayName, members });
      expect(r.status, r.text).to.equal(201);
      return r.json;
    }
    const ids = (g: Json) => (g.members ?? []).map((m: Json) => m.value).sort();

    it('POST creates a group with user and group members; GET shows them with $ref, display and type', async () => {
      const child = await group('child-team', [{ value: users[0]!.id }]);
      const r = await scim.post('/Groups', { schemas: [GROUP], displayName: 'Parent Team', externalId: 'g-ext', members: [{ value: users[1]!.id, type: 'User' }, { value: child.id }] });
      expect(r.status).to.equal(201);
      expect(r.headers.get('location')).to.equal(`${scim.base}/Groups/${r.json.id}`);
      expect(r.json).to.include({ displayName: 'Parent Team', externalId: 'g-ext' });
      expect(r.json.meta).to.include({ resourceType: 'Group', location: `${scim.base}/Groups/${r.json.id}` });
      const got = (await scim.get(`/Groups/${r.json.id}`)).json;
      expect(got.members).to.deep.include.members([
        { value: users[1]!.id, $ref: `${scim.base}/Users/${users[1]!.id}`, display: 'member-1', type: 'User' },
        { value: child.id, $ref: `${scim.base}/Groups/${child.id}`, display: 'child-team', type: 'Group' },
      ]);
      // Nested: the child's member is a transitive member of the parent in the store.
      expect(await server.running.services.groups.parentIdsOf(child.id)).to.deep.equal([r.json.id]);
    });

    it('displayName is unique ignoring case (409 uniqueness); unknown members are 400', async () => {
      await group('Unique Name');
      const dup = await scim.post('/Groups', { schemas: [GROUP], displayName: 'unique name' });
      expect(dup.status).to.equal(409);
      expect(dup.json.scimType).to.equal('uniqueness');
      const ghost = await scim.post('/Groups', { schemas: [GROUP], displayName: 'ghosts', members: [{ value: '00000000-0000-4000-8000-000000000000' }] });
      expect(ghost.status).to.equal(400);
      expect(ghost.json.scimType).to.equal('invalidValue');
      expect((await scim.get(`/Groups?filter=${q('displayName eq "ghosts"')}`)).json.totalResults).to.equal(0);
    });

    it('lists with filters on displayName and members.value, excludedAttributes=members, paging', async () => {
      const g = await group('listed', [{ value: users[2]!.id }]);
      const byName = await scim.get(`/Groups?filter=${q('displayName eq "LISTED"')}&excludedAttributes=members`);
      expect(byName.json.totalResults).to.equal(1);
      expect(byName.json.Resources[0]).to.not.have.property('members');
      expect(byName.json.Resources[0].id).to.equal(g.id);
      const byMember = await scim.get(`/Groups?filter=${q(`members.value eq "${users[2]!.id}"`)}`);
      expect(byMember.json.Resources.map((x: Json) => x.id)).to.deep.equal([g.id]);
      const page = await scim.get('/Groups?startIndex=2&count=2');
      expect(page.json).to.include({ startIndex: 2, itemsPerPage: 2 });
      expect(page.json.totalResults).to.be.greaterThan(3);
      const byUserGroups = await scim.get(`/Users?filter=${q(`groups.value eq "${g.id}"`)}&attributes=userName`);
      expect(byUserGroups.json.Resources.map((u: Json) => u.userName)).to.deep.equal(['member-2']);
    });

    it('PATCH: add, remove by value filter, remove with a value list (Entra ID), replace the whole list (Okta)', async () => {
      const g = await group('patched');
      const path = `/Groups/${g.id}`;
      let r = await scim.patch(path, [{ op: 'add', path: 'members', value: [{ value: users[0]!.id }, { value: users[1]!.id }, { value: users[2]!.id }] }]);
      expect(r.status).to.equal(204);
      expect(r.headers.get('etag')).to.equal('W/"2"');
      expect(ids((await scim.get(path)).json)).to.deep.equal([users[0]!.id, users[1]!.id, users[2]!.id].sort());
      r = await scim.patch(path, [{ op: 'remove', path: `members[value eq "${users[0]!.id}"]` }]);
      expect(r.status).to.equal(204);
      r = await scim.patch(path, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[1]!.id }] }]);
      expect(r.status).to.equal(204);
      expect(ids((await scim.get(path)).json)).to.deep.equal([users[2]!.id]);
      r = await scim.patch(path, [{ op: 'replace', path: 'members', value: [{ value: users[3]!.id }, { value: users[4]!.id }] }]);
      expect(ids((await scim.get(path)).json)).to.deep.equal([users[3]!.id, users[4]!.id].sort());
      // Removing a non-member is a no-op, not an error.
      expect((await scim.patch(path, [{ op: 'remove', path: `members[value eq "${users[0]!.id}"]` }])).status).to.equal(204);
      r = await scim.patch(path, [{ op: 'remove', path: 'members[display eq "member-3"]' }]);
      expect(ids((await scim.get(path)).json)).to.deep.equal([users[4]!.id]);
      r = await scim.patch(path, [{ op: 'remove', path: 'members' }]);
      expect(ids((await scim.get(path)).json)).to.deep.equal([]);
    });

    it('PATCH: pathless replace of displayName with the id echoed (Okta); asking for attributes gives 200', async () => {
      const g = await group('okta-renamed');
      const r = await scim.patch(`/Groups/${g.id}?attributes=displayName`, [{ op: 'replace', value: { id: g.id, displayName: 'Okta Renamed', members: [{ value: users[0]!.id }] } }]);
      expect(r.status, r.text).to.equal(200);
      expect(r.json).to.deep.equal({ schemas: [GROUP], id: g.id, displayName: 'Okta Renamed' });
      expect(ids((await scim.get(`/Groups/${g.id}`)).json)).to.deep.equal([users[0]!.id]);
      const other = await scim.patch(`/Groups/${g.id}`, [{ op: 'replace', value: { id: users[0]!.id } }]);
      expect(other.status).to.equal(400);
      expect(other.json.scimType).to.equal('mutability');
    });

    it('a PATCH with one bad operation changes nothing', async () => {
      const g = await group('atomic-group', [{ value: users[0]!.id }]);
      const r = await scim.patch(`/Groups/${g.id}`, [
        { op: 'replace', path: 'displayName', value: 'atomic-renamed' },
        { op: 'add', path: 'members', value: [{ value: users[1]!.id }] },
        { op: 'add', path: 'members', value: [{ value: '00000000-0000-4000-8000-000000000000' }] },
      ]);
      expect(r.status).to.equal(400);
      const after = (await scim.get(`/Groups/${g.id}`)).json;
      expect(after.displayName).to.equal('atomic-group');
      expect(ids(after)).to.deep.equal([users[0]!.id]);
      expect(after.meta.version).to.equal(g.meta.version);
    });

    it('50 concurrent add-member PATCHes on one group all land', async function () {
      this.timeout(60000);
      const g = await group('crowd');
      const people: string[] = [];
      for (let i = 0; i < 50; i++) people.push((await scim.post('/Users', userBody(`crowd-${i}`))).json.id);
      const results = await Promise.all(people.map((id) => scim.patch(`/Groups/${g.id}`, [{ op: 'add', path: 'members', value: [{ value: id }] }])));
      for (const r of results) expect(r.status, r.text).to.equal(204);
      const after = (await scim.get(`/Groups/${g.id}`)).json;
      expect(ids(after)).to.deep.equal([...people].sort());
      expect(after.meta.version).to.equal('W/"51"');
    });

    it('PUT replaces name and membership; If-Match guards it; DELETE removes the group', async () => {
      const g = await group('put-group', [{ value: users[0]!.id }]);
      const stale = await scim.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: 'x' }, { 'If-Match': 'W/"7"' });
      expect(stale.status).to.equal(412);
      const r = await scim.put(`/Groups/${g.id}`, { schemas: [GROUP], id: g.id, displayName: 'put-group-2', members: [{ value: users[1]!.id }] }, { 'If-Match': g.meta.version });
      expect(r.status, r.text).to.equal(200);
      expect(r.json.displayName).to.equal('put-group-2');
      expect(ids(r.json)).to.deep.equal([users[1]!.id]);
      expect((await scim.get(`/Groups/${g.id}`, { 'If-None-Match': r.json.meta.version })).status).to.equal(304);
      expect((await scim.del(`/Groups/${g.id}`)).status).to.equal(204);
      expect((await scim.get(`/Groups/${g.id}`)).status).to.equal(404);
      expect((await scim.del(`/Groups/${g.id}`)).status).to.equal(404);
    });

    it('a membership cycle is refused (409) and changes nothing', async () => {
      const a = await group('cycle-a');
      const b = await group('cycle-b', [{ value: a.id }]);
      const r = await scim.patch(`/Groups/${a.id}`, [{ op: 'add', path: 'members', value: [{ value: b.id }] }]);
      expect(r.status).to.equal(409);
      expect(ids((await scim.get(`/Groups/${a.id}`)).json)).to.deep.equal([]);
    });
  });
}
