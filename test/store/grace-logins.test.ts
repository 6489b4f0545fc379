import { expect } from 'chai';
import { spendGraceLogin } from '../../src/store/grace-logins-store.js';
import { insertUser, updateUser } from '../../src/store/users-store.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

/** A cut-off after every password of these tests was set: each counts as expired. */
const soon = new Date(Date.now() + 3_600_000);

for (const dialect of dialects()) {
  describe(`grace logins store (one conditional update) on ${dialect}`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    beforeEach(async () => { tdb = await freshDatabase(dialect); });
    afterEach(async () => { await tdb.drop(); });

    it('spends up to the limit, then null; a lower limit refuses at once; a new password hash starts over', async () => {
      const knex = tdb.db.knex;
      const u = await insertUser(knex, { username: 'g', passwordHash: 'x' });
      expect([await spendGraceLogin(knex, u.id, 2, soon), await spendGraceLogin(knex, u.id, 2, soon), await spendGraceLogin(knex, u.id, 2, soon)]).to.deep.equal([1, 2, null]);
      expect(await spendGraceLogin(knex, u.id, 1, soon)).to.equal(null);
      await updateUser(knex, u.id, { name: 'not a password change' });
      expect(await spendGraceLogin(knex, u.id, 2, soon)).to.equal(null);
      await updateUser(knex, u.id, { passwordHash: 'y' });
      expect(await spendGraceLogin(knex, u.id, 2, soon)).to.equal(1);
      // A password changed after the cut-off (set meanwhile elsewhere) is not charged.
      expect(await spendGraceLogin(knex, u.id, 2, new Date(Date.now() - 60_000))).to.equal(null);
      await knex('users').where({ id: u.id }).update({ password_changed_at: new Date(Date.now() - 120_000).toISOString() });
      expect(await spendGraceLogin(knex, u.id, 2, new Date(Date.now() - 60_000))).to.equal(2);
      expect(await spendGraceLogin(knex, '00000000-0000-4000-8000-000000000000', 2, soon)).to.equal(null);
    });

    it('20 concurrent spends with limit 5 on the pool: exactly 5 succeed, numbered 1..5', async () => {
      const knex = tdb.db.knex;
      const u = await insertUser(knex, { username: 'race', passwordHash: 'x' });
      const got = await Promise.all(Array.from({ length: 20 }, () => spendGraceLogin(knex, u.id, 5, soon)));
      expect(got.filter((n) => n !== null).sort()).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });
}
