/**
 * The last-superuser guard under concurrency: two superusers removing each other at the same
 * moment, through two instances (two database handles, each with its own connection pool and
 * services, on one SQLite file or one PostgreSQL schema), leave exactly one.
 */
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { Conflict, PermissionDenied } from '../../src/domain/errors.js';
import { SYSTEM_ACTOR, type Actor } from '../../src/domain/types.js';
import { RULES } from '../../src/services/delegation-rules.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { countActiveSuperusers } from '../../src/store/superusers-store.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });
const ROUNDS = 6;

type Removal = (s: Services, targetId: string, actor: Actor) => Promise<unknown>;

const REMOVALS: ReadonlyArray<[string, Removal]> = [
  ['delete each other', (s, id, actor) => s.users.delete(id, actor)],
  ['deactivate each other', (s, id, actor) => s.users.update(id, { isActive: false }, actor)],
  ['remove each other from the superuser group', async (s, id, actor) => {
    const g = (await s.groups.findByName('race-admins'))!;
    return s.groups.changeMembers(g.id, { removeUsers: [id] }, actor);
  }],
];

for (const dialect of dialects()) {
  describe(`the last superuser under concurrency on ${dialect} (two instances)`, function () {
    this.timeout(120000);
    let tdb: TestDatabase;
    let second: Database;
    let one: Services;
    let two: Services;

    before(async () => {
      tdb = await freshDatabase(dialect);
      second = openDatabase(tdb.url, { poolMax: 5 });
      one = createServices(tdb.db, config);
      two = createServices(second, config);
      if (dialect === 'sqlite') {
        // Both "instances" live in this one process, and better-sqlite3 waits for a lock
        // synchronously: a busy wait on one handle would stall the event loop the other handle
        // needs to commit. Fail fast instead; the services run the transaction again.
        for (const db of [tdb.db, second]) await db.knex.raw('pragma busy_timeout = 0');
      }
    });
    after(async () => {
      await second?.close();
      await tdb?.drop();
    });

    /** A fresh store state: nobody but two superusers a and b in group race-admins. */
    async function pair(round: number): Promise<{ a: Actor & { userId: string }; b: Actor & { userId: string } }> {
      await tdb.db.knex('users').del();
      await tdb.db.knex('groups').del();
      const g = await one.groups.create({ name: 'race-admins', isSuperuser: true }, SYSTEM_ACTOR);
      const a = await one.users.create({ username: `a${round}` }, SYSTEM_ACTOR);
      const b = await one.users.create({ username: `b${round}` }, SYSTEM_ACTOR);
      await one.groups.changeMembers(g.id, { addUsers: [a.id, b.id] }, SYSTEM_ACTOR);
      return { a: { userId: a.id, username: a.username }, b: { userId: b.id, username: b.username } };
    }

    for (const [name, removal] of REMOVALS) {
      it(`two superusers who ${name} at once leave one`, async () => {
        for (let round = 0; round < ROUNDS; round++) {
          const { a, b } = await pair(round);
          expect(await countActiveSuperusers(tdb.db.knex)).to.equal(2);
          const results = await Promise.allSettled([removal(one, b.userId, a), removal(two, a.userId, b)]);
          const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
          expect(refused, `round ${round}: ${refused.map((r) => String(r.reason)).join('; ')}`).to.have.length(1);
          // Refused by the guard (409), or — when the other removal had already committed before
          // this one began — because its actor is no longer a superuser (403).
          const reason = refused[0]!.reason as Conflict | PermissionDenied;
          expect([RULES.lastSuperuser, RULES.noPathToSuperuser], String(reason)).to.include(reason.rule);
          expect(await countActiveSuperusers(tdb.db.knex), `round ${round}`).to.equal(1);
        }
      });
    }

    it('a removal that waits on the lock sees the other instance\'s commit and is refused (409)', async () => {
      const { a, b } = await pair(99);
      let second: Promise<unknown> | null = null;
      let settledEarly = false;
      await one.units.run(async (unit) => {
        await one.users.delete(b.userId, a, { unit });
        // The other instance starts while this transaction holds the superuser lock.
        second = two.users.delete(a.userId, b);
        second.then(() => { settledEarly = true; }, () => { settledEarly = true; });
        await new Promise((r) => setTimeout(r, 400));
        expect(settledEarly, 'the second removal must wait for the lock').to.equal(false);
      });
      const outcome = await Promise.allSettled([second!]);
      expect(outcome[0]!.status).to.equal('rejected');
      const reason = (outcome[0] as PromiseRejectedResult).reason as Conflict;
      expect(reason).to.be.instanceOf(Conflict);
      expect(reason.rule).to.equal(RULES.lastSuperuser);
      expect(await countActiveSuperusers(tdb.db.knex)).to.equal(1);
      expect(await one.users.findByUsername(a.username!)).to.not.equal(null);
    });
  });
}
