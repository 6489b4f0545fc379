import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { DEFAULT_QUERY_LIMITS } from '../../src/query/validate.js';
import { createServices } from '../../src/services/index.js';
import { selectSql } from '../../src/store/query-sql.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';

const config = loadConfig({}, { 'auth.scrypt_n': 1024 });

/**
 * The probes a provisioning client sends on multi-valued attributes are index lookups on
 * `user_values` (migration 0006), not scans of every user's JSON: checked on each dialect's plan.
 * PostgreSQL's planner may prefer a scan of a table this small, so the check forbids sequential
 * scans and asks whether the index serves the query at all.
 */
for (const dialect of dialects()) {
  describe(`user_values indexes serve element filters (${dialect})`, function () {
    this.timeout(60000);
    let tdb: TestDatabase;
    before(async () => {
      tdb = await freshDatabase(dialect);
      const s = createServices(tdb.db, config);
      for (let i = 0; i < 50; i++) {
        // One user in ten has a home address too: a type is as selective as in a real directory.
        const emails = [{ value: `idx-${i}@example.com`, type: 'work', primary: true }, ...(i % 10 === 0 ? [{ value: `home-${i}@example.org`, type: 'home' }] : [])];
        await s.users.create({ username: `idx-${i}`, email: `idx-${i}@example.com`, attributes: { emails } }, SYSTEM_ACTOR);
      }
      await tdb.db.knex.raw(dialect === 'pg' ? 'analyze user_values' : 'analyze');
    });
    after(async () => { await tdb?.drop(); });

    async function plan(filter: string): Promise<string> {
      const q = selectSql(tdb.db.dialect, parseScimFilter(filter, 'users', DEFAULT_QUERY_LIMITS), 'users', { limit: 10 });
      if (dialect === 'sqlite') {
        const rows = await tdb.db.knex.raw(`explain query plan ${q.sql}`, q.bindings as never[]);
        return (rows as { detail: string }[]).map((r) => r.detail).join('\n');
      }
      return tdb.db.knex.transaction(async (trx) => {
        await trx.raw('set local enable_seqscan = off');
        const res = await trx.raw(`explain ${q.sql}`, q.bindings as never[]);
        return (res.rows as { 'QUERY PLAN': string }[]).map((r) => r['QUERY PLAN']).join('\n');
      });
    }

    it('emails.value eq / sw use (attr, value_ci)', async () => {
      expect(await plan('emails.value eq "home-30@example.org"')).to.match(/user_values_attr_value_ci/);
      expect(await plan('emails.value sw "home-3"')).to.match(/user_values_attr_value_ci/);
    });

    it('emails[type eq "home"] uses (attr, type_ci)', async () => {
      expect(await plan('emails[type eq "home"]')).to.match(/user_values_attr_type_ci/);
    });
  });
}
