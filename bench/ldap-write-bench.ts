/**
 * LDAP write latency: one ldapts connection bound as the bootstrap superuser does, per user,
 * an Add, a Modify of three attributes, a ModifyDN and a Delete, and then adds the users to one
 * group by `member`, on SQLite and on PostgreSQL (DIRGATE_BENCH_PG_URL, its own schema). Prints
 * the median and p90 per operation. `BENCH_WRITES` users (default 300).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import pino from 'pino';
import { loadConfig } from '../src/config.js';
import { startServer } from '../src/main.js';
import { freshPgSchema } from './pg-schema.js';

const N = Number(process.env.BENCH_WRITES ?? 300);
const PG = process.env.DIRGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const BASE = 'dc=example,dc=com';
const PASSWORD = 'bench-admin-password';

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
  return `p50 ${at(0.5).toFixed(2)} ms, p90 ${at(0.9).toFixed(2)} ms`;
}

async function timed(into: number[], fn: () => Promise<unknown>): Promise<void> {
  const t = process.hrtime.bigint();
  await fn();
  into.push(Number(process.hrtime.bigint() - t) / 1e6);
}

async function run(label: string, url: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-bench-write-'));
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
    'database.url': url, host: '127.0.0.1', 'http.port': 0, 'ldap.port': 0, 'ldap.ldaps_port': 0, 'exports.dir': dir,
    'bootstrap.password': PASSWORD, 'bootstrap.token': 'dgt_bench_write_token_0123456789abcdef', 'log.level': 'silent',
  });
  const server = await startServer(config, pino({ level: 'silent' }));
  const c = new Client({ url: `ldap://127.0.0.1:${server.ldapPort}` });
  try {
    await c.bind(`cn=admin,ou=users,${BASE}`, PASSWORD);
    await c.add(`cn=bench,ou=groups,${BASE}`, { objectClass: 'groupOfNames', cn: 'bench' });
    const times: Record<string, number[]> = { add: [], modify: [], 'add member': [], modifyDN: [], delete: [] };
    for (let i = 0; i < N; i++) {
      const dn = `cn=w${i},ou=users,${BASE}`;
      await timed(times.add!, () => c.add(dn, { objectClass: ['inetOrgPerson'], sn: `S${i}`, givenName: 'W', mail: `w${i}@example.com`, department: 'Bench' }));
      await timed(times.modify!, () => c.modify(dn, [
        new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: [`w${i}@corp.example.com`] }) }),
        new Change({ operation: 'add', modification: new Attribute({ type: 'title', values: ['Tester'] }) }),
        new Change({ operation: 'delete', modification: new Attribute({ type: 'department', values: [] }) }),
      ]));
      await timed(times['add member']!, () => c.modify(`cn=bench,ou=groups,${BASE}`, new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: [dn] }) })));
    }
    for (let i = 0; i < N; i++) {
      await timed(times.modifyDN!, () => c.modifyDN(`cn=w${i},ou=users,${BASE}`, `cn=x${i}`));
      await timed(times.delete!, () => c.del(`cn=x${i},ou=users,${BASE}`));
    }
    for (const [op, ms] of Object.entries(times)) console.log(`${label.padEnd(10)} ${op.padEnd(11)} ${stats(ms)}  (${ms.length} ops)`);
  } finally {
    await c.unbind().catch(() => undefined);
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-bench-write-db-'));
  try {
    await run('SQLite', `sqlite:${join(dir, 'bench.sqlite')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const schema = await freshPgSchema(PG, 'bench_write').catch(() => null);
  if (!schema) { console.log('PostgreSQL unreachable: skipped'); return; }
  try {
    await run('PostgreSQL', schema.url);
  } finally {
    await schema.drop();
  }
}

main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
