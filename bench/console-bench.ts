/**
 * `npm run bench:console`: the console's Users page over HTTP against N users (default 1,000,000)
 * on PostgreSQL — the whole page (list + folder tree) and the htmx list fragment, first, middle and
 * last page, sorted, searched — printing the median of 5 requests each.
 *
 * PostgreSQL: DIRGATE_BENCH_PG_URL, else DIRGATE_TEST_PG_URL, else postgres://postgres@127.0.0.1:5432/test.
 * The users (one INSERT … SELECT) live in schema `bench_console_<N>`, kept between runs; DIRGATE_BENCH_RESEED=1 starts over.
 */
import pg from 'pg';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { openDatabase } from '../src/store/database.js';

const PG_URL = process.env.DIRGATE_BENCH_PG_URL || process.env.DIRGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/test';
const USERS = Number(process.env.DIRGATE_BENCH_USERS ?? 1_000_000);
const SCHEMA = `bench_console_${USERS}`;
const PASSWORD = 'bench-console-password';

async function createSchema(): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  if (process.env.DIRGATE_BENCH_RESEED === '1') await admin.query(`drop schema if exists ${SCHEMA} cascade`);
  await admin.query(`create schema if not exists ${SCHEMA}`);
  await admin.end();
}

const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'Support', 'Legal', 'HR', 'Operations', 'Research', 'Design'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Müller', 'Nakamura', 'Okafor', 'Jensen'];
const FOLDERS = ['users', 'users/eng', 'users/sales', 'users/eng/platform', 'contractors'];

/** After the bootstrap admin exists: N users in one INSERT … SELECT (bench/seed.ts takes minutes at 1M here). */
async function seed(): Promise<void> {
  const db = openDatabase(PG_URL, { searchPath: [SCHEMA, 'public'], poolMax: 2 });
  try {
    const have = Number((await db.knex('users').count<{ c: number }[]>({ c: '*' }))[0]?.c ?? 0);
    if (have > USERS) return;
    const t = Date.now();
    process.stdout.write(`  seeding ${USERS.toLocaleString('en')} users (kept for later runs)…\n`);
    const arr = (xs: readonly string[]) => `array[${xs.map((x) => `'${x.replace(/'/g, "''")}'`).join(',')}]`;
    await db.knex.raw(`insert into users (id, username, username_ci, name, name_ci, email, email_ci, path, type, is_active, attributes, last_login, created_at, updated_at, version)
      select lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'),
        'user' || g, 'user' || g,
        'Person ' || (${arr(LAST)})[g % ${LAST.length} + 1] || ' ' || g, lower('Person ' || (${arr(LAST)})[g % ${LAST.length} + 1] || ' ' || g),
        'user' || g || '@example.test', 'user' || g || '@example.test',
        (${arr(FOLDERS)})[g % ${FOLDERS.length} + 1], 'internal', g % 50 <> 0,
        jsonb_build_object('department', (${arr(DEPARTMENTS)})[g % ${DEPARTMENTS.length} + 1], 'n', g),
        case when g % 3 = 0 then null else now() - (g % 100000) * interval '1 minute' end, now(), now(), 1
      from generate_series(1, ?) g`, [USERS]);
    await db.knex.raw('analyze users');
    process.stdout.write(`  seeded in ${((Date.now() - t) / 1000).toFixed(0)} s\n`);
  } finally {
    await db.close();
  }
}

async function signIn(base: string): Promise<string> {
  const form = await fetch(`${base}/admin/login`);
  const loginCookie = /dirgate_console_login=([^;]+)/.exec(form.headers.get('set-cookie') ?? '')![1]!;
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const r = await fetch(`${base}/admin/login`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `dirgate_console_login=${loginCookie}` },
    body: new URLSearchParams({ username: 'admin', password: PASSWORD, _csrf: csrf, next: '/admin/users' }).toString(),
  });
  const session = /dirgate_console=([^;]+)/.exec(r.headers.get('set-cookie') ?? '');
  if (!session) throw new Error(`sign-in failed: ${r.status}`);
  return session[1]!;
}

async function median(base: string, cookie: string, path: string, fragment: boolean): Promise<{ ms: number; total: string }> {
  const times: number[] = [];
  let total = '';
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const r = await fetch(`${base}${path}`, { headers: { cookie: `dirgate_console=${cookie}`, ...(fragment ? { 'hx-request': 'true', 'hx-target': 'users-list' } : {}) } });
    const text = await r.text();
    times.push(performance.now() - t);
    if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
    total = /([\d,]+) users · page/.exec(text)?.[1] ?? '?';
  }
  times.sort((a, b) => a - b);
  return { ms: times[2]!, total };
}

await createSchema();
const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${SCHEMA},public`)}`;
const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
  'database.url': url, host: '127.0.0.1', 'http.port': 0, 'ldap.port': 0, 'ldap.ldaps_port': 0,
  'bootstrap.password': PASSWORD, 'bootstrap.token': 'dgt_bench_console_token_0123456789abcdef', 'log.level': 'silent',
});
const running = await startServer(config, pino({ level: 'silent' }));
const base = `http://127.0.0.1:${running.httpPort}`;
try {
  await seed();
  const cookie = await signIn(base);
  const last = Math.ceil((USERS + 1) / 20);
  const cases: Array<[string, string, boolean]> = [
    ['whole page (list + folder tree), page 1', '/admin/users', false],
    ['list fragment, page 1', '/admin/users?page=1', true],
    ['list fragment, page 2', '/admin/users?page=2', true],
    ['list fragment, sorted by -last_login', '/admin/users?ordering=-last_login', true],
    ['list fragment, sorted by name, page 1000', '/admin/users?ordering=name&page=1000', true],
    [`list fragment, last page (${last})`, `/admin/users?page=${last}`, true],
    ['search attributes.department = "Sales"', `/admin/users?search=${encodeURIComponent('attributes.department = "Sales"')}`, true],
    ['plain text "smith"', '/admin/users?search=smith', true],
    ['search username startswith "zz"', `/admin/users?search=${encodeURIComponent('username startswith "zz"')}`, true],
  ];
  console.log(`console users page, ${USERS.toLocaleString('en')} users on PostgreSQL (median of 5, ms)`);
  for (const [label, path, fragment] of cases) {
    const r = await median(base, cookie, path, fragment);
    console.log(`  ${label.padEnd(48)} ${r.ms.toFixed(0).padStart(7)} ms   total shown: ${r.total}`);
  }
} finally {
  await running.stop();
}
