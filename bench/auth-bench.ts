/**
 * `npm run bench:auth`: does a refused sign-in take the same time whatever the reason? Starts
 * dirgate as its own process (default scrypt parameters, throttling out of the way) and times,
 * interleaved, LDAP simple binds (ldapts, one connection) and `POST /api/v1/auth/login` for:
 * an existing user with a wrong password, an unknown username, a user without a password, and a
 * deactivated user with its right password. Every case must do the same KDF work (issue 15), so
 * the medians should be within noise of each other. Prints p50 and p90 per case and door and
 * each median's ratio to the wrong-password one.
 *
 * Environment: BENCH_ROUNDS (60), BENCH_DB (sqlite, or a postgres:// URL: the run gets a schema
 * of its own, dropped after).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, InvalidCredentialsError } from 'ldapts';
import { loadConfig } from '../src/config.js';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { createServices } from '../src/services/index.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { freePort } from '../test/support/ports.js';
import { freshPgSchema } from './pg-schema.js';
import { spawnDirgate, type SpawnedDirgate } from './serve.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 60);
const BASE = 'dc=example,dc=com';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

const CASES = [
  { name: 'wrong password', username: 'bench-real', password: 'not-the-password' },
  { name: 'unknown user', username: 'bench-nobody', password: 'not-the-password' },
  { name: 'user without a password', username: 'bench-nopass', password: 'not-the-password' },
  { name: 'deactivated (right password)', username: 'bench-off', password: 'bench-password-1' },
] as const;

async function seed(url: string): Promise<void> {
  const db = openDatabase(url);
  try {
    await migrate(db);
    // The production default cost (config/default.yaml), so the KDF dominates as it does in service.
    const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'log.level': 'silent' });
    const s = createServices(db, config);
    await s.users.create({ username: 'bench-real', password: 'bench-password-1' }, SYSTEM_ACTOR);
    await s.users.create({ username: 'bench-nopass' }, SYSTEM_ACTOR);
    const off = await s.users.create({ username: 'bench-off', password: 'bench-password-1' }, SYSTEM_ACTOR);
    await s.users.update(off.id, { isActive: false }, SYSTEM_ACTOR);
    await s.settings.update({ 'login.throttle_count': 100000, 'lockout.threshold': 0 }, SYSTEM_ACTOR);
  } finally {
    await db.close();
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-auth-bench-'));
  const pgSchema = process.env.BENCH_DB?.startsWith('postgres') ? await freshPgSchema(process.env.BENCH_DB, 'auth_bench') : null;
  const url = pgSchema?.url ?? process.env.BENCH_DB ?? `sqlite:${join(dir, 'bench.sqlite')}`;
  let server: SpawnedDirgate | undefined;
  try {
    await seed(url);
    const ldapPort = await freePort();
    server = await spawnDirgate(url, { DIRGATE_LDAP_PORT: String(ldapPort) });
    const base = server.base;
    const client = new Client({ url: `ldap://127.0.0.1:${ldapPort}` });
    const bind = async (username: string, password: string): Promise<number> => {
      const t = process.hrtime.bigint();
      try {
        await client.bind(`cn=${username},ou=users,${BASE}`, password);
        throw new Error(`bind of ${username} succeeded`);
      } catch (e) {
        if (!(e instanceof InvalidCredentialsError)) throw e;
      }
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const login = async (username: string, password: string): Promise<number> => {
      const t = process.hrtime.bigint();
      const r = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
      await r.text();
      if (r.status !== 401) throw new Error(`login of ${username}: ${r.status}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const times = CASES.map(() => ({ ldap: [] as number[], api: [] as number[] }));
    for (let round = -5; round < ROUNDS; round++) { // five warm-up rounds
      for (const [i, c] of CASES.entries()) {
        const l = await bind(c.username, c.password);
        const a = await login(c.username, c.password);
        if (round >= 0) { times[i]!.ldap.push(l); times[i]!.api.push(a); }
      }
    }
    await client.unbind();
    const kind = url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL';
    process.stdout.write(`\nrefused sign-ins, ${ROUNDS} rounds interleaved, default scrypt (N=16384), one connection, ${kind}\n`);
    process.stdout.write(`${'case'.padEnd(30)} ${'LDAP p50'.padStart(9)} ${'p90'.padStart(7)} ${'ratio'.padStart(6)}   ${'API p50'.padStart(9)} ${'p90'.padStart(7)} ${'ratio'.padStart(6)}\n`);
    const ref = { ldap: quantile(times[0]!.ldap, 0.5), api: quantile(times[0]!.api, 0.5) };
    for (const [i, c] of CASES.entries()) {
      const t = times[i]!;
      const l50 = quantile(t.ldap, 0.5), a50 = quantile(t.api, 0.5);
      process.stdout.write(`${c.name.padEnd(30)} ${l50.toFixed(2).padStart(9)} ${quantile(t.ldap, 0.9).toFixed(2).padStart(7)} ${(l50 / ref.ldap).toFixed(2).padStart(6)}   `
        + `${a50.toFixed(2).padStart(9)} ${quantile(t.api, 0.9).toFixed(2).padStart(7)} ${(a50 / ref.api).toFixed(2).padStart(6)}\n`);
    }
    process.stdout.write('(ms; ratio = median / median of "wrong password" on the same door)\n');
  } finally {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
    await pgSchema?.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`auth bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
