/**
 * `npm run bench:ldap`: dirgate's LDAP listener against OpenLDAP's slapd, same users, same
 * client (ldapts), same run. N concurrent connections doing `(uid=<user>)` searches, then binds
 * (first bind = KDF, repeat bind = the bind cache), then searches while a few other clients bind. Prints ops/s and p50/p99 side by side, per
 * directory size, for dirgate on SQLite and on PostgreSQL and for slapd.
 *
 * The directory is bench/seed.ts's (realistic names, attributes, nested groups and memberships;
 * the same seed gives the same users in every store); slapd gets the same users from LDIF.
 *
 * Environment: BENCH_SIZES (default 10000,100000), BENCH_DBS (sqlite,pg), BENCH_CONNECTIONS (16),
 * BENCH_SECONDS (5), BENCH_ROUNDS (5), BENCH_BIND_USERS (users with passwords, 200), BENCH_OPS (search,bind,mixed:
 * searches while other clients bind; fresh: only the never-repeated searches; warmed: only the searches after
 * every user was asked for),
 * BENCH_WORKERS (1,2: one dirgate per DIRGATE_WORKERS value), BENCH_SLAPD=0 (dirgate only), BENCH_PROFILE=<dir> (--cpu-prof the dirgate server),
 * DIRGATE_BENCH_PG_URL (postgres://postgres@127.0.0.1:5432/test; a fresh schema per run).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { loadConfig } from '../src/config.js';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { createServices } from '../src/services/index.js';
import { openDatabase, type Dialect } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { addCpu, cpuSince, type CpuReading } from './cpu-time.js';
import { seedDirectory } from './seed.js';
import { freshPgSchema } from './pg-schema.js';
import { waitForWorkers } from './serve.js';
import { freePort } from '../test/support/ports.js';

const SIZES = (process.env.BENCH_SIZES ?? process.env.BENCH_USERS ?? '10000,100000').split(',').map((x) => Number(x.trim()));
const DBS = (process.env.BENCH_DBS ?? 'sqlite,pg').split(',').map((x) => x.trim()) as Dialect[];
const PG_URL = process.env.DIRGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** Searches run in this many rounds per target, alternating targets (BENCH_ROUNDS). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const BIND_USERS = Number(process.env.BENCH_BIND_USERS ?? 200);
/** BENCH_WORKERS: dirgate is measured once per worker count (DIRGATE_WORKERS), side by side. */
const WORKERS = (process.env.BENCH_WORKERS ?? '1,2').split(',').map((x) => Number(x.trim()));
/** BENCH_OPS: which measurements to run (search, bind), e.g. to profile one of them. */
const OPS = new Set((process.env.BENCH_OPS ?? 'search,bind,mixed').split(',').map((x) => x.trim()));
const BASE = 'dc=example,dc=com';
const ADMIN_PASSWORD = 'bench-admin-password';
const password = (name: string) => `password-of-${name}`;

/** The seeded users, as both servers serve them. */
interface Directory {
  readonly users: readonly { username: string; name: string; email: string | null; seq: number; sn: string; givenName: string }[];
  /** Active users given a password (the first BENCH_BIND_USERS of them). */
  readonly binders: readonly string[];
}

interface Target {
  readonly name: string;
  readonly url: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  userDn(username: string): string;
  /** dirgate's /metrics, for the share of searches answered from kept answers. */
  readonly metricsUrl?: string;
  /** The server's process (its workers are its children), for the CPU it uses. */
  readonly pid?: number;
}

interface Result {
  readonly ops: number;
  readonly p50: number;
  readonly p99: number;
  /** The share of searches dirgate answered from kept answers (search-answers.ts). */
  readonly hits?: number;
  /** CPU microseconds per operation: the server's processes, PostgreSQL's, the client's (null without /proc). */
  readonly cpu: CpuReading | null;
}


async function waitForLdap(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const c = new Client({ url, connectTimeout: 500 });
    try {
      await c.search('', { scope: 'base', filter: '(objectClass=*)' });
      await c.unbind();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} did not come up`);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Sample { readonly latencies: number[]; readonly elapsed: number; readonly cpu: CpuReading | null }

/** Runs `op` on `conns` connections of `t` for `seconds` (or until `maxOps` in total). */
async function sample(t: Target, conns: Client[], seconds: number, op: (c: Client, n: number) => Promise<void>, maxOps = Infinity): Promise<Sample> {
  const latencies: number[] = [];
  const cpu = cpuSince(t.pid);
  const until = Date.now() + seconds * 1000;
  let issued = 0;
  const started = process.hrtime.bigint();
  await Promise.all(conns.map(async (c) => {
    while (Date.now() < until && issued < maxOps) {
      const n = issued++;
      const t = process.hrtime.bigint();
      await op(c, n);
      latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }));
  return { latencies, elapsed: Number(process.hrtime.bigint() - started) / 1e9, cpu: cpu() };
}

function summarize(samples: readonly Sample[]): Result {
  const latencies = samples.flatMap((x) => x.latencies).sort((a, b) => a - b);
  const elapsed = samples.reduce((a, x) => a + x.elapsed, 0);
  const cpu = addCpu(samples.map((x) => x.cpu));
  const perOp = (seconds: number) => (1e6 * seconds) / Math.max(1, latencies.length);
  return {
    ops: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99),
    cpu: cpu && { server: perOp(cpu.server), postgres: perOp(cpu.postgres), client: perOp(cpu.client) },
  };
}

async function load(t: Target, conns: Client[], seconds: number, op: (c: Client, n: number) => Promise<void>, maxOps = Infinity): Promise<Result> {
  return summarize([await sample(t, conns, seconds, op, maxOps)]);
}

async function connectAll(t: Target, n: number, bindAsAdmin: boolean): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < n; i++) {
    const c = new Client({ url: t.url });
    if (bindAsAdmin) await c.bind(t.adminDn, t.adminPassword);
    out.push(c);
  }
  return out;
}

/** dirgate's kept-answer counters (search-answers.ts), null for slapd. */
async function answerCounts(t: Target): Promise<{ hit: number; miss: number } | null> {
  if (!t.metricsUrl) return null;
  const text = await (await fetch(t.metricsUrl)).text();
  const count = (result: string) => Number(new RegExp(`^dirgate_ldap_search_answers_total\\{[^}]*result="${result}"[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1] ?? 0);
  return { hit: count('hit'), miss: count('miss') };
}

/** One `(uid=name)` search that must find the user. */
async function searchUser(t: Target, c: Client, name: string, attributes: string[] = []): Promise<void> {
  const r = await c.search(BASE, { scope: 'sub', filter: `(uid=${name})`, attributes });
  if (r.searchEntries.length !== 1) throw new Error(`${t.name}: (uid=${name}) returned ${r.searchEntries.length} entries`);
}

/**
 * ROUNDS short rounds of `round(i)` for every target in turn, each result with the share of its
 * searches dirgate answered from kept answers (from /metrics, before and after).
 */
async function interleaved(targets: readonly Target[], round: (i: number, t: Target) => Promise<Sample>): Promise<Result[]> {
  const before = await Promise.all(targets.map(answerCounts));
  const samples: Sample[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of targets.entries()) samples[i]!.push(await round(i, t));
  }
  const after = await Promise.all(targets.map(answerCounts));
  return samples.map((x, i) => {
    const b = before[i], a = after[i];
    const hits = a && b ? (a.hit - b.hit) / Math.max(1, a.hit - b.hit + a.miss - b.miss) : undefined;
    return { ...summarize(x), ...(hits === undefined ? {} : { hits }) };
  });
}

/**
 * `(uid=<random user>)` searches against every target, interleaved in ROUNDS short rounds so a
 * change in the machine's background load affects all targets alike (this box is shared).
 * `plain`: random users from the start (how many were asked before depends on the rate: a fast
 * target has seen more of them). `warmed`: every user asked for before (askEveryUser).
 * `fresh`: every request is one the server has not seen (an unknown attribute named in it that
 * changes each time, which no server returns), so nothing can be answered from a kept answer.
 */
async function measureSearches(targets: readonly Target[], d: Directory, mode: 'plain' | 'fresh' | 'warmed'): Promise<Result[]> {
  let n = 0;
  const op = (t: Target) => (c: Client) => searchUser(t, c, pickUser(d), mode === 'fresh' ? ['*', `dgBench${n++}`] : []);
  const conns: Client[][] = [];
  for (const t of targets) conns.push(await connectAll(t, CONNECTIONS, true));
  for (const [i, t] of targets.entries()) await sample(t, conns[i]!, 1, op(t)); // warm-up
  if (mode === 'warmed') for (const [i, t] of targets.entries()) await askEveryUser(t, conns[i]!, d);
  const results = await interleaved(targets, (i, t) => sample(t, conns[i]!, SECONDS / ROUNDS, op(t)));
  for (const c of conns.flat()) await c.unbind();
  return results;
}

function pickUser(d: Directory): string {
  return d.users[Math.floor(Math.random() * d.users.length)]!.username;
}

/**
 * Every user searched for twice, on two neighbouring connections (the primary deals connections
 * to the workers in turn, so each worker hears of each user): the state of a server that has
 * been serving the same directory for a while. slapd gets the same (its entry cache warms).
 */
async function askEveryUser(t: Target, conns: Client[], d: Directory): Promise<void> {
  await Promise.all(conns.map(async (c, ci) => {
    for (let k = 0; k < d.users.length; k++) {
      if ((2 * k) % conns.length !== ci && (2 * k + 1) % conns.length !== ci) continue;
      await searchUser(t, c, d.users[k]!.username);
    }
  }));
}

/** Connections that bind over and over while the searches of measureMixed run. */
const MIXED_BINDERS = 4;

/**
 * `(uid=<random user>)` searches while MIXED_BINDERS other clients repeat binds (as applications
 * signing users in do), interleaved in rounds as measureSearches. Every bind writes an event and
 * the user's last_login: a server whose kept answers are dropped by every commit answers these
 * searches from the database. Only the searches are counted.
 */
async function measureMixed(targets: readonly Target[], d: Directory): Promise<Result[]> {
  const op = (t: Target) => (c: Client) => searchUser(t, c, pickUser(d));
  const searchers: Client[][] = [];
  const binders: Client[][] = [];
  for (const t of targets) {
    searchers.push(await connectAll(t, CONNECTIONS, true));
    binders.push(await connectAll(t, MIXED_BINDERS, false));
  }
  const withBinds = async (i: number, run: () => Promise<Sample>): Promise<Sample> => {
    const t = targets[i]!;
    let binding = true;
    let n = 0;
    const loops = binders[i]!.map(async (c) => {
      while (binding) {
        const name = d.binders[n++ % d.binders.length]!;
        await c.bind(t.userDn(name), password(name));
      }
    });
    try {
      return await run();
    } finally {
      binding = false;
      await Promise.all(loops);
    }
  };
  // Repeat binds, as measured: every binder's password verified once (the KDF) before anything counts.
  for (const [i, t] of targets.entries()) {
    await Promise.all(binders[i]!.map(async (c, ci) => {
      for (let k = ci; k < d.binders.length; k += binders[i]!.length) await c.bind(t.userDn(d.binders[k]!), password(d.binders[k]!));
    }));
  }
  for (const [i, t] of targets.entries()) await withBinds(i, () => sample(t, searchers[i]!, 1, op(t))); // warm-up
  const results = await interleaved(targets, (i, t) => withBinds(i, () => sample(t, searchers[i]!, SECONDS / ROUNDS, op(t))));
  for (const c of [...searchers.flat(), ...binders.flat()]) await c.unbind();
  return results;
}

/**
 * First binds (the KDF runs for dirgate, a salted SHA-1 for slapd), one target after the other;
 * then repeat binds, interleaved in ROUNDS short rounds across the targets as searches are.
 */
async function measureBinds(targets: readonly Target[], d: Directory): Promise<Array<Record<string, Result>>> {
  const b = d.binders;
  const out: Array<Record<string, Result>> = targets.map(() => ({}));
  const conns: Client[][] = [];
  for (const [i, t] of targets.entries()) {
    const binders = await connectAll(t, CONNECTIONS, false);
    conns.push(binders);
    out[i]!['bind, first'] = await load(t, binders, 300, (c, n) => c.bind(t.userDn(b[n]!), password(b[n]!)), b.length);
  }
  const repeat = (t: Target) => (c: Client, n: number) => {
    const name = b[n % b.length]!;
    return c.bind(t.userDn(name), password(name));
  };
  const samples: Sample[][] = targets.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, t] of targets.entries()) samples[i]!.push(await sample(t, conns[i]!, SECONDS / ROUNDS, repeat(t)));
  }
  samples.forEach((x, i) => { out[i]!['bind, repeat'] = summarize(x); });
  for (const c of conns.flat()) await c.unbind();
  return out;
}

// ---- dirgate ------------------------------------------------------------------------------

interface Seeded {
  readonly url: string;
  readonly directory: Directory;
  drop(): Promise<void>;
}

/** A migrated, seeded dirgate store: a SQLite file in `dir`, or a fresh PostgreSQL schema. */
async function seedDirgate(dialect: Dialect, users: number, dir: string): Promise<Seeded> {
  let url: string;
  let searchPath: string[] | undefined;
  let dropStore = async () => undefined as void;
  if (dialect === 'sqlite') {
    url = `sqlite:${join(dir, `dirgate-${users}.sqlite`)}`;
  } else {
    const pgSchema = await freshPgSchema(PG_URL, 'ldap_bench');
    searchPath = pgSchema.searchPath;
    url = pgSchema.url;
    dropStore = () => pgSchema.drop();
  }
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
    'database.url': url, 'bootstrap.password': ADMIN_PASSWORD, 'bootstrap.token': 'dgt_bench_token_0123456789abcdef0123', 'log.level': 'silent',
  });
  const db = openDatabase(dialect === 'sqlite' ? url : PG_URL, searchPath ? { searchPath } : {});
  try {
    await migrate(db);
    await seedDirectory(db, { users, groups: Math.max(10, Math.round(users / 1000)) });
    // The admin the searches bind as: a superuser through the seeded `admins` group (bootstrap
    // would see a non-empty store and do nothing).
    const services = createServices(db, config);
    const admin = await services.users.create({ username: 'admin', name: 'Administrator', password: ADMIN_PASSWORD }, SYSTEM_ACTOR);
    const admins = await services.groups.findByName('admins');
    if (!admins?.isSuperuser) throw new Error('the seeder no longer makes a superuser group "admins"');
    await services.groups.changeMembers(admins.id, { addUsers: [admin.id] }, SYSTEM_ACTOR);
    const rows = (await db.knex('users').whereNot('username', 'admin').orderBy('seq')
      .select('id', 'seq', 'username', 'name', 'email', 'is_active', 'attributes')) as Array<Record<string, unknown>>;
    const attr = (r: Record<string, unknown>, k: string) => {
      const a = (typeof r.attributes === 'string' ? JSON.parse(r.attributes) : r.attributes) as Record<string, unknown>;
      return typeof a[k] === 'string' ? (a[k] as string) : String(r.username);
    };
    const binders = rows.filter((r) => r.is_active === true || r.is_active === 1).slice(0, BIND_USERS);
    for (let i = 0; i < binders.length; i += 8) {
      await Promise.all(binders.slice(i, i + 8).map((r) => services.users.setPassword(String(r.id), password(String(r.username)), SYSTEM_ACTOR)));
    }
    const directory: Directory = {
      users: rows.map((r) => ({
        username: String(r.username), name: String(r.name), email: (r.email as string | null) ?? null, seq: Number(r.seq),
        sn: attr(r, 'sn'), givenName: attr(r, 'givenName'),
      })),
      binders: binders.map((r) => String(r.username)),
    };
    return { url, directory, drop: dropStore };
  } finally {
    await db.close();
  }
}

async function startDirgate(url: string, label: string, workers: number): Promise<{ target: Target; child: ChildProcess }> {
  const port = await freePort();
  const httpPort = await freePort();
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_PROFILE)] : [];
  const child = spawn(process.execPath, [...profile, resolve('dist/src/main.js')], {
    env: {
      PATH: process.env.PATH ?? '', DIRGATE_DATABASE_URL: url, DIRGATE_HOST: '127.0.0.1', DIRGATE_LDAP_PORT: String(port),
      DIRGATE_HTTP_PORT: String(httpPort), DIRGATE_LOG_LEVEL: 'warn', DIRGATE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD,
      DIRGATE_LDAP_SIZE_LIMIT: '1000', DIRGATE_WORKERS: String(workers),
      ...(process.env.DIRGATE_DATABASE_POOL_MAX ? { DIRGATE_DATABASE_POOL_MAX: process.env.DIRGATE_DATABASE_POOL_MAX } : {}),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const target: Target = {
    name: label, url: `ldap://127.0.0.1:${port}`, adminDn: `cn=admin,ou=users,${BASE}`, adminPassword: ADMIN_PASSWORD,
    userDn: (name) => `cn=${name},ou=users,${BASE}`, metricsUrl: `http://127.0.0.1:${httpPort}/metrics`, ...(child.pid ? { pid: child.pid } : {}),
  };
  await waitForLdap(target.url);
  await waitForWorkers(target.metricsUrl!, workers);
  return { target, child };
}

// ---- slapd --------------------------------------------------------------------------------

function ssha(pw: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(pw).update(salt).digest(), salt]).toString('base64')}`;
}

function haveSlapd(): boolean {
  return spawnSync('sh', ['-c', 'command -v slapd && command -v slapadd']).status === 0;
}

async function startSlapd(dir: string, d: Directory): Promise<{ target: Target; child: ChildProcess }> {
  const db = join(dir, 'slapd-db');
  mkdirSync(db);
  const conf = join(dir, 'slapd.conf');
  writeFileSync(conf, [
    ...['core', 'cosine', 'inetorgperson', 'nis'].map((s) => `include /etc/ldap/schema/${s}.schema`),
    `pidfile ${join(dir, 'slapd.pid')}`, `argsfile ${join(dir, 'slapd.args')}`,
    'modulepath /usr/lib/ldap', 'moduleload back_mdb', 'loglevel 0', 'sizelimit 1000',
    'database mdb', `suffix "${BASE}"`, `rootdn "cn=root,${BASE}"`, 'rootpw secret', `directory ${db}`, 'maxsize 1073741824',
    'index objectClass eq', 'index uid eq', 'index cn eq', 'index mail eq', '',
  ].join('\n'));
  const ldif: string[] = [
    `dn: ${BASE}\nobjectClass: top\nobjectClass: domain\ndc: example\n`,
    `dn: ou=users,${BASE}\nobjectClass: organizationalUnit\nou: users\n`,
    `dn: ou=groups,${BASE}\nobjectClass: organizationalUnit\nou: groups\n`,
  ];
  const bindable = new Set(d.binders);
  for (const u of d.users) {
    ldif.push([
      `dn: cn=${u.username},ou=users,${BASE}`, 'objectClass: top', 'objectClass: person', 'objectClass: organizationalPerson',
      'objectClass: inetOrgPerson', 'objectClass: posixAccount', `cn: ${u.username}`, `uid: ${u.username}`,
      `displayName:: ${Buffer.from(u.name).toString('base64')}`, `sn:: ${Buffer.from(u.sn).toString('base64')}`,
      `givenName:: ${Buffer.from(u.givenName).toString('base64')}`, ...(u.email ? [`mail: ${u.email}`] : []),
      `uidNumber: ${10000 + u.seq}`, `gidNumber: ${10000 + u.seq}`, `homeDirectory: /home/${u.username}`,
      ...(bindable.has(u.username) ? [`userPassword: ${ssha(password(u.username))}`] : []), '',
    ].join('\n'));
  }
  const file = join(dir, 'data.ldif');
  writeFileSync(file, ldif.join('\n'));
  const add = spawnSync('slapadd', ['-q', '-f', conf, '-l', file], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`slapadd failed: ${add.stderr}`);
  const port = await freePort();
  const child = spawn('slapd', ['-d', '0', '-f', conf, '-h', `ldap://127.0.0.1:${port}/`], { stdio: ['ignore', 'ignore', 'inherit'] });
  const target: Target = {
    name: 'slapd', url: `ldap://127.0.0.1:${port}`, adminDn: `cn=root,${BASE}`, adminPassword: 'secret',
    userDn: (name) => `cn=${name},ou=users,${BASE}`, ...(child.pid ? { pid: child.pid } : {}),
  };
  await waitForLdap(target.url);
  return { target, child };
}

// ---- main ---------------------------------------------------------------------------------

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

const LABEL: Readonly<Record<Dialect, string>> = { sqlite: 'SQLite', pg: 'PostgreSQL' };

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await once(child, 'exit');
}

/** Measures every store and slapd for one directory size; prints its table. */
async function runSize(users: number, dir: string, stop: ChildProcess[]): Promise<void> {
  const targets: Target[] = [];
  const drops: Array<() => Promise<void>> = [];
  let directory: Directory | null = null;
  try {
    for (const dialect of DBS) {
      const t0 = Date.now();
      const seeded = await seedDirgate(dialect, users, dir);
      drops.push(seeded.drop);
      directory ??= seeded.directory;
      process.stdout.write(`seeded dirgate on ${LABEL[dialect]} with ${users} users in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
      for (const workers of WORKERS) {
        const ours = await startDirgate(seeded.url, `dirgate ${LABEL[dialect]} w${workers}`, workers);
        stop.push(ours.child);
        targets.push(ours.target);
      }
    }
    if (!directory) return;
    let slapd: Target | null = null;
    if (process.env.BENCH_SLAPD !== '0') {
      if (haveSlapd()) {
        const sd = join(dir, `slapd-${users}`);
        mkdirSync(sd);
        const s = await startSlapd(sd, directory);
        stop.push(s.child);
        slapd = s.target;
        targets.push(slapd);
      } else {
        process.stdout.write('slapd not installed (apt-get install slapd): printing dirgate only\n');
      }
    }
    const results: Array<Record<string, Result>> = targets.map(() => ({}));
    if (OPS.has('search')) {
      const searches = await measureSearches(targets, directory, 'plain');
      searches.forEach((r, i) => { results[i]!['search (uid=<user>)'] = r; });
    }
    if (OPS.has('search') || OPS.has('warmed')) {
      const warmed = await measureSearches(targets, directory, 'warmed');
      warmed.forEach((r, i) => { results[i]!['search, every user asked before'] = r; });
    }
    if (OPS.has('search') || OPS.has('fresh')) {
      const fresh = await measureSearches(targets, directory, 'fresh');
      fresh.forEach((r, i) => { results[i]!['search, never repeated'] = r; });
    }
    if (OPS.has('bind')) (await measureBinds(targets, directory)).forEach((r, i) => Object.assign(results[i]!, r));
    if (OPS.has('mixed')) {
      const mixed = await measureMixed(targets, directory);
      mixed.forEach((r, i) => { results[i]![`search while ${MIXED_BINDERS} clients bind`] = r; });
    }
    printTable(users, targets, results, slapd !== null);
  } finally {
    for (const c of stop.splice(0)) await stopChild(c);
    for (const d of drops) await d();
  }
}

function printTable(users: number, targets: readonly Target[], results: ReadonlyArray<Record<string, Result>>, withSlapd: boolean): void {
  const ours = withSlapd ? targets.length - 1 : targets.length;
  const header = ['operation'];
  for (const t of targets) header.push(`${t.name} ops/s`, 'p50 ms', 'p99 ms');
  if (withSlapd) for (const t of targets.slice(0, ours)) header.push(`${t.name.replace('dirgate ', '')}/slapd`);
  const rows = [header];
  for (const op of Object.keys(results[0] ?? {})) {
    const row = [op];
    for (const r of results) row.push(fmt(r[op]!.ops), fmt(r[op]!.p50, 2), fmt(r[op]!.p99, 2));
    if (withSlapd) for (const r of results.slice(0, ours)) row.push(`${(r[op]!.ops / results[ours]![op]!.ops).toFixed(2)}x`);
    rows.push(row);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  process.stdout.write(`\n${users} users, ${CONNECTIONS} connections, ${SECONDS} s per measurement (searches and repeat binds: ${ROUNDS} interleaved rounds)\n`);
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
  for (const op of Object.keys(results[0] ?? {})) {
    const shares = results.slice(0, ours).map((r, i) => (r[op]!.hits === undefined ? null : `${targets[i]!.name} ${(100 * r[op]!.hits!).toFixed(0)} %`)).filter((x) => x !== null);
    if (shares.length > 0) process.stdout.write(`(${op}: answered from kept answers — ${shares.join(', ')})\n`);
  }
  printCpu(targets, results);
  process.stdout.write('\n');
}

/**
 * Where one operation's time goes: CPU microseconds per operation used by the server's
 * processes, by PostgreSQL's (any database's: keep the box otherwise idle) and by the client,
 * measured over the same rounds as the rates. On a box whose cores the three share, the sum is
 * what one operation costs the box.
 */
function printCpu(targets: readonly Target[], results: ReadonlyArray<Record<string, Result>>): void {
  if (results.some((r) => Object.values(r).some((x) => !x.cpu))) return;
  const rows = [['CPU µs per operation', ...targets.map((t) => `${t.name} server+PG+client`)]];
  for (const op of Object.keys(results[0] ?? {})) {
    if (op === 'bind, first') continue; // the KDF's cost, by design
    rows.push([op, ...results.map((r) => {
      const c = r[op]!.cpu!;
      return `${fmt(c.server)}+${fmt(c.postgres)}+${fmt(c.client)}=${fmt(c.server + c.postgres + c.client)}`;
    })]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]?.length ?? 0)));
  process.stdout.write('\n');
  for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-ldap-bench-'));
  const stop: ChildProcess[] = [];
  try {
    process.stdout.write(`ldap-bench: sizes ${SIZES.join(', ')}; stores ${DBS.join(', ')}; ${CONNECTIONS} connections, ${SECONDS} s per run, ${BIND_USERS} users with passwords\n`);
    for (const users of SIZES) await runSize(users, dir, stop);
    process.stdout.write('(first bind: dirgate runs scrypt at the configured cost, slapd checks a salted SHA-1)\n');
    process.stdout.write('(entries: dirgate\'s also carry memberOf, dirgateActive, dirgateSuperuser and the custom attributes, ~700 bytes; slapd\'s the inetOrgPerson/posixAccount core)\n');
  } finally {
    for (const c of stop) if (c.exitCode === null) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`ldap-bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
