import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices } from '../../src/services/index.js';
import { openDatabase } from '../../src/store/database.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { DIRGATE, ENTERPRISE, ERROR, GROUP, LIST, scimClient, USER, userBody, type ScimClient } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`SCIM discovery, auth and protocol errors (${dialect})`, function () {
    let server: BootedServer;
    let scim: ScimClient;

    before(async () => {
      server = await bootServer(dialect, { 'scim.bulk_max_operations': 7, 'scim.max_results': 50, 'http.body_limit': 4096 });
      scim = scimClient(server);
    });
    after(async () => { await server?.stop(); });

    it('ServiceProviderConfig advertises what is implemented, with the configured limits', async () => {
      const r = await scim.get('/ServiceProviderConfig');
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.match(/^application\/scim\+json/);
      expect(r.json.schemas).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
      expect(r.json.patch).to.deep.equal({ supported: true });
      expect(r.json.bulk).to.deep.equal({ supported: true, maxOperations: 7, maxPayloadSize: 1048576 });
      expect(r.json.filter).to.deep.equal({ supported: true, maxResults: 50 });
      for (const k of ['changePassword', 'sort', 'etag']) expect(r.json[k]).to.deep.equal({ supported: true });
      expect(r.json.authenticationSchemes[0].type).to.equal('oauthbearertoken');
      expect(r.json.meta.location).to.equal(`${scim.base}/ServiceProviderConfig`);
    });

    it('ResourceTypes lists User (with both extensions) and Group', async () => {
      const r = await scim.get('/ResourceTypes');
      expect(r.json.schemas).to.deep.equal([LIST]);
      expect(r.json.totalResults).to.equal(2);
      const user = r.json.Resources.find((t: { id: string }) => t.id === 'User');
      expect(user).to.include({ endpoint: '/Users', schema: USER });
      expect(user.schemaExtensions).to.deep.equal([{ schema: ENTERPRISE, required: false }, { schema: DIRGATE, required: false }]);
      expect((await scim.get('/ResourceTypes/Group')).json).to.include({ id: 'Group', endpoint: '/Groups', schema: GROUP });
      const missing = await scim.get('/ResourceTypes/Device');
      expect(missing.status).to.equal(404);
      expect(missing.json.schemas).to.deep.equal([ERROR]);
    });

    it('Schemas describes core User and Group, the enterprise and the dirgate extension', async () => {
      const r = await scim.get('/Schemas');
      expect(r.json.Resources.map((s: { id: string }) => s.id)).to.have.members([USER, GROUP, ENTERPRISE, DIRGATE]);
      const dirgate = (await scim.get(`/Schemas/${DIRGATE}`)).json;
      expect(dirgate.attributes.map((a: { name: string }) => a.name)).to.deep.equal(['path', 'type', 'attributes']);
      const user = (await scim.get(`/Schemas/${USER}`)).json;
      const password = user.attributes.find((a: { name: string }) => a.name === 'password');
      expect(password).to.include({ mutability: 'writeOnly', returned: 'never' });
      const groups = user.attributes.find((a: { name: string }) => a.name === 'groups');
      expect(groups.mutability).to.equal('readOnly');
      const enterprise = (await scim.get(`/Schemas/${ENTERPRISE}`)).json;
      expect(enterprise.attributes.map((a: { name: string }) => a.name)).to.include.members(['employeeNumber', 'department', 'manager']);
      expect((await scim.get('/Schemas/urn:nope')).status).to.equal(404);
    });

    it('answers 401 with WWW-Authenticate and a SCIM Error without or with a bad token', async () => {
      for (const token of [null, 'dgt_not_a_real_token']) {
        const r = await scimClient(server, token).get('/Users');
        expect(r.status).to.equal(401);
        expect(r.headers.get('www-authenticate')).to.match(/^Bearer realm="dirgate"/);
        expect(r.headers.get('content-type')).to.match(/^application\/scim\+json/);
        expect(r.json).to.include({ status: '401' });
        expect(r.json.schemas).to.deep.equal([ERROR]);
      }
    });

    it('takes the token as passport-http-bearer parses it: any-case scheme, or access_token in the query, not both', async () => {
      const call = (path: string, authorization?: string) => fetch(`${server.http}/scim/v2${path}`, { headers: authorization ? { authorization } : {} });
      expect((await call('/Users?count=1', `bearer ${server.token}`)).status).to.equal(200);
      expect((await call(`/Users?count=1&access_token=${server.token}`)).status).to.equal(200);
      for (const [path, authorization] of [[`/Users?count=1&access_token=${server.token}`, `Bearer ${server.token}`], ['/Users?count=1', `Bearer ${server.token} extra`], ['/Users?count=1', 'Basic eDp5']] as const) {
        const r = await call(path, authorization);
        expect(r.status, `${path} ${authorization}`).to.equal(401);
        expect(r.headers.get('www-authenticate')).to.equal('Bearer realm="dirgate"');
      }
      const bad = await call('/Users', 'Bearer dgt_not_a_real_token');
      expect(bad.status).to.equal(401);
      expect(bad.headers.get('www-authenticate')).to.equal('Bearer realm="dirgate", error="invalid_token", error_description="invalid token"');
    });

    it('answers 403 to a token whose user lacks scim.provision', async () => {
      const { services } = server.running;
      const user = await services.users.create({ username: 'no-scim' }, SYSTEM_ACTOR);
      const { key } = await services.auth.createToken(user.id, { description: 'test' }, SYSTEM_ACTOR);
      const r = await scimClient(server, key).get('/Users');
      expect(r.status).to.equal(403);
      expect(r.json).to.include({ status: '403' });
      expect(r.json.schemas).to.deep.equal([ERROR]);
    });

    it('a role with scim.provision is enough (no superuser needed)', async () => {
      const { services } = server.running;
      const user = await services.users.create({ username: 'provisioner' }, SYSTEM_ACTOR);
      const role = await services.roles.create({ name: 'scim-provisioner', permissions: ['scim.provision'] }, SYSTEM_ACTOR);
      await services.roles.assign({ userId: user.id }, role.id, true, SYSTEM_ACTOR);
      const { key } = await services.auth.createToken(user.id, { description: 'test' }, SYSTEM_ACTOR);
      expect((await scimClient(server, key).get('/Users')).status).to.equal(200);
    });

    it('what another instance changes applies to the very next request: a removed role, a revoked token, a deactivation', async () => {
      // The server remembers a token's row while nothing is committed to the database: a change
      // through another connection (another instance or worker on the same store) must end that.
      const { services } = server.running;
      const other = openDatabase(server.database.url, { poolMax: 2 });
      try {
        const elsewhere = createServices(other, loadConfig({}, { 'auth.scrypt_n': 1024 }));
        const role = await services.roles.create({ name: 'scim-remembered', permissions: ['scim.provision'] }, SYSTEM_ACTOR);
        const make = async (username: string) => {
          const user = await services.users.create({ username }, SYSTEM_ACTOR);
          await services.roles.assign({ userId: user.id }, role.id, true, SYSTEM_ACTOR);
          const { key, token } = await services.auth.createToken(user.id, { description: 'test' }, SYSTEM_ACTOR);
          const client = scimClient(server, key);
          for (let i = 0; i < 3; i++) expect((await client.get(`/Users?filter=${encodeURIComponent(`userName eq "${username}"`)}`)).status).to.equal(200);
          return { user, token, client };
        };
        const a = await make('remembered-a');
        await elsewhere.roles.assign({ userId: a.user.id }, role.id, false, SYSTEM_ACTOR);
        expect((await a.client.get('/Users')).status, 'role removed elsewhere').to.equal(403);

        const b = await make('remembered-b');
        await elsewhere.auth.deleteToken(b.token.id, SYSTEM_ACTOR);
        expect((await b.client.get('/Users')).status, 'token revoked elsewhere').to.equal(401);

        const c = await make('remembered-c');
        await elsewhere.users.update(c.user.id, { isActive: false }, SYSTEM_ACTOR);
        expect((await c.client.get('/Users')).status, 'user deactivated elsewhere').to.equal(401);
        // And back: the next request is let in again.
        await elsewhere.users.update(c.user.id, { isActive: true }, SYSTEM_ACTOR);
        expect((await c.client.get('/Users')).status, 'user activated elsewhere').to.equal(200);
      } finally {
        await other.close();
      }
    });

    it('malformed JSON is 400 invalidSyntax; a body over the limit is 413', async () => {
      const bad = await scim.post('/Users', '{"userName": ');
      expect(bad.status).to.equal(400);
      expect(bad.json).to.include({ status: '400', scimType: 'invalidSyntax' });
      const big = await scim.post('/Users', userBody('big', { title: 'x'.repeat(5000) }));
      expect(big.status).to.equal(413);
      expect(big.json.schemas).to.deep.equal([ERROR]);
      const none = await scim.call('POST', '/Users');
      expect(none.status).to.equal(400);
      expect(none.json.scimType).to.equal('invalidSyntax');
    });

    it('accepts application/json as well as application/scim+json', async () => {
      const r = await scim.post('/Users', userBody('json-client'), { 'Content-Type': 'application/json' });
      expect(r.status).to.equal(201);
      expect(r.headers.get('content-type')).to.match(/^application\/scim\+json/);
    });

    it('unknown endpoints, unsupported methods and /Me are SCIM Errors', async () => {
      const unknown = await scim.get('/Devices');
      expect(unknown.status).to.equal(404);
      expect(unknown.json.schemas).to.deep.equal([ERROR]);
      const method = await scim.call('DELETE', '/Users');
      expect(method.status).to.equal(405);
      expect(method.json.schemas).to.deep.equal([ERROR]);
      expect((await scim.get('/Me')).status).to.equal(501);
    });

    it('every response carries application/scim+json, 204 and 304 included', async () => {
      const created = await scim.post('/Users', userBody('ct-user'));
      const etag = created.headers.get('etag')!;
      const notModified = await scim.get(`/Users/${created.json.id}`, { 'If-None-Match': etag });
      expect(notModified.status).to.equal(304);
      expect(notModified.headers.get('content-type')).to.match(/^application\/scim\+json/);
      const deleted = await scim.del(`/Users/${created.json.id}`);
      expect(deleted.status).to.equal(204);
      expect(deleted.headers.get('content-type')).to.match(/^application\/scim\+json/);
    });
  });
}
