/**
 * `npm run bench:export`: exports N users (default 1,000,000) from PostgreSQL to CSV through the
 * real job runner, in a child process, and prints the seconds and the child's peak RSS.
 * Targets: ≤ 60 s and ≤ 200 MB.
 *
 * PostgreSQL: DIRGATE_BENCH_PG_URL, else DIRGATE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test.
 * The users (bench/seed.ts's realistic directory) live in schema `bench_export_seeded_<N>` and are kept between runs (seeding is the slow
 * part); DIRGATE_BENCH_RESEED=1 starts over. DIRGATE_BENCH_USERS sets N.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { ExportRunner } from '../src/services/export-runner.js';
import { createServices } from '../src/services/index.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { seedDirectory } from './seed.js';

const PG_URL = process.env.DIRGATE_BENCH_PG_URL || process.env.DIRGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const USERS = Number(process.env.DIRGATE_BENCH_USERS ?? 1_000_000);
const SCHEMA = `bench_export_seeded_${USERS}`;
const TARGET_SECONDS = 60;
const TARGET_RSS_MB = 200;

function open(): Database {
  return openDatabase(PG_URL, { searchPath: [SCHEMA, 'public'], poolMax: 4 });
}

/** Seeds with the shared benchmark seeder (bench/seed.ts) unless the schema already holds the users. */
async function seed(db: Database, n: number): Promise<void> {
  const have = Number((await db.knex('users').count<{ c: number }[]>({ c: '*' }))[0]?.c ?? 0);
  if (have === n) return;
  if (have !== 0) throw new Error(`schema ${SCHEMA} holds ${have} users, not ${n}; rerun with DIRGATE_BENCH_RESEED=1`);
  const started = Date.now();
  process.stdout.write(`  seeding ${n.toLocaleString('en')} users with bench/seed.ts (kept for later runs)…\n`);
  await seedDirectory(db, { users: n, groups: Math.max(10, Math.round(n / 1000)) });
  process.stdout.write(`  seeded in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** The measured part, in its own process so its peak RSS is the export's alone. */
async function child(): Promise<void> {
  const dir = process.argv[3]!;
  const sep = PG_URL.includes('?') ? '&' : '?';
  const url = `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${SCHEMA},public`)}`;
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': url, 'exports.dir': dir, 'log.level': 'warn' });
  const db = openDatabase(config.databaseUrl, { poolMax: 4 });
  const services = createServices(db, config);
  const log = pino({ level: 'warn' });
  const job = await services.exports.request({ search: '', ordering: '' }, { userId: null, username: 'bench' });
  const started = process.hrtime.bigint();
  const runner = new ExportRunner(db, config, services.notifications, log, { pollMs: 50 });
  runner.start();
  for (;;) {
    const e = await db.knex('exports').where({ id: job.id }).first() as { status: string; row_count: number; file_path: string; error: string | null };
    if (e.status === 'done' || e.status === 'failed') {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await runner.stop();
      await db.close();
      process.stdout.write(JSON.stringify({ status: e.status, error: e.error, rows: Number(e.row_count), seconds, file: e.file_path, maxRssKb: process.resourceUsage().maxRSS, cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6 }) + '\n');
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  if (process.env.DIRGATE_BENCH_RESEED === '1') await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.query(`create schema if not exists ${SCHEMA}`);
  await admin.end();
  const db = open();
  await migrate(db);
  process.stdout.write(`export bench: ${USERS.toLocaleString('en')} users on PostgreSQL (schema ${SCHEMA})\n`);
  await seed(db, USERS);
  await db.close();

  const dir = mkdtempSync(join(tmpdir(), 'dirgate-export-bench-'));
  try {
    const out = await new Promise<string>((resolve, reject) => {
      let text = '';
      const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], { stdio: ['ignore', 'pipe', 'inherit'] });
      p.stdout.on('data', (d) => { text += d; });
      p.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`export child exited with ${code}`))));
    });
    const r = JSON.parse(out.trim().split('\n').pop()!) as { status: string; error: string | null; rows: number; seconds: number; file: string; maxRssKb: number; cpuSeconds: number };
    if (r.status !== 'done') throw new Error(`export ${r.status}: ${r.error}`);
    const rssMb = r.maxRssKb / 1024;
    const sizeMb = statSync(r.file).size / 1024 / 1024;
    const rows = [
      ['metric', 'value', 'target', ''],
      ['rows exported', r.rows.toLocaleString('en'), USERS.toLocaleString('en'), r.rows >= USERS ? 'ok' : 'MISSING ROWS'],
      ['seconds', r.seconds.toFixed(1), `≤ ${TARGET_SECONDS}`, r.seconds <= TARGET_SECONDS ? 'ok' : 'OVER'],
      ['rows / s', Math.round(r.rows / r.seconds).toLocaleString('en'), '', ''],
      ['CPU seconds', r.cpuSeconds.toFixed(1), '', '(this process; the machine load adds wall time)'],
      ['peak RSS (MB)', rssMb.toFixed(0), `≤ ${TARGET_RSS_MB}`, rssMb <= TARGET_RSS_MB ? 'ok' : 'OVER'],
      ['CSV size (MB)', sizeMb.toFixed(0), '', ''],
    ];
    for (const row of rows) process.stdout.write(`  ${row[0]!.padEnd(16)}${row[1]!.padStart(14)}  ${row[2]!.padEnd(12)}${row[3]}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  child().catch((e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); });
} else {
  main().catch((e) => { process.stderr.write(`export bench: ${(e as Error).message}\n`); process.exit(1); });
}
