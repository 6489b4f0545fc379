import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { AlreadyExists } from '../../src/domain/errors.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import type { Unit } from '../../src/services/units.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });

for (const dialect of dialects()) {
  describe(`units of work on ${dialect}`, () => {
    let tdb: TestDatabase;
    let s: Services;
    beforeEach(async () => {
      tdb = await freshDatabase(dialect);
      s = createServices(tdb.db, config);
    });
    afterEach(async () => { await tdb.drop(); });

    it('commits every call made with the unit together, and none when the unit fails', async () => {
      await s.units.run(async (unit) => {
        const u = await s.users.create({ username: 'ann' }, SYSTEM_ACTOR, { unit });
        const g = await s.groups.create({ name: 'staff' }, SYSTEM_ACTOR, { unit });
        await s.groups.changeMembers(g.id, { addUsers: [u.id] }, SYSTEM_ACTOR, { unit });
      });
      const staff = await s.groups.findByName('staff');
      expect((await s.groups.memberIds(staff!.id)).length).to.equal(1);

      let err: unknown;
      try {
        await s.units.run(async (unit) => {
          await s.users.create({ username: 'bob' }, SYSTEM_ACTOR, { unit });
          await s.users.create({ username: 'BOB' }, SYSTEM_ACTOR, { unit });
        });
      } catch (e) { err = e; }
      expect(err).to.be.instanceOf(AlreadyExists);
      expect(await s.users.findByUsername('bob')).to.equal(null);
    });

    it('reads inside a unit see its uncommitted writes', async () => {
      await s.units.run(async (unit) => {
        const u = await s.users.create({ username: 'cat' }, SYSTEM_ACTOR, { unit });
        expect((await s.users.get(u.id, { unit })).username).to.equal('cat');
      });
    });

    it('undoes only a failed savepoint, and the unit goes on', async () => {
      await s.units.run(async (unit) => {
        await s.units.savepoint(unit, (inner) => s.users.create({ username: 'dan' }, SYSTEM_ACTOR, { unit: inner }));
        let err: unknown;
        try {
          await s.units.savepoint(unit, async (inner) => {
            await s.users.create({ username: 'eve' }, SYSTEM_ACTOR, { unit: inner });
            await s.users.create({ username: 'dan' }, SYSTEM_ACTOR, { unit: inner });
          });
        } catch (e) { err = e; }
        expect(err).to.be.instanceOf(AlreadyExists);
      });
      expect(await s.users.findByUsername('dan')).to.not.equal(null);
      expect(await s.users.findByUsername('eve')).to.equal(null);
    });

    it('is opaque: it exposes nothing, and a forged handle is refused', async () => {
      await s.units.run(async (unit) => {
        expect(Object.keys(unit)).to.deep.equal([]);
        expect(Object.isFrozen(unit)).to.equal(true);
      });
      let err: unknown;
      try { await s.users.get('00000000-0000-0000-0000-000000000000', { unit: {} as Unit }); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(TypeError);
      expect((err as Error).message).to.match(/not a unit of work/);
    });
  });
}
