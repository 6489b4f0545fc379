import { expect } from 'chai';
import pg from 'pg';
import { preparedReader } from '../../src/store/prepared.js';
import { freshDatabase, PG_URL, dialects, type TestDatabase } from '../support/databases.js';

/**
 * PostgreSQL's snapshot reads are shared by the callers that ask while one is in flight
 * (PreparedReader.snapshot): fewer round trips, never an older snapshot than a caller's own.
 */
if (dialects().includes('pg')) {
  describe('PostgreSQL snapshot reads', function () {
    this.timeout(60_000);
    let t: TestDatabase;
    before(async () => {
      t = await freshDatabase('pg');
    });
    after(async () => {
      await t?.drop();
    });

    it('share one round trip among the callers that ask while one is in flight', async () => {
      const client = t.db.knex.client as { acquireConnection(): Promise<unknown> };
      const acquire = client.acquireConnection.bind(client);
      let acquired = 0;
      client.acquireConnection = () => { acquired++; return acquire(); };
      try {
        const snapshots = await Promise.all(Array.from({ length: 32 }, () => preparedReader(t.db).snapshot()));
        expect(snapshots.every((s) => typeof s === 'string' && /^\d+:\d+:/.test(s))).to.equal(true);
        expect(acquired).to.be.within(1, 2);
      } finally {
        client.acquireConnection = acquire;
      }
    });

    it('never give a caller a snapshot from before a commit that ended before it asked', async () => {
      // The first read's answer comes back late (a slow network): the commit ends while it is in
      // flight, so a caller that asks after the commit must not be given that read's snapshot.
      const client = t.db.knex.client as { acquireConnection(): Promise<unknown> };
      const acquire = client.acquireConnection.bind(client);
      client.acquireConnection = async () => {
        const conn = await acquire() as { query(q: unknown): Promise<unknown> };
        const query = conn.query;
        conn.query = async (q: unknown) => {
          conn.query = query; // this once
          const answer = await query.call(conn, q);
          await new Promise((r) => setTimeout(r, 150));
          return answer;
        };
        return conn;
      };
      const writer = new pg.Client({ connectionString: PG_URL });
      await writer.connect();
      try {
        const first = preparedReader(t.db).snapshot();
        await new Promise((r) => setTimeout(r, 50)); // the first read has run on the server
        await writer.query('begin');
        const { rows } = await writer.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
        await writer.query('create temporary table snapshot_probe (x integer)');
        await writer.query('commit');
        const after = preparedReader(t.db).snapshot();
        const [before, later] = await Promise.all([first, after]);
        const visible = await writer.query<{ before: boolean; later: boolean }>(
          'select pg_visible_in_snapshot($1::xid8, $2::pg_snapshot) as before, pg_visible_in_snapshot($1::xid8, $3::pg_snapshot) as later',
          [rows[0]!.xid, before, later],
        );
        expect(visible.rows[0], 'the first read ran before the commit').to.include({ before: false });
        expect(visible.rows[0], 'the read after the commit sees it').to.include({ later: true });
      } finally {
        client.acquireConnection = acquire;
        await writer.end();
      }
    });
  });
}
