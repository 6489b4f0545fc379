import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { countAttempt } from '../../src/store/throttle-store.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

// Email "configured" (nothing listens there): these tests name no account that could be mailed.
const config = loadConfig({}, { 'auth.scrypt_n': 1024, 'email.smtp_url': 'smtp://127.0.0.1:9' });

for (const dialect of dialects()) {
  describe(`self-service recovery limits on ${dialect}`, function () {
    let tdb: TestDatabase;
    let second: Database | null;
    let a: Services;
    let b: Services;

    beforeEach(async () => {
      tdb = await freshDatabase(dialect);
      // On PostgreSQL a second connection pool on the same data, as a second dirgate instance has.
      // SQLite serves one instance (two write connections in one thread would wait on each other).
      second = dialect === 'pg' ? openDatabase(tdb.url, { searchPath: tdb.searchPath, poolMax: 5 }) : null;
      a = createServices(tdb.db, config);
      b = createServices(second ?? tdb.db, config);
    });
    afterEach(async () => {
      await a.selfRecovery.drain();
      await b.selfRecovery.drain();
      await second?.close();
      await tdb.drop();
    });

    it('counts attempts atomically: concurrent counts (from two instances on PostgreSQL) lose none', async () => {
      const counts = await Promise.all(Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? tdb.db : second ?? tdb.db).transaction((trx) => countAttempt(trx, 'recovery_addr', '192.0.2.1', 3600))));
      expect([...counts].sort((x, y) => x - y)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i + 1));
    });

    it('starts a new window once the old one has passed', async () => {
      expect(await countAttempt(tdb.db.knex, 'recovery_addr', '192.0.2.2', 3600)).to.equal(1);
      expect(await countAttempt(tdb.db.knex, 'recovery_addr', '192.0.2.2', 3600)).to.equal(2);
      await tdb.db.knex('auth_throttle').where({ scope: 'recovery_addr', key: '192.0.2.2' })
        .update({ window_start: new Date(Date.now() - 3601_000).toISOString() });
      expect(await countAttempt(tdb.db.knex, 'recovery_addr', '192.0.2.2', 3600)).to.equal(1);
      expect(await countAttempt(tdb.db.knex, 'recovery_addr', '192.0.2.2', 3600)).to.equal(2);
    });

    it('one per-address limit for all instances', async () => {
      await a.settings.update({ 'recovery.self_service': true, 'recovery.limit_per_address': 3 }, SYSTEM_ACTOR);
      for (const s of [a, b, a]) expect(await s.selfRecovery.request('nobody', '192.0.2.3')).to.equal('accepted');
      expect(await b.selfRecovery.request('nobody', '192.0.2.3')).to.equal('accepted');
      await a.selfRecovery.drain();
      await b.selfRecovery.drain();
      const reasons = (await tdb.db.knex('events').where({ action: 'recovery_suppressed' }).orderBy('seq'))
        .map((e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).reason);
      expect(reasons.filter((r: string) => r === 'address_limit')).to.have.length(1);
      expect(reasons.filter((r: string) => r === 'no_match')).to.have.length(3);
      // Another address has its own count.
      expect(await b.selfRecovery.request('nobody', '192.0.2.4')).to.equal('accepted');
    });

    it('does nothing while the setting is off', async () => {
      expect(await a.selfRecovery.request('nobody', '192.0.2.5')).to.equal('off');
      expect(await tdb.db.knex('events').where({ action: 'recovery_requested' })).to.have.length(0);
      expect(await tdb.db.knex('auth_throttle').where({ scope: 'recovery_addr' })).to.have.length(0);
    });
  });
}
