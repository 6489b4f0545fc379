/**
 * Answers to repeated plain searches kept while the database is unchanged
 * (protocols/ldap/search-answers.ts): a repeat is answered from them on SQLite files, and any
 * write — from another instance on the same database too — is seen by the very next search.
 * SQLite tells by its change counter (src/store/change-counter.ts: every commit but bind events
 * and last_login), PostgreSQL by `pg_current_snapshot()`.
 */
import { expect } from 'chai';
import { Client } from 'ldapts';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, userDn } from './ldap-support.js';

const CAROL_PW = 'carol-password-1';

for (const dialect of dialects()) {
  describe(`LDAP search answers kept while the database is unchanged, on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let admin: Client;
    /** Another instance on the same database: its writes reach the server only through the database. */
    let other: { db: Database; services: Services };
    let carolId = '';

    async function answers(): Promise<{ hit: number; miss: number }> {
      const text = await (await fetch(`${server.http}/metrics`)).text();
      const count = (result: string) => Number(new RegExp(`^dirgate_ldap_search_answers_total\\{[^}]*result="${result}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
      return { hit: count('hit'), miss: count('miss') };
    }

    /** Carol bound on a connection of her own, deactivated by the other instance after `before` ran: what her search for `uid` gets then. */
    async function deactivatedAfter(before: (carol: Client) => Promise<void>, uid: string): Promise<unknown> {
      const carol = new Client({ url: server.ldap });
      await carol.bind(userDn('carol'), CAROL_PW);
      try {
        await before(carol);
        await other.services.users.update(carolId, { isActive: false }, SYSTEM_ACTOR);
        return await lookup(carol, uid).then(() => null, (e: unknown) => e);
      } finally {
        await carol.unbind().catch(() => undefined);
        await other.services.users.update(carolId, { isActive: true }, SYSTEM_ACTOR);
      }
    }

    async function lastLogin(): Promise<unknown> {
      return (await other.db.knex('users').where({ id: carolId }).first('last_login'))?.last_login ?? null;
    }

    /** Until carol's last_login is no longer `was` (the batched bind writes committed). */
    async function waitForLastLogin(was: unknown): Promise<void> {
      for (let i = 0; i < 100; i++) {
        if (String(await lastLogin()) !== String(was)) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('the bind batch was not written');
    }

    async function lookup(c: Client, uid: string) {
      return (await c.search(BASE, { scope: 'sub', filter: `(uid=${uid})` })).searchEntries;
    }

    before(async () => {
      server = await bootServer(dialect);
      const { services } = server.running;
      const carol = await services.users.create({ username: 'carol', name: 'Carol Old', password: CAROL_PW }, SYSTEM_ACTOR);
      carolId = carol.id;
      await services.users.create({ username: 'dave', name: 'Dave' }, SYSTEM_ACTOR);
      const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': server.database.url, 'log.level': 'silent' });
      const db = openDatabase(server.database.url, server.database.searchPath ? { searchPath: server.database.searchPath } : {});
      other = { db, services: createServices(db, config) };
      admin = new Client({ url: server.ldap });
      await admin.bind(userDn('admin'), ADMIN_PASSWORD);
    });
    after(async () => {
      await admin?.unbind().catch(() => undefined);
      await other?.db.close();
      await server?.stop();
    });

    it('answers a repeated search from what it sent, byte for byte the same entries', async () => {
      const first = await lookup(admin, 'carol');
      expect(first).to.have.length(1);
      // On PostgreSQL the bind's event, written within 100 ms, is a commit that drops what was
      // kept, and so is a commit anywhere in the cluster: a hit may take a few tries.
      let hits = 0;
      for (let attempt = 0; attempt < 5 && hits === 0; attempt++) {
        await new Promise((r) => setTimeout(r, 300));
        await lookup(admin, 'carol');
        const before = await answers();
        const again = await lookup(admin, 'carol');
        const after = await answers();
        expect(again).to.deep.equal(first);
        hits = after.hit - before.hit;
      }
      expect(hits).to.equal(1);
    });

    it('shows a change written by another instance in the very next search', async () => {
      await lookup(admin, 'carol');
      await lookup(admin, 'carol');
      await other.services.users.update(carolId, { name: 'Carol New' }, SYSTEM_ACTOR);
      const [e] = await lookup(admin, 'carol');
      expect(e?.displayName).to.equal('Carol New');
    });

    it('shows a new membership (memberOf) at once, and a miss becomes a hit only after it is read', async () => {
      expect(await lookup(admin, 'nobody-yet')).to.have.length(0);
      expect(await lookup(admin, 'nobody-yet')).to.have.length(0);
      await other.services.users.create({ username: 'nobody-yet', name: 'Now Somebody' }, SYSTEM_ACTOR);
      expect(await lookup(admin, 'nobody-yet')).to.have.length(1);
      const g = await other.services.groups.create({ name: 'answers-team' }, SYSTEM_ACTOR);
      await lookup(admin, 'carol');
      await other.services.groups.changeMembers(g.id, { addUsers: [carolId] }, SYSTEM_ACTOR);
      const [e] = await lookup(admin, 'carol');
      expect([e?.memberOf].flat()).to.include(`cn=answers-team,ou=groups,${BASE}`);
    });

    it('refuses a bound user deactivated by another instance, though its search was kept', async () => {
      const refused = await deactivatedAfter(async (carol) => {
        expect(await lookup(carol, 'carol')).to.have.length(1);
        expect(await lookup(carol, 'carol')).to.have.length(1);
      }, 'carol');
      expect(refused, 'a deactivated user must not be answered').to.be.instanceOf(Error);
    });

    it('refuses a deactivated user at its next search of anything, though the unchanged database let it skip the check', async () => {
      const refused = await deactivatedAfter(async (carol) => {
        await new Promise((r) => setTimeout(r, 300)); // the bind's event is written (on PostgreSQL a commit that moves the snapshot)
        expect(await lookup(carol, 'carol')).to.have.length(1); // checks the identity, at this snapshot
        expect(await lookup(carol, 'dave')).to.have.length(0); // a new search: no check needed
      }, 'someone-else');
      expect(refused, 'a deactivated user must not be answered').to.be.instanceOf(Error);
    });

    it('does not share answers between bound users: each sees what it may see', async () => {
      expect(await lookup(admin, 'dave')).to.have.length(1);
      expect(await lookup(admin, 'dave')).to.have.length(1);
      const carol = new Client({ url: server.ldap });
      await carol.bind(userDn('carol'), CAROL_PW);
      expect(await lookup(carol, 'dave'), 'carol may see only her own entry').to.have.length(0);
      await carol.unbind();
    });

    if (dialect === 'sqlite') {
      it('SQLite: keeps answers across other clients\' binds (their events and last_login change no answer)', async () => {
        await new Promise((r) => setTimeout(r, 300)); // earlier binds' writes are done
        const was = await lastLogin();
        await lookup(admin, 'dave');
        const carol = new Client({ url: server.ldap });
        try {
          for (let i = 0; i < 3; i++) await carol.bind(userDn('carol'), CAROL_PW);
        } finally {
          await carol.unbind().catch(() => undefined);
        }
        // The binds' events and last_login are written within 100 ms: the database changed.
        await waitForLastLogin(was);
        const before = await answers();
        expect(await lookup(admin, 'dave')).to.have.length(1);
        const after = await answers();
        expect(after.hit - before.hit).to.equal(1);
      });
    }

    it('never keeps a search with controls (paged results)', async () => {
      const paged = () => admin.search(BASE, { scope: 'sub', filter: '(uid=carol)', paged: { pageSize: 5 } });
      await paged();
      const before = await answers();
      const r = await paged();
      const after = await answers();
      expect(r.searchEntries).to.have.length(1);
      expect(after.hit - before.hit).to.equal(0);
      expect(after.miss - before.miss).to.equal(0);
    });
  });
}
