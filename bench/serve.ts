import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { loadConfig } from '../src/config.js';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { createServices } from '../src/services/index.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { freePort } from '../test/support/ports.js';
import { seedDirectory, type SeededDirectory } from './seed.js';

/**
 * Migrates and seeds the store at `url`, and gives a superuser (member of the seeded `admins`
 * group) the API token `token`, for a benchmark that talks HTTP to a spawned dirgate.
 */
export async function seedWithAdminToken(url: string, opts: { users: number; groups: number; username: string; token: string }): Promise<SeededDirectory> {
  const db = openDatabase(url);
  try {
    await migrate(db);
    const seeded = await seedDirectory(db, { users: opts.users, groups: opts.groups });
    const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'auth.scrypt_n': 1024, 'log.level': 'silent' });
    const services = createServices(db, config);
    const admin = await services.users.create({ username: opts.username }, SYSTEM_ACTOR);
    const admins = await services.groups.findByName('admins');
    if (!admins) throw new Error('the seeder made no admins group');
    await services.groups.changeMembers(admins.id, { addUsers: [admin.id] }, SYSTEM_ACTOR);
    await services.auth.createToken(admin.id, { description: opts.username, key: opts.token }, SYSTEM_ACTOR);
    return seeded;
  } finally {
    await db.close();
  }
}

export interface SpawnedDirgate {
  /** e.g. http://127.0.0.1:40123 */
  readonly base: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts `dist/src/main.js` as its own process on the store at `url` (free loopback ports, log
 * level warn, one process unless `env` sets DIRGATE_WORKERS, `env` added; `nodeArgs` go to node
 * before the script, e.g. `--cpu-prof`, and reach cluster workers too) and waits until `/readyz` answers.
 */
export async function spawnDirgate(url: string, env: Record<string, string> = {}, port?: number, nodeArgs: readonly string[] = []): Promise<SpawnedDirgate> {
  const httpPort = port ?? await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, resolve('dist/src/main.js')], {
    env: {
      PATH: process.env.PATH ?? '', DIRGATE_DATABASE_URL: url, DIRGATE_HOST: '127.0.0.1', DIRGATE_HTTP_PORT: String(httpPort),
      DIRGATE_LDAP_PORT: String(await freePort()), DIRGATE_LDAPS_PORT: String(await freePort()), DIRGATE_LOG_LEVEL: 'warn',
      DIRGATE_BOOTSTRAP_PASSWORD: 'unused-bench-password', DIRGATE_BOOTSTRAP_TOKEN: 'dgt_unused_bench_token_0123456789abcdef',
      // One process unless the bench asks for workers, so a figure never depends on the machine's core count.
      DIRGATE_WORKERS: '1',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not up yet */ }
      if (child.exitCode !== null || i > 300) throw new Error('dirgate did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitForWorkers(`${base}/metrics`, Number(env.DIRGATE_WORKERS ?? 1));
  } catch (e) {
    await stop();
    throw e;
  }
  return { base, port: httpPort, stop };
}

/**
 * Until every worker serves: the listener answers once the first does, and connections made
 * before the others are up all land on it (the primary deals each to a worker that is ready).
 */
export async function waitForWorkers(metricsUrl: string, workers: number): Promise<void> {
  if (workers <= 1) return;
  for (let i = 0; i < 300; i++) {
    const text = await (await fetch(metricsUrl)).text().catch(() => '');
    if (new Set([...text.matchAll(/process_resident_memory_bytes\{worker="(\d+)"\}/g)].map((m) => m[1])).size >= workers) {
      // A worker answers for its metrics a moment before its LDAP listener is up.
      await new Promise((r) => setTimeout(r, 2000));
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${metricsUrl}: not all ${workers} workers came up`);
}
