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
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { openDatabase } from '../src/store/database.js';
import { freshPgSchema } from './pg-schema.js';
import { seedWithAdminToken, spawnDirgate, type SpawnedDirgate } from './serve.js';
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
  const seeded = await seedWithAdminToken(url, { users: USERS, groups: 100, username: 'recovery-bench', token: TOKEN });
  const emails = seeded.sampleUsers.map((u) => u.email).filter((e): e is string => e !== null);

  let mails = 0;
  const smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, _session, cb) { stream.resume(); stream.on('end', () => { mails++; cb(); }); },
  });
  const smtpPort = await freePort();
  await new Promise<void>((r) => smtp.listen(smtpPort, '127.0.0.1', r));

  const port = await freePort();
  let server: SpawnedDirgate | undefined;
  try {
    server = await spawnDirgate(url, { DIRGATE_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`, DIRGATE_PUBLIC_URL: `http://127.0.0.1:${port}` }, port);
    const base = server.base;
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
    await server?.stop();
    await new Promise<void>((r) => smtp.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
    await pgSchema?.drop();
  }
}

main().catch((e) => {
  process.stderr.write(`recovery bench failed: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
