import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { insertUsers } from '../support/bulk-users.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });

// SQLite refuses a compound SELECT of more than 500 terms (knex's multi-row insert) and binds at
// most 32,766 parameters; PostgreSQL binds at most 65,535. Lists past all three must work.
for (const dialect of dialects()) {
  describe(`bulk writes on ${dialect}`, function () {
    this.timeout(180000);
    let tdb: TestDatabase;
    let s: Services;
    before(async () => {
      tdb = await freshDatabase(dialect);
      s = createServices(tdb.db, config);
    });
    after(async () => { await tdb?.drop(); });

    it('adds, lists and removes 40,000 members of one group in one call each', async () => {
      const ids = await insertUsers(tdb.db, 40000);
      const g = await s.groups.create({ name: 'huge' }, SYSTEM_ACTOR);
      await s.groups.changeMembers(g.id, { addUsers: ids }, SYSTEM_ACTOR);
      expect((await s.groups.membersOf([g.id])).get(g.id)).to.have.length(40000);
      expect(await s.users.getMany(ids)).to.have.length(40000);
      expect((await s.users.groupsOf(ids.slice(0, 1000))).size).to.equal(1000);
      await s.groups.changeMembers(g.id, { removeUsers: ids.slice(0, 39999) }, SYSTEM_ACTOR);
      expect((await s.groups.membersOf([g.id])).get(g.id)!.map((u) => u.id)).to.deep.equal([ids[39999]]);
    });

    it('adds and removes 600 child groups, and sets 600 parents', async () => {
      const parent = await s.groups.create({ name: 'parent' }, SYSTEM_ACTOR);
      const children: string[] = [];
      await s.units.run(async (unit) => {
        for (let i = 0; i < 600; i++) children.push((await s.groups.create({ name: `child-${i}` }, SYSTEM_ACTOR, { unit })).id);
      });
      await s.groups.changeMembers(parent.id, { addGroups: children }, SYSTEM_ACTOR);
      expect((await s.groups.childrenOf([parent.id])).get(parent.id)).to.have.length(600);
      expect((await s.groups.parentsOf(children)).size).to.equal(600);
      await s.groups.changeMembers(parent.id, { removeGroups: children }, SYSTEM_ACTOR);
      expect((await s.groups.childrenOf([parent.id])).get(parent.id) ?? []).to.have.length(0);
      const leaf = await s.groups.create({ name: 'leaf', parents: children }, SYSTEM_ACTOR);
      expect(await s.groups.parentIdsOf(leaf.id)).to.have.length(600);
    });
  });
}
