import { expect } from 'chai';
import { spendGraceLogin } from '../../src/store/grace-logins-store.js';
import { insertUser, updateUser } from '../../src/store/users-store.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

for (const dialect of dialects()) {
  describe(`grace logins store (one conditional update) on ${dialect}`, function () {
    this.timeout(60_000);
    let tdb: TestDatabase;
    beforeEach(async () => { tdb = await freshDatabase(dialect); });
    afterEach(async () => { await tdb.drop(); });

    it('spends up to the limit, then null; a lower limit refuses at once; a new password hash starts over', async () => {
      const knex = tdb.db.knex;
      const u = await insertUser(knex, { username: 'g', passwordHash: 'x' });
      expect([await spendGraceLogin(knex, u.id, 2), await spendGraceLogin(knex, u.id, 2), await spendGraceLogin(knex, u.id, 2)]).to.deep.equal([1, 2, null]);
      expect(await spendGraceLogin(knex, u.id, 1)).to.equal(null);
      await updateUser(knex, u.id, { name: 'not a password change' });
      expect(await spendGraceLogin(knex, u.id, 2)).to.equal(null);
      await updateUser(knex, u.id, { passwordHash: 'y' });
      expect(await spendGraceLogin(knex, u.id, 2)).to.equal(1);
      expect(await spendGraceLogin(knex, '00000000-0000-4000-8000-000000000000', 2)).to.equal(null);
    });

    it('20 concurrent spends with limit 5 on the pool: exactly 5 succeed, numbered 1..5', async () => {
      const knex = tdb.db.knex;
      const u = await insertUser(knex, { username: 'race', passwordHash: 'x' });
      const got = await Promise.all(Array.from({ length: 20 }, () => spendGraceLogin(knex, u.id, 5)));
      expect(got.filter((n) => n !== null).sort()).to.deep.equal([1, 2, 3, 4, 5]);
    });
  });
}
