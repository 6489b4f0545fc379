/**
 * `npm run bench:query`: seeds 100k users and 1k nested groups on PostgreSQL (a fresh schema,
 * dropped after) and on SQLite (a temp file), then prints p50/p95 for ten representative
 * queries per dialect and PostgreSQL's plan for each. Not a timed test.
 *
 * DIRGATE_BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/test), BENCH_USERS,
 * BENCH_GROUPS, BENCH_ITERATIONS tune it; BENCH_DIALECTS=sqlite skips PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseAdminQuery } from '../src/query/admin-query.js';
import { ldapFilterToQuery } from '../src/query/ldap-filter.js';
import type { LdapFilter } from '../src/query/ldap-filter.js';
import { parseScimFilter } from '../src/query/scim-filter.js';
import { parseOrdering } from '../src/query/sql.js';
import type { Ordering } from '../src/query/sql.js';
import { DEFAULT_QUERY_LIMITS, matchAll } from '../src/query/validate.js';
import type { Validated } from '../src/query/validate.js';
import { openDatabase } from '../src/store/database.js';
import type { Database, Dialect } from '../src/store/database.js';
import { migrate } from '../src/store/migrate.js';
import { countSql, countUsers, selectSql, selectUserRows, type IdRestriction } from '../src/store/query-sql.js';
import { insertObjectPermission, objectIdsSql } from '../src/store/object-permissions-store.js';
import { assignRoleToUser, insertRole } from '../src/store/roles-store.js';
import { insertUser } from '../src/store/users-store.js';
import { seedDirectory } from './seed.js';
import type { SeededDirectory } from './seed.js';
import { freshPgSchema } from './pg-schema.js';

const PG_URL = process.env.DIRGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const USERS = Number(process.env.BENCH_USERS ?? 100000);
const GROUPS = Number(process.env.BENCH_GROUPS ?? 1000);
const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 60);
const BASE = 'dc=example,dc=com';
const L = DEFAULT_QUERY_LIMITS;

interface BenchQuery {
  readonly name: string;
  /** Builds the query for iteration i (values vary so no single row stays hot). */
  readonly make: (i: number) => Validated;
  readonly ordering?: Ordering;
  readonly limit: number;
  /** Also count the matches, as a paged admin list does. */
  readonly count?: boolean;
  /** Only the ids this subquery selects (an object-permission holder's list). */
  readonly only?: IdRestriction;
}

/**
 * A holder of user.view on exactly three users (issue 13): a role with three object grants,
 * assigned to a user of its own. Returns the restriction its user list runs with.
 */
async function threeUserHolder(db: Database, seeded: SeededDirectory): Promise<IdRestriction> {
  const role = await insertRole(db.knex, 'bench-three-users', []);
  const holder = await insertUser(db.knex, { username: 'bench-holder', path: 'users', type: 'internal' });
  await assignRoleToUser(db.knex, holder.id, role.id);
  for (const u of seeded.sampleUsers.slice(3, 6)) {
    await insertObjectPermission(db.knex, { roleId: role.id, permission: 'user.view', objectType: 'user', objectId: u.id });
  }
  return objectIdsSql(holder.id, 'user.view', 'user');
}

function queries(seeded: SeededDirectory, three: IdRestriction): BenchQuery[] {
  const u = (i: number) => seeded.sampleUsers[i % seeded.sampleUsers.length]!;
  const withEmail = seeded.sampleUsers.filter((x) => x.email);
  const withExt = seeded.sampleUsers.filter((x) => x.externalId);
  const g = (i: number) => seeded.groupNames[(i * 37) % seeded.groupNames.length]!;
  const root = (i: number) => seeded.rootGroupNames[i % seeded.rootGroupNames.length]!;
  const ldap = (f: LdapFilter) => ldapFilterToQuery(f, 'users', { baseDn: BASE, limits: L });
  return [
    { name: 'admin: username = (equality)', limit: 50, make: (i) => parseAdminQuery(`username = ${JSON.stringify(u(i).username.toUpperCase())}`, 'users', L) },
    { name: 'admin: username = (equality, page + count)', limit: 50, count: true, make: (i) => parseAdminQuery(`username = ${JSON.stringify(u(i).username.toUpperCase())}`, 'users', L) },
    { name: 'admin: user.view on 3 users (list page + count)', limit: 50, count: true, only: three, make: () => matchAll('users') },
    { name: 'ldap: (&(objectClass=posixAccount)(uid=x))', limit: 2, make: (i) => ldap({ type: 'and', filters: [{ type: 'equal', attribute: 'objectClass', value: 'posixAccount' }, { type: 'equal', attribute: 'uid', value: u(i).username }] }) },
    { name: 'scim: emails.value eq (equality)', limit: 2, make: (i) => parseScimFilter(`emails.value eq ${JSON.stringify(withEmail[i % withEmail.length]!.email)}`, 'users', L) },
    { name: 'scim: externalId eq (equality)', limit: 2, make: (i) => parseScimFilter(`externalId eq ${JSON.stringify(withExt[i % withExt.length]!.externalId)}`, 'users', L) },
    { name: 'admin: email ~ (selective contains)', limit: 50, make: (i) => parseAdminQuery(`email ~ ${JSON.stringify(u(i).username.slice(2, 9))}`, 'users', L) },
    { name: 'admin: name ~ "and" (broad contains, ordered page)', limit: 50, ordering: parseOrdering('username', 'users'), make: () => parseAdminQuery('name ~ "and"', 'users', L) },
    { name: 'admin: name ~ "and" (broad contains, count only)', limit: 0, count: true, make: () => parseAdminQuery('name ~ "and"', 'users', L) },
    { name: 'ldap: memberOf=<group DN> (direct)', limit: 500, make: (i) => ldap({ type: 'equal', attribute: 'memberOf', value: `cn=${g(i)},ou=groups,${BASE}` }) },
    { name: 'ldap: memberOf:1.2.840.113556.1.4.1941: (transitive)', limit: 500, make: (i) => ldap({ type: 'ext', attribute: 'memberOf', rule: '1.2.840.113556.1.4.1941', value: `cn=${root(i)},ou=groups,${BASE}` }) },
    { name: 'admin: attributes.department = (JSON, ordered page)', limit: 50, ordering: parseOrdering('username', 'users'), make: (i) => parseAdminQuery(`attributes.department = ${JSON.stringify(seeded.departments[i % seeded.departments.length])}`, 'users', L) },
    { name: 'admin: groups.name = and is_active (ordered page)', limit: 50, ordering: parseOrdering('-date_joined', 'users'), make: (i) => parseAdminQuery(`groups.name = ${JSON.stringify(g(i))} and is_active = True`, 'users', L) },
  ];
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function runOne(db: Database, q: BenchQuery): Promise<{ p50: number; p95: number; rows: number }> {
  const times: number[] = [];
  let rows = 0;
  for (let i = -20; i < ITERATIONS; i++) {
    const v = q.make(Math.abs(i));
    const start = performance.now();
    // The path the doors use: prepared statements outside a transaction.
    const target = { knex: db.knex, dialect: db.dialect, database: db };
    const result = q.limit > 0 ? await selectUserRows(target, v, { limit: q.limit, ...(q.ordering ? { ordering: q.ordering } : {}), ...(q.only ? { only: q.only } : {}) }) : [];
    if (q.count) await countUsers(target, v, q.only);
    const ms = performance.now() - start;
    if (i >= 0) { times.push(ms); rows += result.length; }
  }
  times.sort((a, b) => a - b);
  return { p50: percentile(times, 50), p95: percentile(times, 95), rows: rows / ITERATIONS };
}

async function explain(db: Database, q: BenchQuery): Promise<string> {
  const s = q.limit > 0
    ? selectSql(db.dialect, q.make(0), 'users', { limit: q.limit, ...(q.ordering ? { ordering: q.ordering } : {}), ...(q.only ? { only: q.only } : {}) })
    : countSql(db.dialect, q.make(0), 'users', q.only);
  const res = await db.knex.raw(`EXPLAIN ${s.sql}`, s.bindings as unknown[] as never);
  return (res.rows as { 'QUERY PLAN': string }[]).map((r) => `      ${r['QUERY PLAN']}`).join('\n');
}

async function withDatabase<T>(dialect: Dialect, fn: (db: Database) => Promise<T>): Promise<T> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-bench-'));
    const db = openDatabase(`sqlite:${join(dir, 'bench.sqlite')}`);
    try {
      await migrate(db);
      return await fn(db);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const pgSchema = await freshPgSchema(PG_URL, 'query_bench');
  const db = openDatabase(PG_URL, { searchPath: pgSchema.searchPath, poolMax: 4 });
  try {
    await migrate(db);
    return await fn(db);
  } finally {
    await db.close();
    await pgSchema.drop();
  }
}

async function bench(dialect: Dialect): Promise<void> {
  await withDatabase(dialect, async (db) => {
    const t0 = performance.now();
    const seeded = await seedDirectory(db, { users: USERS, groups: GROUPS });
    console.log(`\n${dialect}: seeded ${USERS} users, ${GROUPS} groups in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    console.log(`${'query'.padEnd(58)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'rows'.padStart(6)}`);
    const three = await threeUserHolder(db, seeded);
    for (const q of queries(seeded, three)) {
      const r = await runOne(db, q);
      console.log(`${q.name.padEnd(58)} ${r.p50.toFixed(2).padStart(8)} ${r.p95.toFixed(2).padStart(8)} ${r.rows.toFixed(0).padStart(6)}`);
      if (dialect === 'pg' && process.env.BENCH_EXPLAIN !== '0') console.log(await explain(db, q));
    }
  });
}

const wanted = (process.env.BENCH_DIALECTS ?? 'pg,sqlite').split(',').map((s) => s.trim()) as Dialect[];
for (const d of wanted) await bench(d);
