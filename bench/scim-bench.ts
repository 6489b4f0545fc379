/**
 * `npm run bench:scim`: the SCIM door under load with autocannon. Seeds a directory (100k users
 * by default, with bench/seed.ts), starts dirgate as its own process, then measures
 * `GET /Users?filter=userName eq "…"` with a random seeded user per request, and
 * `POST /Users` (no password: the KDF would be the benchmark). Prints req/s, p50 and p99.
 *
 * Environment: BENCH_USERS (100000), BENCH_GROUPS (1000), BENCH_CONNECTIONS (10),
 * BENCH_SECONDS (10), BENCH_DB (sqlite, or a postgres:// URL: the run gets a schema of its own, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { freshPgSchema } from './pg-schema.js';
import { seedWithAdminToken, spawnDirgate, type SpawnedDirgate } from './serve.js';

const USERS = Number(process.env.BENCH_USERS ?? 100000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const TOKEN = 'dgt_scim_bench_token_0123456789abcdef';


interface Row { readonly name: string; readonly rps: number; readonly p50: number; readonly p99: number; readonly errors: number }

async function measure(name: string, opts: autocannon.Options): Promise<Row> {
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  const bad = r.non2xx + r.errors + r.timeouts;
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: bad };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-scim-bench-'));
  // A PostgreSQL URL gets a schema of its own for the run (dropped after), never `public`.
  const pgSchema = process.env.BENCH_DB?.startsWith('postgres') ? await freshPgSchema(process.env.BENCH_DB, 'scim_bench') : null;
  const url = pgSchema?.url ?? process.env.BENCH_DB ?? `sqlite:${join(dir, 'bench.sqlite')}`;
  const t0 = Date.now();
  const seeded = await seedWithAdminToken(url, { users: USERS, groups: GROUPS, username: 'scim-bench', token: TOKEN });
  process.stdout.write(`seeded ${USERS} users and ${GROUPS} groups into ${url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL'} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);

  let server: SpawnedDirgate | undefined;
  try {
    server = await spawnDirgate(url);
    const base = server.base;
    const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' };
    const names = seeded.sampleUsers.map((u) => u.username);
    const probe = await fetch(`${base}/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${names[0]}"`)}`, { headers });
    const found = (await probe.json()) as { totalResults?: number };
    if (probe.status !== 200 || found.totalResults !== 1) throw new Error(`probe failed: ${probe.status} ${JSON.stringify(found)}`);

    const rows: Row[] = [];
    rows.push(await measure('GET /Users?filter=userName eq "<random user>"', {
      url: base, headers,
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${names[Math.floor(Math.random() * names.length)]}"`)}` }) }],
    }));
    let n = 0;
    rows.push(await measure('POST /Users', {
      url: base, headers,
      requests: [{
        method: 'POST', path: '/scim/v2/Users',
        setupRequest: (req) => {
          const i = n++;
          return { ...req, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `bench-new-${i}@example.com`, name: { givenName: 'Bench', familyName: `User ${i}` }, emails: [{ value: `bench-new-${i}@example.com`, primary: true, type: 'work' }], active: true }) };
        },
      }],
    }));
    process.stdout.write(`\n${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s each, ${url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL'}\n`);
    process.stdout.write(`${'request'.padEnd(48)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'errors'.padStart(7)}\n`);
    for (const r of rows) {
      process.stdout.write(`${r.name.padEnd(48)} ${r.rps.toFixed(0).padStart(8)} ${r.p50.toFixed(1).padStart(8)} ${r.p99.toFixed(1).padStart(8)} ${String(r.errors).padStart(7)}\n`);
    }
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    await pgSchema?.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`scim bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
