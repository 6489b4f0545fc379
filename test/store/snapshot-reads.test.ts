import { expect } from 'chai';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/store/database.js';
import { preparedReader } from '../../src/store/prepared.js';
import { freshDatabase, PG_URL, dialects, type TestDatabase } from '../support/databases.js';

/**
 * A TCP proxy to PostgreSQL that can hold the server's answers back for a while (a slow
 * network on the way back), so a read can be in flight across a commit made meanwhile.
 */
async function delayingProxy(target: URL): Promise<{ port: number; delayMs: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const state = { delayMs: 0 };
  const server: Server = createServer((client) => {
    const upstream = createConnection(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (state.delayMs > 0) setTimeout(() => client.write(d), state.delayMs);
      else client.write(d);
    });
    const end = () => { client.destroy(); upstream.destroy(); };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    get delayMs() { return state.delayMs; },
    set delayMs(v: number) { state.delayMs = v; },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

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
      const reader = preparedReader(t.db) as unknown as { snapshotReads: number; snapshot(): Promise<string | null> };
      await reader.snapshot();
      const before = reader.snapshotReads;
      const snapshots = await Promise.all(Array.from({ length: 32 }, () => reader.snapshot()));
      expect(snapshots.every((s) => typeof s === 'string' && /^\d+:\d+:/.test(s))).to.equal(true);
      expect(reader.snapshotReads - before).to.be.within(1, 2);
    });

    it('never give a caller a snapshot from before a commit that ended before it asked', async () => {
      const proxy = await delayingProxy(new URL(PG_URL));
      const url = new URL(PG_URL);
      url.host = `127.0.0.1:${proxy.port}`;
      const slow: Database = openDatabase(url.toString(), { searchPath: t.searchPath! });
      const writer = new pg.Client({ connectionString: PG_URL });
      await writer.connect();
      try {
        await preparedReader(slow).snapshot(); // connected
        // The first read's answer comes back late: the commit ends while it is in flight, so a
        // caller that asks after the commit must not be given that read's snapshot.
        proxy.delayMs = 150;
        const first = preparedReader(slow).snapshot();
        await new Promise((r) => setTimeout(r, 50)); // the first read has run on the server
        await writer.query('begin');
        const { rows } = await writer.query<{ xid: string }>('select pg_current_xact_id()::text as xid');
        await writer.query('create temporary table snapshot_probe (x integer)');
        await writer.query('commit');
        const after = preparedReader(slow).snapshot();
        const [before, later] = await Promise.all([first, after]);
        const visible = await writer.query<{ before: boolean; later: boolean }>(
          'select pg_visible_in_snapshot($1::xid8, $2::pg_snapshot) as before, pg_visible_in_snapshot($1::xid8, $3::pg_snapshot) as later',
          [rows[0]!.xid, before, later],
        );
        expect(visible.rows[0], 'the first read ran before the commit').to.include({ before: false });
        expect(visible.rows[0], 'the read after the commit sees it').to.include({ later: true });
      } finally {
        proxy.delayMs = 0;
        await writer.end();
        await slow.close();
        await proxy.close();
      }
    });
  });
}
