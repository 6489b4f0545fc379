/**
 * `npm run bench:ldap`: dirgate's LDAP listener against OpenLDAP's slapd, same users, same
 * client (ldapts), same run. N concurrent connections doing `(uid=userK)` searches, then binds
 * (first bind = KDF, repeat bind = the bind cache). Prints ops/s and p50/p99 side by side.
 *
 * Environment: BENCH_USERS (default 10000), BENCH_CONNECTIONS (16), BENCH_SECONDS (5),
 * BENCH_BIND_USERS (users with passwords, 200), BENCH_DB (sqlite | a postgres:// URL).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { loadConfig } from '../src/config.js';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { createServices } from '../src/services/index.js';
import { bootstrap } from '../src/services/bootstrap.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import pino from 'pino';

const USERS = Number(process.env.BENCH_USERS ?? 10000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const BIND_USERS = Math.min(USERS, Number(process.env.BENCH_BIND_USERS ?? 200));
/** BENCH_OPS: which measurements to run (search, bind), e.g. to profile one of them. */
const OPS = new Set((process.env.BENCH_OPS ?? 'search,bind').split(',').map((x) => x.trim()));
const BASE = 'dc=example,dc=com';
const ADMIN_PASSWORD = 'bench-admin-password';
const password = (i: number) => `password-of-user${i}`;
const username = (i: number) => `user${i}`;

interface Target {
  readonly name: string;
  readonly url: string;
  readonly adminDn: string;
  readonly adminPassword: string;
  userDn(i: number): string;
}

interface Result { readonly ops: number; readonly p50: number; readonly p99: number }

async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
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

/** Runs `op` on `conns` connections for `seconds` (or until `maxOps` in total). */
async function load(conns: Client[], seconds: number, op: (c: Client, n: number) => Promise<void>, maxOps = Infinity): Promise<Result> {
  const latencies: number[] = [];
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
  const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
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

async function measure(t: Target): Promise<Record<string, Result>> {
  const out: Record<string, Result> = {};
  if (OPS.has('search')) {
    const searchers = await connectAll(t, CONNECTIONS, true);
    // Warm-up, then the measured run.
    await load(searchers, 1, (c) => c.search(BASE, { scope: 'sub', filter: `(uid=${username(1 + Math.floor(Math.random() * USERS))})` }).then(() => undefined));
    out['search (uid=userK)'] = await load(searchers, SECONDS, async (c) => {
      const k = 1 + Math.floor(Math.random() * USERS);
      const r = await c.search(BASE, { scope: 'sub', filter: `(uid=${username(k)})` });
      if (r.searchEntries.length !== 1) throw new Error(`${t.name}: (uid=${username(k)}) returned ${r.searchEntries.length} entries`);
    });
    await Promise.all(searchers.map((c) => c.unbind()));
  }
  if (!OPS.has('bind')) return out;
  const binders = await connectAll(t, CONNECTIONS, false);
  // First bind of each user: the KDF runs (dirgate) / SSHA check (slapd).
  out['bind, first'] = await load(binders, 120, (c, n) => c.bind(t.userDn(1 + n), password(1 + n)), BIND_USERS);
  out['bind, repeat'] = await load(binders, SECONDS, (c, n) => {
    const k = 1 + (n % BIND_USERS);
    return c.bind(t.userDn(k), password(k));
  });
  await Promise.all(binders.map((c) => c.unbind()));
  return out;
}

// ---- dirgate ------------------------------------------------------------------------------

async function seedDirgate(dir: string): Promise<string> {
  const url = process.env.BENCH_DB && process.env.BENCH_DB !== 'sqlite' ? process.env.BENCH_DB : `sqlite:${join(dir, 'dirgate.sqlite')}`;
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'bootstrap.password': ADMIN_PASSWORD, 'bootstrap.token': 'dgt_bench_token_0123456789abcdef0123', 'log.level': 'silent' });
  const db = openDatabase(url);
  await migrate(db);
  const services = createServices(db, config);
  await bootstrap(services, config, pino({ level: 'silent' }));
  const batch = 1000;
  for (let from = 1; from <= USERS; from += batch) {
    await db.transaction(async (trx) => {
      for (let i = from; i < from + batch && i <= USERS; i++) {
        await services.users.create({
          username: username(i), name: `User ${i}`, email: `${username(i)}@example.com`,
          ...(i <= BIND_USERS ? { password: password(i) } : {}),
        }, SYSTEM_ACTOR, { trx });
      }
    });
  }
  await db.close();
  return url;
}

async function startDirgate(url: string): Promise<{ target: Target; child: ChildProcess }> {
  const port = await freePort();
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir', resolve(process.env.BENCH_PROFILE)] : [];
  const child = spawn(process.execPath, [...profile, resolve('dist/src/main.js')], {
    env: {
      PATH: process.env.PATH ?? '', DIRGATE_DATABASE_URL: url, DIRGATE_HOST: '127.0.0.1', DIRGATE_LDAP_PORT: String(port),
      DIRGATE_HTTP_PORT: String(await freePort()), DIRGATE_LOG_LEVEL: 'warn', DIRGATE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD,
      DIRGATE_LDAP_SIZE_LIMIT: '1000',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const target: Target = {
    name: 'dirgate', url: `ldap://127.0.0.1:${port}`, adminDn: `cn=admin,ou=users,${BASE}`, adminPassword: ADMIN_PASSWORD,
    userDn: (i) => `cn=${username(i)},ou=users,${BASE}`,
  };
  await waitForLdap(target.url);
  return { target, child };
}

// ---- slapd --------------------------------------------------------------------------------

function ssha(pw: string): string {
  const salt = randomBytes(8);
  return `{SSHA}${Buffer.concat([createHash('sha1').update(pw).update(salt).digest(), salt]).toString('base64')}`;
}

async function startSlapd(dir: string): Promise<{ target: Target; child: ChildProcess } | null> {
  if (spawnSync('sh', ['-c', 'command -v slapd && command -v slapadd']).status !== 0) return null;
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
  for (let i = 1; i <= USERS; i++) {
    ldif.push([
      `dn: cn=${username(i)},ou=users,${BASE}`, 'objectClass: top', 'objectClass: person', 'objectClass: organizationalPerson',
      'objectClass: inetOrgPerson', 'objectClass: posixAccount', `cn: ${username(i)}`, `uid: ${username(i)}`, `displayName: User ${i}`,
      `sn: ${i}`, 'givenName: User', `mail: ${username(i)}@example.com`, `uidNumber: ${10001 + i}`, `gidNumber: ${10001 + i}`,
      `homeDirectory: /home/${username(i)}`, ...(i <= BIND_USERS ? [`userPassword: ${ssha(password(i))}`] : []), '',
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
    userDn: (i) => `cn=${username(i)},ou=users,${BASE}`,
  };
  await waitForLdap(target.url);
  return { target, child };
}

// ---- main ---------------------------------------------------------------------------------

function fmt(n: number, digits = 0): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-ldap-bench-'));
  const stop: ChildProcess[] = [];
  try {
    process.stdout.write(`ldap-bench: ${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s per run, ${BIND_USERS} users with passwords\n`);
    const t0 = Date.now();
    const url = await seedDirgate(dir);
    process.stdout.write(`seeded dirgate (${url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL'}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const ours = await startDirgate(url);
    stop.push(ours.child);
    const oursResult = await measure(ours.target);
    ours.child.kill('SIGTERM');
    await once(ours.child, 'exit');
    stop.pop();
    const slapd = process.env.BENCH_SLAPD === '0' ? null : await startSlapd(dir);
    let theirs: Record<string, Result> | null = null;
    if (slapd) {
      stop.push(slapd.child);
      theirs = await measure(slapd.target);
    } else {
      process.stdout.write('slapd not installed (apt-get install slapd): printing dirgate only\n');
    }
    const rows = [['operation', 'dirgate ops/s', 'p50 ms', 'p99 ms', 'slapd ops/s', 'p50 ms', 'p99 ms', 'ratio']];
    for (const [op, r] of Object.entries(oursResult)) {
      const s = theirs?.[op];
      rows.push([op, fmt(r.ops), fmt(r.p50, 2), fmt(r.p99, 2), s ? fmt(s.ops) : '-', s ? fmt(s.p50, 2) : '-', s ? fmt(s.p99, 2) : '-', s ? `${(r.ops / s.ops).toFixed(2)}x` : '-']);
    }
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const r of rows) process.stdout.write(`${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}\n`);
    process.stdout.write('(first bind: dirgate runs scrypt at the configured cost, slapd checks a salted SHA-1)\n');
  } finally {
    for (const c of stop) c.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`ldap-bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
