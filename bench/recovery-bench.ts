/**
 * `npm run bench:recovery`: does the self-service recovery page answer in the same time whether
 * or not the account exists? Seeds a directory (100k users by default), starts dirgate as its own
 * process with a real SMTP sink, turns self-service recovery on with limits out of the way, then
 * alternates requests naming an existing account (by its email, in upper case: the path that
 * creates a link and sends mail) and a missing one. Prints median, p10 and p90 for both and the
 * ratio of the medians, and how many emails arrived.
 *
 * Environment: BENCH_USERS (100000), BENCH_ROUNDS (300), BENCH_DB (sqlite, or a postgres:// URL:
 * the run gets a schema of its own, dropped after).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { SYSTEM_ACTOR } from '../src/domain/types.js';
import { loadConfig } from '../src/config.js';
import { createServices } from '../src/services/index.js';
import { openDatabase } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { freshPgSchema } from './pg-schema.js';
import { seedDirectory } from './seed.js';
import { freePort } from '../test/support/ports.js';

const USERS = Number(process.env.BENCH_USERS ?? 100000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 300);
const TOKEN = 'dgt_recovery_bench_token_0123456789abcdef';

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-recovery-bench-'));
  const pgSchema = process.env.BENCH_DB?.startsWith('postgres') ? await freshPgSchema(process.env.BENCH_DB, 'recovery_bench') : null;
  const url = pgSchema?.url ?? process.env.BENCH_DB ?? `sqlite:${join(dir, 'bench.sqlite')}`;
  const db = openDatabase(url);
  await migrate(db);
  const seeded = await seedDirectory(db, { users: USERS, groups: 100 });
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'auth.scrypt_n': 1024, 'log.level': 'silent' });
  const services = createServices(db, config);
  const bench = await services.users.create({ username: 'recovery-bench' }, SYSTEM_ACTOR);
  const admins = await services.groups.findByName('admins');
  if (!admins) throw new Error('the seeder made no admins group');
  await services.groups.changeMembers(admins.id, { addUsers: [bench.id] }, SYSTEM_ACTOR);
  await services.auth.createToken(bench.id, { description: 'recovery bench', key: TOKEN }, SYSTEM_ACTOR);
  await db.close();
  const emails = seeded.sampleUsers.map((u) => u.email).filter((e): e is string => e !== null);

  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, cb) { stream.resume(); stream.on('end', () => { mails++; cb(); }); },
  });
  const smtpPort = await freePort();
  await new Promise<void>((r) => smtp.listen(smtpPort, '127.0.0.1', r));

  const port = await freePort();
  const server = spawn(process.execPath, [resolve('dist/src/main.js')], {
    env: {
      PATH: process.env.PATH ?? '', DIRGATE_DATABASE_URL: url, DIRGATE_HOST: '127.0.0.1', DIRGATE_HTTP_PORT: String(port),
      DIRGATE_LDAP_PORT: String(await freePort()), DIRGATE_LDAPS_PORT: String(await freePort()), DIRGATE_LOG_LEVEL: 'warn',
      DIRGATE_BOOTSTRAP_PASSWORD: 'unused-bench-password', DIRGATE_BOOTSTRAP_TOKEN: 'dgt_unused_bench_token',
      DIRGATE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, DIRGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/readyz`)).ok) break; } catch { /* not up yet */ }
      if (i > 300) throw new Error('dirgate did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    const on = await fetch(`${base}/api/v1/settings`, {
      method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ 'recovery.self_service': true, 'recovery.limit_per_address': 100000, 'recovery.limit_per_account': 100000 }),
    });
    if (!on.ok) throw new Error(`turning self-service recovery on: ${on.status} ${await on.text()}`);

    const ask = async (identifier: string): Promise<number> => {
      const t = process.hrtime.bigint();
      const r = await fetch(`${base}/recovery`, { method: 'POST', body: new URLSearchParams({ identifier }) });
      await r.text();
      if (r.status !== 200) throw new Error(`POST /recovery: ${r.status}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    };
    const existing: number[] = [];
    const missing: number[] = [];
    for (let i = 0; i < 20; i++) { await ask(emails[i % emails.length]!.toUpperCase()); await ask(`warm-${i}@nowhere.test`); }
    for (let i = 0; i < ROUNDS; i++) {
      existing.push(await ask(emails[i % emails.length]!.toUpperCase()));
      missing.push(await ask(`nobody-${i}@nowhere.test`));
    }
    // Every request ends in one outcome event; wait for the background work to finish.
    const check = openDatabase(url);
    const outcomesOf = async () => (await check.knex('events')
      .whereIn('action', ['recovery_email_sent', 'recovery_email_failed', 'recovery_suppressed'])
      .select('action').count({ n: '*' }).groupBy('action')) as Array<{ action: string; n: number | string }>;
    let outcomes = await outcomesOf();
    for (let i = 0; i < 300 && outcomes.reduce((a, o) => a + Number(o.n), 0) < 2 * (ROUNDS + 20); i++) {
      await new Promise((r) => setTimeout(r, 100));
      outcomes = await outcomesOf();
    }
    await check.close();
    const kind = url.startsWith('sqlite') ? 'SQLite' : 'PostgreSQL';
    process.stdout.write(`\nPOST /recovery, ${USERS} users, ${ROUNDS} rounds alternating, one connection, ${kind}\n`);
    process.stdout.write(`${'answer names'.padEnd(34)} ${'p10 ms'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p90 ms'.padStart(8)}\n`);
    for (const [name, xs] of [['an existing account', existing], ['no account', missing]] as const) {
      process.stdout.write(`${name.padEnd(34)} ${quantile(xs, 0.1).toFixed(2).padStart(8)} ${quantile(xs, 0.5).toFixed(2).padStart(8)} ${quantile(xs, 0.9).toFixed(2).padStart(8)}\n`);
    }
    process.stdout.write(`median ratio existing/missing: ${(quantile(existing, 0.5) / quantile(missing, 0.5)).toFixed(3)}; emails received: ${mails}\n`);
    process.stdout.write(`outcomes (the seed's deactivated and service accounts get no mail): ${outcomes.map((o) => `${o.action} ${o.n}`).join(', ')}\n`);
  } finally {
    server.kill('SIGTERM');
    await once(server, 'exit');
    await new Promise<void>((r) => smtp.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
    await pgSchema?.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`recovery bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
