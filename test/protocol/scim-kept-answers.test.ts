/**
 * Answers to repeated SCIM reads kept while the database is unchanged
 * (protocols/scim/kept-answers.ts): a repeat is answered from them on SQLite files, and any
 * write — from another instance on the same database too — is seen by the very next request;
 * authentication and the permission are checked on every request before a kept answer is used.
 * SQLite tells by its change counter (src/store/change-counter.ts), PostgreSQL by `pg_current_snapshot()` (any commit in the cluster).
 */
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { ERROR, q, scimClient, type ScimClient } from './scim-support.js';

for (const dialect of dialects()) {
  describe(`SCIM answers kept while the database is unchanged, on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let scim: ScimClient;
    /** Another instance on the same database: its writes reach the server only through the database. */
    let other: { db: Database; services: Services };
    let roleId = '';
    let carolId = '';

    async function answers(): Promise<{ hit: number; miss: number }> {
      const text = await (await fetch(`${server.http}/metrics`)).text();
      const count = (result: string) => Number(new RegExp(`^dirgate_scim_answers_total\\{[^}]*result="${result}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { hit: count('hit'), miss: count('miss') };
    }

    const carolPath = `/Users?filter=${q('userName eq "carol"')}`;

    /** A user holding scim.provision through a role, with a token; `expiresAt` for the token. */
    async function provisioner(username: string, expiresAt: Date | null = null): Promise<{ id: string; tokenId: string; client: ScimClient }> {
      const { services } = server.running;
      const user = await services.users.create({ username }, SYSTEM_ACTOR);
      await services.roles.assign({ userId: user.id }, roleId, true, SYSTEM_ACTOR);
      const { key, token } = await services.auth.createToken(user.id, { description: 'kept answers', expiresAt }, SYSTEM_ACTOR);
      return { id: user.id, tokenId: token.id, client: scimClient(server, key) };
    }

    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
      const { services } = server.running;
      carolId = (await services.users.create({ username: 'carol', name: 'Carol Old' }, SYSTEM_ACTOR)).id;
      roleId = (await services.roles.create({ name: 'scim-kept', permissions: ['scim.provision'] }, SYSTEM_ACTOR)).id;
      const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': server.database.url, 'log.level': 'silent', 'auth.scrypt_n': 1024 });
      const db = openDatabase(server.database.url, server.database.searchPath ? { searchPath: server.database.searchPath, poolMax: 2 } : { poolMax: 2 });
      other = { db, services: createServices(db, config) };
      // The token's first use writes its last_used_at (a commit: kept answers start over); done here.
      expect((await scim.get('/Users?count=1')).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 100));
    });
    after(async () => {
      await other?.db.close();
      await server?.stop();
    });

    it('answers a repeated GET from what it sent, byte for byte, with its headers', async () => {
      // On PostgreSQL a commit anywhere in the cluster drops kept answers: a hit may take a few tries.
      let hits = 0;
      let byId = await scim.get(`/Users/${carolId}`);
      for (let attempt = 0; attempt < 5 && hits !== 2; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
        const first = await scim.get(carolPath);
        byId = await scim.get(`/Users/${carolId}`);
        const before = await answers();
        const again = await scim.get(carolPath);
        const byIdAgain = await scim.get(`/Users/${carolId}`);
        const after = await answers();
        expect(first.status).to.equal(200);
        expect(first.json.totalResults).to.equal(1);
        expect(again.text).to.equal(first.text);
        expect(byIdAgain.text).to.equal(byId.text);
        expect(byIdAgain.headers.get('etag')).to.equal(byId.headers.get('etag')).and.to.be.a('string');
        expect(again.headers.get('content-type')).to.equal(first.headers.get('content-type'));
        hits = after.hit - before.hit;
      }
      expect(hits).to.equal(2);
      // If-None-Match is part of the request: a matching one still gets its 304.
      const notModified = await scim.get(`/Users/${carolId}`, { 'If-None-Match': byId.headers.get('etag')! });
      expect(notModified.status).to.equal(304);
    });

    it('shows a change written by another instance in the very next request', async () => {
      await scim.get(carolPath);
      await scim.get(carolPath);
      await other.services.users.update(carolId, { name: 'Carol New' }, SYSTEM_ACTOR);
      const r = await scim.get(carolPath);
      expect(r.json.Resources[0].displayName).to.equal('Carol New');
      const g = await other.services.groups.create({ name: 'kept-team' }, SYSTEM_ACTOR);
      await scim.get(carolPath);
      await other.services.groups.changeMembers(g.id, { addUsers: [carolId] }, SYSTEM_ACTOR);
      const withGroup = await scim.get(carolPath);
      expect(withGroup.json.Resources[0].groups.map((x: { display: string }) => x.display)).to.deep.equal(['kept-team']);
      await other.services.users.delete(carolId, SYSTEM_ACTOR);
      expect((await scim.get(carolPath)).json.totalResults, 'deleted elsewhere').to.equal(0);
      expect((await scim.get(`/Users/${carolId}`)).status, 'deleted elsewhere').to.equal(404);
      carolId = (await server.running.services.users.create({ username: 'carol', name: 'Carol Again' }, SYSTEM_ACTOR)).id;
    });

    it('refuses at once, on the same request that was kept: a removed role, a revoked token, a deactivation elsewhere', async () => {
      const a = await provisioner('kept-a');
      for (let i = 0; i < 3; i++) expect((await a.client.get(carolPath)).status).to.equal(200);
      await other.services.roles.assign({ userId: a.id }, roleId, false, SYSTEM_ACTOR);
      const refused = await a.client.get(carolPath);
      expect(refused.status, 'role removed elsewhere').to.equal(403);
      expect(refused.json.schemas).to.deep.equal([ERROR]);

      const b = await provisioner('kept-b');
      for (let i = 0; i < 3; i++) expect((await b.client.get(carolPath)).status).to.equal(200);
      await other.services.auth.deleteToken(b.tokenId, SYSTEM_ACTOR);
      expect((await b.client.get(carolPath)).status, 'token revoked elsewhere').to.equal(401);

      const c = await provisioner('kept-c');
      for (let i = 0; i < 3; i++) expect((await c.client.get(carolPath)).status).to.equal(200);
      await other.services.users.update(c.id, { isActive: false }, SYSTEM_ACTOR);
      const deactivated = await c.client.get(carolPath);
      expect(deactivated.status, 'user deactivated elsewhere').to.equal(401);
      expect(deactivated.json.schemas).to.deep.equal([ERROR]);
      await other.services.users.update(c.id, { isActive: true }, SYSTEM_ACTOR);
      expect((await c.client.get(carolPath)).status, 'activated again').to.equal(200);
    });

    it('refuses an expired token though nothing was written since its answer was kept', async () => {
      const d = await provisioner('kept-d', new Date(Date.now() + 1500));
      const ok = await d.client.get(carolPath);
      expect(ok.status).to.equal(200);
      expect((await d.client.get(carolPath)).status).to.equal(200);
      await new Promise((resolve) => setTimeout(resolve, 1700));
      const expired = await d.client.get(carolPath);
      expect(expired.status).to.equal(401);
      expect(expired.json.schemas).to.deep.equal([ERROR]);
    });

    it(dialect === 'pg' ? 'reads a page and checks its bearer in one statement, and no page for a bearer without the permission' : 'folds no bearer check into a read (bearers are kept instead)', async () => {
      const { services } = server.running;
      const f = await provisioner('kept-fold');
      const v = parseScimFilter('userName eq "carol"', 'users', services.config.query);
      const tokenOf = async (userId: string) => (await services.auth.createToken(userId, { description: 'fold' }, SYSTEM_ACTOR)).key;
      const key = await tokenOf(f.id);
      const along = (bearer: string) => services.auth.authenticateBearerAlong(bearer, 'scim.provision', (guard) => services.users.listWithGroupsGuarded(v, { limit: 100, offset: 0 }, guard));
      const got = await along(key);
      if (dialect === 'sqlite') {
        expect(got).to.equal(null);
        return;
      }
      expect(got?.auth.user.id).to.equal(f.id);
      expect(got?.auth.holds).to.equal(true);
      expect(got?.result.users.map((u) => u.username)).to.deep.equal(['carol']);
      const plain = await services.users.create({ username: 'kept-plain' }, SYSTEM_ACTOR);
      expect(await along(await tokenOf(plain.id)), 'no permission: no page').to.equal(null);
      expect(await along('dgt_unknown'), 'unknown token: no page').to.equal(null);
      await services.users.update(f.id, { isActive: false }, SYSTEM_ACTOR);
      const refused = await along(key).then(() => null, (e: unknown) => e);
      expect(refused, 'a deactivated user is refused as authenticateBearer refuses it').to.be.instanceOf(Error);
    });

    it('keeps an answer per bearer: another token asking the same is read for itself first', async () => {
      const e = await provisioner('kept-e');
      await scim.get(carolPath);
      const before = await answers();
      const r = await e.client.get(carolPath);
      const after = await answers();
      expect(r.status).to.equal(200);
      expect(after.hit - before.hit).to.equal(0);
      expect(after.miss - before.miss).to.equal(dialect === 'sqlite' ? 1 : 0);
      const unknown = await scimClient(server, 'dgt_not_a_token').get(carolPath);
      expect(unknown.status).to.equal(401);
    });
  });
}
