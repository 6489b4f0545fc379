import { expect } from 'chai';
import { Client } from 'ldapts';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { DIRGATE, ENTERPRISE, ERROR, LIST, q, scimClient, USER, userBody, type Json, type ScimClient } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`SCIM Users (${dialect})`, function () {
    let server: BootedServer;
    let scim: ScimClient;

    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
    });
    after(async () => { await server?.stop(); });

    async function create(userName: string, extra: Json = {}): Promise<Json> {
      const r = await scim.post('/Users', userBody(userName, extra));
      expect(r.status, r.text).to.equal(201);
      return r.json;
    }

    describe('create and read', () => {
      it('POST maps SCIM onto the user and answers 201 with meta, Location and ETag', async () => {
        const r = await scim.post('/Users', {
          schemas: [USER, ENTERPRISE],
          userName: 'jane.doe@example.com',
          externalId: 'ext-1',
          name: { givenName: 'Jane', familyName: 'Doe', middleName: 'Q' },
          displayName: 'Jane Doe',
          emails: [{ value: 'jane.home@example.org', type: 'home' }, { value: 'jane@example.com', type: 'work', primary: true }],
          phoneNumbers: [{ value: '+1 555 0100', type: 'work' }],
          title: 'Engineer',
          userType: 'external',
          active: true,
          password: 'correct horse battery staple',
          [ENTERPRISE]: { employeeNumber: '701984', department: 'Tour Operations', manager: { value: 'mgr-1' } },
          [DIRGATE]: { path: 'users/contractors', attributes: { shoeSize: 44 } },
        });
        expect(r.status, r.text).to.equal(201);
        const u = r.json;
        expect(r.headers.get('location')).to.equal(`${scim.base}/Users/${u.id}`);
        expect(r.headers.get('etag')).to.equal('W/"1"');
        expect(u).to.include({ userName: 'jane.doe@example.com', externalId: 'ext-1', displayName: 'Jane Doe', userType: 'external', active: true, title: 'Engineer' });
        expect(u.password).to.equal(undefined);
        // name.formatted is kept as sent (here: not sent), apart from displayName (DESIGN.md "Field meaning").
        expect(u.name).to.deep.equal({ givenName: 'Jane', familyName: 'Doe', middleName: 'Q' });
        expect(u.emails).to.have.length(2);
        expect(u[ENTERPRISE]).to.deep.include({ employeeNumber: '701984', department: 'Tour Operations' });
        expect(u[ENTERPRISE].manager.value).to.equal('mgr-1');
        expect(u[DIRGATE]).to.deep.equal({ path: 'users/contractors', type: 'external', attributes: { shoeSize: 44 } });
        expect(u.meta).to.include({ resourceType: 'User', location: `${scim.base}/Users/${u.id}`, version: 'W/"1"' });
        expect(Date.parse(u.meta.created)).to.be.a('number').and.not.NaN;
        expect(u.schemas).to.include.members([USER, ENTERPRISE, DIRGATE]);

        // The domain record behind it: the primary email, the name, the attributes the query engine filters on.
        const stored = await server.running.services.users.get(u.id);
        expect(stored).to.include({ username: 'jane.doe@example.com', email: 'jane@example.com', name: 'Jane Doe', path: 'users/contractors', type: 'external' });
        expect(stored.attributes).to.deep.include({ givenName: 'Jane', familyName: 'Doe', department: 'Tour Operations', manager: 'mgr-1', shoeSize: 44 });
        expect(stored.hasPassword).to.equal(true);
        const check = await server.running.services.auth.checkPassword('jane.doe@example.com', 'correct horse battery staple', {}, 'test');
        expect(check.ok).to.equal(true);
      });

      it('GET /Users/{id} returns the user with its groups; unknown ids are 404', async () => {
        const u = await create('reader');
        const g = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'readers', members: [{ value: u.id }] });
        const r = await scim.get(`/Users/${u.id}`);
        expect(r.status).to.equal(200);
        expect(r.json.groups).to.deep.equal([{ value: g.json.id, $ref: `${scim.base}/Groups/${g.json.id}`, display: 'readers', type: 'direct' }]);
        for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
          const missing = await scim.get(`/Users/${id}`);
          expect(missing.status).to.equal(404);
          expect(missing.json).to.include({ status: '404' });
          expect(missing.json.schemas).to.deep.equal([ERROR]);
        }
      });

      it('a list carries each user\'s groups exactly as GET /Users/{id} does (read with the page)', async () => {
        const none = await create('lister-none');
        const one = await create('lister-one');
        const three = await create('lister-three');
        for (const [name, members] of [['Zeta listers', [one, three]], ['alpha listers', [three]], ['Émile listers', [three]]] as const) {
          const g = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name, members: members.map((m) => ({ value: m.id })) });
          expect(g.status, g.text).to.equal(201);
        }
        const single = async (u: Json) => (await scim.get(`/Users/${u.id}`)).json.groups;
        expect(await single(none)).to.deep.equal([]);
        expect((await single(three)).map((g: Json) => g.display)).to.deep.equal(['alpha listers', 'Zeta listers', 'Émile listers']);
        for (const query of ['filter=' + q('userName sw "lister-"'), 'filter=' + q('userName sw "lister-"') + '&sortBy=userName&sortOrder=descending', 'filter=' + q('userName sw "lister-"') + '&count=2&startIndex=2']) {
          const list = await scim.get(`/Users?${query}`);
          expect(list.status, list.text).to.equal(200);
          expect(list.json.Resources.length, query).to.be.greaterThan(0);
          for (const r of list.json.Resources) expect(r.groups, `${query}: ${r.userName}`).to.deep.equal(await single(r));
        }
        const sorted = await scim.get(`/Users?filter=${q('userName sw "lister-"')}&sortBy=userName&sortOrder=descending`);
        expect(sorted.json.Resources.map((r: Json) => r.userName)).to.deep.equal(['lister-three', 'lister-one', 'lister-none']);
        const paged = await scim.get(`/Users?filter=${q('userName sw "lister-"')}&sortBy=userName&count=2&startIndex=2`);
        expect(paged.json).to.include({ totalResults: 3, startIndex: 2, itemsPerPage: 2 });
        expect(paged.json.Resources.map((r: Json) => r.userName)).to.deep.equal(['lister-one', 'lister-three']);
        const without = await scim.get(`/Users?filter=${q('userName eq "lister-three"')}&excludedAttributes=groups`);
        expect(without.json.Resources[0].groups).to.equal(undefined);
        const only = await scim.get(`/Users?filter=${q('userName eq "lister-three"')}&attributes=groups`);
        expect(only.json.Resources[0].groups).to.have.length(3);
      });

      it('a duplicate userName, ignoring case, is 409 uniqueness', async () => {
        await create('Dup.User');
        const r = await scim.post('/Users', userBody('dup.user'));
        expect(r.status).to.equal(409);
        expect(r.json).to.include({ status: '409', scimType: 'uniqueness' });
      });

      it('bad values are 400 invalidValue; unknown attributes too', async () => {
        for (const body of [
          userBody('bad1', { emails: [{ value: 'not an email' }] }),
          userBody('bad2', { userType: 'robot' }),
          userBody('bad3', { active: 'maybe' }),
          { schemas: [USER] },
          userBody('bad4', { favouriteColour: 'blue' }),
        ]) {
          const r = await scim.post('/Users', body);
          expect(r.status, JSON.stringify(body)).to.equal(400);
          expect(r.json.scimType).to.equal('invalidValue');
        }
      });
    });

    describe('list', () => {
      before(async () => {
        for (let i = 0; i < 12; i++) await create(`list-${String(i).padStart(2, '0')}`, { emails: [{ value: `l${i}@list.example`, primary: true }], active: i % 3 !== 0 });
      });

      it('filters through the query engine (userName ignoring case, externalId, emails, active)', async () => {
        const byName = await scim.get(`/Users?filter=${q('userName eq "LIST-03"')}`);
        expect(byName.json.schemas).to.deep.equal([LIST]);
        expect(byName.json.totalResults).to.equal(1);
        expect(byName.json.Resources[0].userName).to.equal('list-03');
        const inactive = await scim.get(`/Users?filter=${q('userName sw "list-" and active eq false')}`);
        expect(inactive.json.totalResults).to.equal(4);
        const email = await scim.get(`/Users?filter=${q('emails[primary eq true and value co "l7@"]')}`);
        expect(email.json.Resources.map((u: Json) => u.userName)).to.deep.equal(['list-07']);
        // The elements were sent without a type, and are kept so.
        const typed = await scim.get(`/Users?filter=${q('emails[type eq "work" and value co "l7@"]')}`);
        expect(typed.json.totalResults).to.equal(0);
        const none = await scim.get(`/Users?filter=${q('userName eq "nobody"')}`);
        expect(none.status).to.equal(200);
        expect(none.json).to.include({ totalResults: 0, itemsPerPage: 0, startIndex: 1 });
        expect(none.json.Resources).to.deep.equal([]);
      });

      it('pages with startIndex/count in a stable order, and sorts', async () => {
        const seen: string[] = [];
        for (let start = 1; start <= 12; start += 5) {
          const page = await scim.get(`/Users?filter=${q('userName sw "list-"')}&startIndex=${start}&count=5`);
          expect(page.json).to.include({ totalResults: 12, startIndex: start });
          expect(page.json.itemsPerPage).to.equal(page.json.Resources.length);
          seen.push(...page.json.Resources.map((u: Json) => u.userName));
        }
        expect(seen).to.have.length(12);
        expect(new Set(seen).size).to.equal(12);
        const sorted = await scim.get(`/Users?filter=${q('userName sw "list-"')}&sortBy=userName&sortOrder=descending&count=3`);
        expect(sorted.json.Resources.map((u: Json) => u.userName)).to.deep.equal(['list-11', 'list-10', 'list-09']);
        const badSort = await scim.get('/Users?sortBy=favouriteColour');
        expect(badSort.status).to.equal(400);
        const zero = await scim.get(`/Users?filter=${q('userName sw "list-"')}&count=0`);
        expect(zero.json).to.include({ totalResults: 12, itemsPerPage: 0 });
      });

      it('attributes and excludedAttributes shape the resources', async () => {
        const only = await scim.get(`/Users?filter=${q('userName eq "list-01"')}&attributes=userName,emails.value`);
        expect(only.json.Resources[0]).to.have.keys(['schemas', 'id', 'userName', 'emails']);
        expect(only.json.Resources[0].emails).to.deep.equal([{ value: 'l1@list.example' }]);
        const without = await scim.get(`/Users?filter=${q('userName eq "list-01"')}&excludedAttributes=groups,meta,${DIRGATE}`);
        expect(without.json.Resources[0]).to.not.have.any.keys(['groups', 'meta', DIRGATE]);
        expect(without.json.Resources[0]).to.include.keys(['id', 'userName', 'active']);
      });

      it('a bad filter is 400 invalidFilter', async () => {
        for (const f of ['userName eq', 'favouriteColour eq "blue"', 'active gt true']) {
          const r = await scim.get(`/Users?filter=${q(f)}`);
          expect(r.status, f).to.equal(400);
          expect(r.json.scimType).to.equal('invalidFilter');
        }
        // Over the query engine's node limit (512 terms): refused while parsing.
        const long = await scim.post('/Users/.search', { filter: Array.from({ length: 600 }, (_, i) => `userName eq "u${i}"`).join(' or ') });
        expect(long.status).to.equal(400);
        expect(long.json.scimType).to.equal('invalidFilter');
      });

      it('POST /Users/.search takes the same parameters in a SearchRequest', async () => {
        const r = await scim.post('/Users/.search', {
          schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
          filter: 'userName sw "list-1"', attributes: ['userName'], sortBy: 'userName', startIndex: 1, count: 10,
        });
        expect(r.status).to.equal(200);
        expect(r.json.Resources.map((u: Json) => u.userName)).to.deep.equal(['list-10', 'list-11']);
      });
    });

    describe('PUT', () => {
      it('replaces what the body carries; id and meta are read-only', async () => {
        const u = await create('put-user', { name: { givenName: 'Put', familyName: 'User' }, title: 'Old', emails: [{ value: 'put@example.com' }], [DIRGATE]: { attributes: { keep: 1 } } });
        const r = await scim.put(`/Users/${u.id}`, {
          schemas: [USER], id: u.id, userName: 'put-user', name: { givenName: 'Putt' }, displayName: 'Putt',
          meta: { resourceType: 'User', created: '2000-01-01T00:00:00Z' }, active: true,
        });
        expect(r.status, r.text).to.equal(200);
        expect(r.json.title).to.equal(undefined);
        expect(r.json.emails).to.equal(undefined);
        expect(r.json.name).to.deep.equal({ givenName: 'Putt' });
        expect(r.json.meta.created).to.equal(u.meta.created);
        expect(r.json[DIRGATE].attributes).to.deep.equal({ keep: 1 });
        expect(r.json.meta.version).to.equal('W/"2"');
        const other = await scim.put(`/Users/${u.id}`, { schemas: [USER], id: '00000000-0000-4000-8000-000000000000', userName: 'put-user' });
        expect(other.status).to.equal(400);
        expect(other.json.scimType).to.equal('mutability');
        const unknown = await scim.put('/Users/00000000-0000-4000-8000-000000000000', userBody('x'));
        expect(unknown.status).to.equal(404);
      });

      it('an unchanged PUT writes nothing (the version stays)', async () => {
        const u = await create('put-same', { active: true });
        const r = await scim.put(`/Users/${u.id}`, userBody('put-same', { active: true }));
        expect(r.json.meta.version).to.equal(u.meta.version);
      });
    });

    describe('PATCH', () => {
      it('add / replace / remove with paths, value filters and sub-attributes', async () => {
        const u = await create('patch-user', { emails: [{ value: 'a@example.com', type: 'work', primary: true }, { value: 'b@example.com', type: 'home' }] });
        const r = await scim.patch(`/Users/${u.id}`, [
          { op: 'replace', path: 'emails[type eq "work"].value', value: 'a2@example.com' },
          { op: 'add', path: 'phoneNumbers', value: [{ value: '+1 555 0101', type: 'mobile' }] },
          { op: 'add', path: 'name.givenName', value: 'Pat' },
          { op: 'replace', path: 'displayName', value: 'Pat Ch' },
          { op: 'remove', path: 'emails[type eq "home"]' },
          { op: 'add', path: 'title', value: 'Boss' },
          { op: 'remove', path: 'title' },
        ]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.emails).to.deep.equal([{ value: 'a2@example.com', type: 'work', primary: true }]);
        expect(r.json.phoneNumbers).to.deep.equal([{ value: '+1 555 0101', type: 'mobile' }]);
        expect(r.json.name.givenName).to.equal('Pat');
        expect(r.json.displayName).to.equal('Pat Ch');
        expect(r.json.title).to.equal(undefined);
        const stored = await server.running.services.users.get(u.id);
        expect(stored.email).to.equal('a2@example.com');
        expect(stored.name).to.equal('Pat Ch');
      });

      it('enterprise extension paths, and the whole extension object', async () => {
        const u = await create('ent-user');
        let r = await scim.patch(`/Users/${u.id}`, [
          { op: 'add', path: `${ENTERPRISE}:department`, value: 'Sales' },
          { op: 'add', path: `${ENTERPRISE}:manager`, value: { value: 'boss-id' } },
          { op: 'add', path: ENTERPRISE, value: { employeeNumber: '42', costCenter: 'CC1' } },
        ]);
        expect(r.json[ENTERPRISE]).to.deep.include({ department: 'Sales', employeeNumber: '42', costCenter: 'CC1' });
        expect(r.json[ENTERPRISE].manager.value).to.equal('boss-id');
        const byDept = await scim.get(`/Users?filter=${q(`${ENTERPRISE}:department eq "sales"`)}`);
        expect(byDept.json.Resources.map((x: Json) => x.id)).to.deep.equal([u.id]);
        r = await scim.patch(`/Users/${u.id}`, [{ op: 'remove', path: `${ENTERPRISE}:manager` }, { op: 'remove', path: `${ENTERPRISE}:costCenter` }]);
        expect(r.json[ENTERPRISE]).to.deep.equal({ department: 'Sales', employeeNumber: '42' });
        r = await scim.patch(`/Users/${u.id}`, [{ op: 'remove', path: ENTERPRISE }]);
        expect(r.json[ENTERPRISE]).to.equal(undefined);
      });

      it('replace without a path: partial resource, dotted keys (Entra ID) and URN keys', async () => {
        const u = await create('pathless', { name: { givenName: 'A', familyName: 'B' } });
        const r = await scim.patch(`/Users/${u.id}`, [{
          op: 'replace',
          value: { displayName: 'New Name', 'name.givenName': 'Alpha', name: { familyName: 'Beta' }, [`${ENTERPRISE}:department`]: 'R&D', [ENTERPRISE]: { division: 'East' } },
        }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.displayName).to.equal('New Name');
        expect(r.json.name).to.deep.include({ givenName: 'Alpha', familyName: 'Beta' });
        expect(r.json[ENTERPRISE]).to.deep.equal({ department: 'R&D', division: 'East' });
      });

      it('mutability, paths and targets are checked: 400 with the right scimType', async () => {
        const u = await create('strict');
        const cases: Array<[unknown[], string]> = [
          [[{ op: 'replace', path: 'id', value: 'x' }], 'mutability'],
          [[{ op: 'replace', path: 'meta.created', value: '2000-01-01T00:00:00Z' }], 'mutability'],
          [[{ op: 'add', path: 'groups', value: [{ value: 'x' }] }], 'mutability'],
          [[{ op: 'replace', path: 'favouriteColour', value: 'x' }], 'invalidPath'],
          [[{ op: 'replace', path: 'emails[type eq "work"]', value: { value: 'x@example.com' } }], 'noTarget'],
          [[{ op: 'remove' }], 'noTarget'],
          [[{ op: 'replace', path: 'emails[type eqq "x"].value', value: 'x' }], 'invalidFilter'],
          [[{ op: 'replace', path: 'emails[type eq "x"', value: 'x' }], 'invalidPath'],
          [[{ op: 'jump', path: 'title', value: 'x' }], 'invalidSyntax'],
          [[{ op: 'replace', path: 'active', value: 'perhaps' }], 'invalidValue'],
        ];
        for (const [ops, scimType] of cases) {
          const r = await scim.patch(`/Users/${u.id}`, ops);
          expect(r.status, JSON.stringify(ops)).to.equal(400);
          expect(r.json.scimType, JSON.stringify(ops)).to.equal(scimType);
        }
        const notPatch = await scim.call('PATCH', `/Users/${u.id}`, { Operations: [] });
        expect(notPatch.json.scimType).to.equal('invalidSyntax');
      });

      it('a PATCH with one bad operation changes nothing', async () => {
        const u = await create('atomic', { title: 'Before' });
        const r = await scim.patch(`/Users/${u.id}`, [
          { op: 'replace', path: 'title', value: 'After' },
          { op: 'replace', path: 'userName', value: 'Dup.User' },
        ]);
        expect(r.status).to.equal(409);
        const after = await scim.get(`/Users/${u.id}`);
        expect(after.json.title).to.equal('Before');
        expect(after.json.meta.version).to.equal(u.meta.version);
      });

      it('concurrent PATCHes of different attributes of one user all land', async () => {
        const u = await create('racy');
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) =>
          scim.patch(`/Users/${u.id}`, [{ op: 'add', path: `${DIRGATE}:attributes.k${i}`, value: i }])));
        for (const r of results) expect(r.status, r.text).to.equal(200);
        const after = await scim.get(`/Users/${u.id}`);
        expect(Object.keys(after.json[DIRGATE].attributes)).to.have.length(10);
      });
    });

    describe('one directory behind every door', () => {
      it('a user made elsewhere reads as SCIM, and a PATCH leaves what it did not name alone', async () => {
        const { services } = server.running;
        const made = await services.users.create({ username: 'admin-made', name: 'Made Elsewhere', email: 'made@example.com', attributes: { department: 'Ops', badge: 7 } }, { userId: null, username: null });
        const r = await scim.get(`/Users/${made.id}`);
        expect(r.json.emails).to.deep.equal([{ value: 'made@example.com', type: 'work', primary: true }]);
        expect(r.json[ENTERPRISE]).to.deep.equal({ department: 'Ops' });
        expect(r.json[DIRGATE].attributes).to.deep.equal({ badge: 7 });
        await scim.patch(`/Users/${made.id}`, [{ op: 'replace', path: 'active', value: false }]);
        const after = await services.users.get(made.id);
        expect(after.attributes).to.deep.equal({ department: 'Ops', badge: 7 });
        expect(after.isActive).to.equal(false);
        // The email changed through another door: SCIM shows the new one as primary.
        const withList = await create('two-mails', { emails: [{ value: 'one@example.com', type: 'work', primary: true }, { value: 'two@example.com', type: 'home' }] });
        await services.users.update(withList.id, { email: 'three@example.com' }, { userId: null, username: null });
        const shown = (await scim.get(`/Users/${withList.id}`)).json.emails;
        expect(shown[0]).to.deep.equal({ value: 'three@example.com', type: 'work', primary: true });
        expect(shown.map((e: Json) => e.value)).to.include('two@example.com');
      });

      it('a malformed path escape is a SCIM Error', async () => {
        const r = await scim.get('/Users/%E0%A4%A');
        expect(r.status).to.equal(400);
        expect(r.json.schemas).to.deep.equal([ERROR]);
      });
    });

    describe('ETags', () => {
      it('If-Match on PUT/PATCH/DELETE: 412 on mismatch; If-None-Match on GET: 304', async () => {
        const u = await create('etag-user');
        const etag = u.meta.version;
        expect((await scim.get(`/Users/${u.id}`, { 'If-None-Match': etag })).status).to.equal(304);
        expect((await scim.get(`/Users/${u.id}`, { 'If-None-Match': 'W/"99"' })).status).to.equal(200);
        const stale = await scim.patch(`/Users/${u.id}`, [{ op: 'add', path: 'title', value: 'x' }], { 'If-Match': 'W/"99"' });
        expect(stale.status).to.equal(412);
        expect(stale.json.schemas).to.deep.equal([ERROR]);
        const ok = await scim.patch(`/Users/${u.id}`, [{ op: 'add', path: 'title', value: 'x' }], { 'If-Match': etag });
        expect(ok.status).to.equal(200);
        expect(ok.headers.get('etag')).to.equal('W/"2"');
        expect((await scim.put(`/Users/${u.id}`, userBody('etag-user'), { 'If-Match': etag })).status).to.equal(412);
        expect((await scim.del(`/Users/${u.id}`, { 'If-Match': etag })).status).to.equal(412);
        expect((await scim.del(`/Users/${u.id}`, { 'If-Match': 'W/"2"' })).status).to.equal(204);
        expect((await scim.get(`/Users/${u.id}`)).status).to.equal(404);
      });
    });

    describe('deactivation', () => {
      it('active=false through SCIM revokes sessions and refuses LDAP binds at once', async () => {
        const { services } = server.running;
        const u = await create('leaver', { password: 'leaver-password-1' });
        const { token } = await services.auth.login('leaver', 'leaver-password-1', {});
        expect((await services.auth.authenticateBearer(token)).user.id).to.equal(u.id);
        const ldap = new Client({ url: server.ldap });
        await ldap.bind('cn=leaver,ou=users,dc=example,dc=com', 'leaver-password-1');
        await ldap.unbind();

        // Entra ID's shape: the boolean as the string "False", op name capitalised.
        const r = await scim.patch(`/Users/${u.id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
        expect(r.status).to.equal(200);
        expect(r.json.active).to.equal(false);
        expect(await services.auth.sessionsOf(u.id)).to.deep.equal([]);
        let refused = false;
        try { await services.auth.authenticateBearer(token); } catch { refused = true; }
        expect(refused).to.equal(true);
        const again = new Client({ url: server.ldap });
        let bindError: unknown;
        try { await again.bind('cn=leaver,ou=users,dc=example,dc=com', 'leaver-password-1'); } catch (e) { bindError = e; }
        await again.unbind().catch(() => undefined);
        expect(bindError, 'LDAP bind after deactivation').to.be.instanceOf(Error);
        const events = await server.database.db.knex('events').where({ target_id: u.id, action: 'user_deactivated' });
        expect(events).to.have.length(1);
      });
    });
  });
}
