/**
 * `npm run bench:scim`: the SCIM door under load. For SQLite and (when reachable) PostgreSQL:
 * seeds a directory (100k users by default, bench/seed.ts) and one group of 50,000 members,
 * starts dirgate as its own process once per worker count (DIRGATE_WORKERS), then measures
 * - the `GET /Users?filter=userName eq "…"` probe (a random seeded user per request), side by side
 *   against every dirgate and scimmy + scimmy-routers holding the same users in memory
 *   (bench/scimmy-peer.ts), interleaved in short rounds so the shared box's background load hits
 *   all alike, printed with each dirgate's ratio to scimmy from the same run, and the share of
 *   probes dirgate answered from kept answers (protocols/scim/kept-answers.ts; SQLite only);
 * - the same probe never repeated (`&count=<n>` grows with every request), so no kept answer can
 *   serve it: the cold path;
 * - on the first worker count only: `POST /Users` with autocannon (no password: the KDF would be
 *   the benchmark), and the large group, request after request: PATCH adding one member, PATCH
 *   removing one (`members[value eq "…"]`), GET with `excludedAttributes=members`, GET with every
 *   member, and the `members.value eq "…"` probe; p50/p99 of each.
 *
 * Issue 20's target, quickly: `BENCH_USERS=10000 BENCH_OPS=probe npm run bench:scim`.
 *
 * Environment: BENCH_USERS (100000), BENCH_GROUPS (1000), BENCH_GROUP_MEMBERS (50000),
 * BENCH_CONNECTIONS (16), BENCH_SECONDS (10 per autocannon measurement; the probe's are split
 * into BENCH_ROUNDS (5) rounds per target), BENCH_WORKERS (1,2: one dirgate per DIRGATE_WORKERS
 * value), BENCH_OPS (probe,post,group), BENCH_PROFILE=<dir> (--cpu-prof every dirgate process),
 * BENCH_DB (sqlite, or a postgres:// URL to run that one only), DIRGATE_BENCH_PG_URL
 * (postgres://postgres@127.0.0.1:5432/test; BENCH_PG=0 skips it).
 * PostgreSQL runs get a schema of their own, dropped after.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { createServices } from '../src/services/index.js';
import { openDatabase } from '../src/store/database.js';
import { freshPgSchema } from './pg-schema.js';
import { spawnScimmyPeer, type PeerUser, type SpawnedPeer } from './scimmy-peer.js';
import { seedWithAdminToken, spawnDirgate, type SpawnedDirgate } from './serve.js';

const USERS = Number(process.env.BENCH_USERS ?? 100000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1000);
const MEMBERS = Math.min(Number(process.env.BENCH_GROUP_MEMBERS ?? 50000), USERS - 200);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
/** The probe runs in this many rounds per target, alternating targets (BENCH_ROUNDS). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
/** BENCH_WORKERS: dirgate is measured once per worker count (DIRGATE_WORKERS), side by side. */
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map((x) => Number(x.trim()));
/** BENCH_OPS: which measurements to run (probe, post, group), e.g. only the probe to profile it. */
const OPS = new Set((process.env.BENCH_OPS ?? 'probe,post,group').split(',').map((x) => x.trim()));
const PROFILE_ARGS = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_PROFILE)] : [];
const PG_URL = process.env.DIRGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TOKEN = 'dgt_scim_bench_token_0123456789abcdef';
const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Row {
  readonly name: string; readonly rps?: number; readonly p50: number; readonly p99: number; readonly errors: number;
  /** The share of probes dirgate answered from kept answers. */
  readonly hits?: number;
}

async function measure(name: string, opts: autocannon.Options): Promise<Row> {
  const r = await autocannon({ connections: CONNECTIONS, duration: SECONDS, ...opts });
  return { name, rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors + r.timeouts };
}

/** Runs `n` requests one after another; p50/p99 of their latencies. */
async function sequential(name: string, n: number, send: (i: number) => Promise<Response>): Promise<Row> {
  const times: number[] = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const res = await send(i);
    await res.arrayBuffer();
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!res.ok) errors++;
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { name, p50: at(0.5), p99: at(0.99), errors };
}

const userNamePath = (names: readonly string[]) => () => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "${names[Math.floor(Math.random() * names.length)]}"`)}`;
let freshCount = 2;
/**
 * The probe as a request never sent before: `count` grows with every request (≥ 2, so the answer
 * is the same one user), so nothing can be answered from a kept answer (kept-answers.ts).
 */
const freshPath = (names: readonly string[]) => { const path = userNamePath(names); return () => `${path()}&count=${freshCount++}`; };

interface Sample { readonly latencies: number[]; readonly elapsed: number; readonly errors: number }

/** The `userName eq` probe against `base` (dirgate or the peer) for `seconds`, every response's latency kept. */
async function probeSample(base: string, names: readonly string[], seconds: number, fresh: boolean): Promise<Sample> {
  const path = fresh ? freshPath(names) : userNamePath(names);
  const latencies: number[] = [];
  const started = process.hrtime.bigint();
  const r = await new Promise<autocannon.Result>((done, fail) => {
    const run = autocannon({
      url: base, connections: CONNECTIONS, duration: seconds, headers: { authorization: `Bearer ${TOKEN}` },
      requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: path() }) }],
    }, (e, result) => (e ? fail(e) : done(result)));
    run.on('response', (_client, _status, _bytes, ms) => { latencies.push(ms); });
  });
  return { latencies, elapsed: Number(process.hrtime.bigint() - started) / 1e9, errors: r.non2xx + r.errors + r.timeouts };
}

interface ProbeTarget { readonly name: string; readonly base: string; readonly dirgate?: boolean }

/** dirgate's kept-answer counters (dirgate_scim_answers_total), null for the peer. */
async function answerCounts(t: ProbeTarget): Promise<{ hit: number; miss: number } | null> {
  if (!t.dirgate) return null;
  const text = await (await fetch(`${t.base}/metrics`)).text();
  const count = (result: string) => Number(new RegExp(`^dirgate_scim_answers_total\\{[^}]*result="${result}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss') };
}

/**
 * The probe against every target, interleaved in ROUNDS short rounds after a 1 s warm-up each,
 * so a change in the machine's background load affects all targets alike (this box is shared).
 */
async function measureProbe(targets: readonly ProbeTarget[], names: readonly string[], fresh: boolean): Promise<Row[]> {
  for (const t of targets) await probeSample(t.base, names, 1, fresh);
  const before = await Promise.all(targets.map(answerCounts));
  const samples: Sample[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of targets.entries()) samples[i]!.push(await probeSample(t.base, names, SECONDS / ROUNDS, fresh));
  }
  const after = await Promise.all(targets.map(answerCounts));
  return targets.map((t, i) => {
    const b = before[i], a = after[i];
    const hits = a && b ? (a.hit - b.hit) / Math.max(1, a.hit - b.hit + a.miss - b.miss) : undefined;
    const all = samples[i]!.flatMap((x) => x.latencies).sort((a, b) => a - b);
    const elapsed = samples[i]!.reduce((n, x) => n + x.elapsed, 0);
    const at = (q: number) => all[Math.min(all.length - 1, Math.floor(q * all.length))] ?? NaN;
    return { name: t.name, rps: all.length / elapsed, p50: at(0.5), p99: at(0.99), errors: samples[i]!.reduce((n, x) => n + x.errors, 0), ...(hits === undefined ? {} : { hits }) };
  });
}

/** The seeded users in seq order: ids for the group, and the peer's copy of everyone. */
async function loadUsers(url: string): Promise<{ ids: string[]; peer: PeerUser[] }> {
  const db = openDatabase(url);
  try {
    const rows = await db.knex('users').orderBy('seq').select('id', 'username', 'name', 'email', 'is_active', 'external_id');
    const peer = rows.map((r): PeerUser => ({
      id: String(r.id), userName: String(r.username), displayName: String(r.name), active: r.is_active === true || r.is_active === 1,
      ...(r.external_id ? { externalId: String(r.external_id) } : {}),
      ...(r.email ? { emails: [{ value: String(r.email), type: 'work', primary: true }] } : {}),
    }));
    return { ids: peer.map((u) => u.id), peer };
  } finally {
    await db.close();
  }
}

/** One group with `MEMBERS` members, written through the services (chunked by the store). */
async function largeGroup(url: string, members: readonly string[]): Promise<string> {
  const db = openDatabase(url);
  try {
    const services = createServices(db, loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'log.level': 'silent' }));
    const g = await services.groups.create({ name: 'bench-large-group' }, SYSTEM_ACTOR);
    await services.groups.changeMembers(g.id, { addUsers: members }, SYSTEM_ACTOR);
    if (db.dialect === 'pg') await db.knex.raw('vacuum analyze group_members');
    return g.id;
  } finally {
    await db.close();
  }
}

async function groupRows(base: string, groupId: string, ids: readonly string[]): Promise<Row[]> {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' };
  const group = `${base}/scim/v2/Groups/${groupId}`;
  const outsider = (i: number) => ids[MEMBERS + (i % 150)]!;
  const patch = (op: object) => fetch(group, { method: 'PATCH', headers, body: JSON.stringify({ schemas: [PATCH_OP], Operations: [op] }) });
  const rows: Row[] = [];
  // Add one member, then remove that one again: the group stays at MEMBERS (± 1) throughout.
  const adds: Row[] = [];
  const removes: Row[] = [];
  for (let round = 0; round < 4; round++) {
    adds.push(await sequential('', 50, (i) => patch({ op: 'add', path: 'members', value: [{ value: outsider(round * 50 + i) }] })));
    removes.push(await sequential('', 50, (i) => patch({ op: 'remove', path: `members[value eq "${outsider(round * 50 + i)}"]` })));
  }
  const merge = (name: string, parts: Row[]): Row => ({ name, p50: median(parts.map((p) => p.p50)), p99: Math.max(...parts.map((p) => p.p99)), errors: parts.reduce((n, p) => n + p.errors, 0) });
  rows.push(merge(`PATCH add 1 member (group of ${MEMBERS})`, adds));
  rows.push(merge('PATCH remove members[value eq "…"]', removes));
  rows.push(await sequential('GET group ?excludedAttributes=members', 200, () => fetch(`${group}?excludedAttributes=members`, { headers })));
  rows.push(await sequential(`GET group with all ${MEMBERS} members`, 10, () => fetch(group, { headers })));
  rows.push(await sequential('GET /Groups?filter=members.value eq "…"', 200, (i) => fetch(`${base}/scim/v2/Groups?excludedAttributes=members&filter=${encodeURIComponent(`members.value eq "${ids[(i * 241) % MEMBERS]}"`)}`, { headers })));
  return rows;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function pgReachable(): Promise<boolean> {
  if (process.env.BENCH_PG === '0') return false;
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try { await c.connect(); await c.end(); return true; } catch { return false; }
}

interface DialectResult { readonly label: string; readonly rows: Row[]; readonly probe: Row[]; readonly fresh: Row[] }

/** Seeds the store at `url`, starts one dirgate per worker count and measures it (and `peer` beside it). */
async function runDialect(url: string, label: string, peerFor: (users: PeerUser[]) => Promise<ProbeTarget>): Promise<DialectResult> {
  const t0 = Date.now();
  const seeded = await seedWithAdminToken(url, { users: USERS, groups: GROUPS, username: 'scim-bench', token: TOKEN });
  const { ids, peer } = await loadUsers(url);
  const groupId = OPS.has('group') ? await largeGroup(url, ids.slice(0, MEMBERS)) : null;
  process.stdout.write(`${label}: seeded ${USERS} users, ${GROUPS} groups${groupId ? ` and a group of ${MEMBERS} members` : ''} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const servers: Array<{ workers: number; server: SpawnedDirgate }> = [];
  try {
    for (const workers of WORKERS) servers.push({ workers, server: await spawnDirgate(url, { DIRGATE_WORKERS: String(workers) }, undefined, PROFILE_ARGS) });
    const names = seeded.sampleUsers.map((u) => u.username);
    for (const { server } of servers) {
      const probe = await fetch(`${server.base}${userNamePath(names)()}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      const found = (await probe.json()) as { totalResults?: number };
      if (probe.status !== 200 || found.totalResults !== 1) throw new Error(`probe failed: ${probe.status} ${JSON.stringify(found)}`);
    }
    const probeTargets = OPS.has('probe') ? [...servers.map((s) => ({ name: `dirgate ${label} w${s.workers}`, base: s.server.base, dirgate: true })), await peerFor(peer)] : [];
    const probe = OPS.has('probe') ? await measureProbe(probeTargets, names, false) : [];
    const fresh = OPS.has('probe') ? await measureProbe(probeTargets, names, true) : [];
    const rows: Row[] = [];
    const base = servers[0]!.server.base;
    if (OPS.has('post')) {
      let n = 0;
      rows.push(await measure('POST /Users', {
        url: base, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/scim+json' },
        requests: [{
          method: 'POST', path: '/scim/v2/Users',
          setupRequest: (req) => {
            const i = n++;
            return { ...req, body: JSON.stringify({ schemas: [USER_SCHEMA], userName: `bench-new-${i}@example.com`, name: { givenName: 'Bench', familyName: `User ${i}` }, emails: [{ value: `bench-new-${i}@example.com`, primary: true, type: 'work' }], active: true }) };
          },
        }],
      }));
    }
    if (groupId) rows.push(...await groupRows(base, groupId, ids));
    return { label, rows, probe, fresh };
  } finally {
    for (const { server } of servers) await server.stop();
  }
}

function print(title: string, rows: readonly Row[]): void {
  process.stdout.write(`\n${title}\n${'request'.padEnd(52)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)}\n`);
  for (const r of rows) {
    process.stdout.write(`${r.name.padEnd(52)} ${(r.rps === undefined ? '' : r.rps.toFixed(0)).padStart(8)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(9)} ${String(r.errors).padStart(7)}\n`);
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-scim-bench-'));
  const targets: Array<{ label: string; url: string; drop?: () => Promise<void> }> = [];
  let peer: SpawnedPeer | undefined;
  try {
    if (process.env.BENCH_DB?.startsWith('postgres')) {
      const s = await freshPgSchema(process.env.BENCH_DB, 'scim_bench');
      targets.push({ label: 'PostgreSQL', url: s.url, drop: () => s.drop() });
    } else {
      targets.push({ label: 'SQLite', url: process.env.BENCH_DB ?? `sqlite:${join(dir, 'bench.sqlite')}` });
      if (!process.env.BENCH_DB && await pgReachable()) {
        const s = await freshPgSchema(PG_URL, 'scim_bench');
        targets.push({ label: 'PostgreSQL', url: s.url, drop: () => s.drop() });
      }
    }
    // The peer holds the first store's users (every store gets the same names from the seed) and
    // stays up, so each store's probe rounds interleave with its own rounds of the peer.
    const peerFor = async (users: PeerUser[]): Promise<ProbeTarget> => {
      peer ??= await spawnScimmyPeer(users, TOKEN);
      return { name: 'scimmy + scimmy-routers', base: peer.base };
    };
    const results: DialectResult[] = [];
    for (const t of targets) results.push(await runDialect(t.url, t.label, peerFor));
    for (const r of results) {
      if (r.rows.length > 0) print(`${r.label}: ${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s per autocannon row (DIRGATE_WORKERS=${WORKERS[0]}); group rows one request at a time`, r.rows);
    }
    if (OPS.has('probe')) {
      for (const fresh of [false, true]) {
        const what = fresh ? 'never repeated (&count=<n> grows with every request)' : `"<random user>" (one of ${Math.ceil(USERS / 97)} sampled users)`;
        const header = `side by side, ${USERS} users, ${CONNECTIONS} connections, ${ROUNDS} interleaved rounds of ${(SECONDS / ROUNDS).toFixed(1)} s per target: GET /Users?filter=userName eq ${what}`;
        process.stdout.write(`\n${header}\n${'target'.padEnd(44)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'errors'.padStart(7)} ${'/ scimmy'.padStart(9)} ${'kept'.padStart(6)}\n`);
        for (const r of results) {
          const rows = fresh ? r.fresh : r.probe;
          const scimmy = rows[rows.length - 1]!;
          for (const row of rows) {
            const ratio = row === scimmy ? '' : `${((row.rps ?? 0) / (scimmy.rps ?? 1)).toFixed(2)}x`;
            const name = row === scimmy ? `${row.name} (${r.label} rounds)` : row.name;
            const kept = row.hits === undefined ? '' : `${(100 * row.hits).toFixed(0)} %`;
            process.stdout.write(`${name.padEnd(44)} ${(row.rps ?? 0).toFixed(0).padStart(8)} ${row.p50.toFixed(2).padStart(9)} ${row.p99.toFixed(2).padStart(9)} ${String(row.errors).padStart(7)} ${ratio.padStart(9)} ${kept.padStart(6)}\n`);
          }
        }
      }
    }
  } finally {
    await peer?.stop();
    for (const t of targets) await t.drop?.();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`scim bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
