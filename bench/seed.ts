/**
 * A fast, deterministic directory seeder for benchmarks (reusable by other benches): realistic
 * names, emails and attributes, nested groups, memberships — written straight into the tables
 * with knex batch inserts, filling the `_ci` shadow columns with JS `toLowerCase()` as the
 * store does. 100k users take seconds, not minutes.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { Database } from '../src/store/database.js';
import { userValueRows } from '../src/store/user-values-store.js';

export interface SeedOptions {
  readonly users: number;
  readonly groups: number;
  /** PRNG seed; the same seed gives the same directory (ids aside). */
  readonly seed?: number;
}

export interface SeededDirectory {
  /** A sample of seeded users (every 97th), for picking query values. */
  readonly sampleUsers: readonly { id: string; username: string; email: string | null; name: string; externalId: string | null }[];
  readonly groupNames: readonly string[];
  readonly groupIds: readonly string[];
  /** Groups without a parent (roots of the nesting). */
  readonly rootGroupNames: readonly string[];
  readonly departments: readonly string[];
}

const FIRST = ['James', 'Mary', 'John', 'Patricia', 'Robert', 'Jennifer', 'Michael', 'Linda', 'William', 'Elizabeth', 'David', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Amélie', 'Zoë', 'José', 'Björn', 'Søren', 'Ana', 'Mei', 'Hiroshi', 'Olga', 'Priya', 'Ahmed', 'Fatima', 'Lukas', 'Émile', 'Noah', 'Emma', 'Liam', 'Olivia', 'Mateo', 'Sofia'];
const LAST = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Müller', 'Schmidt', 'Dubois', 'Rossi', 'Nakamura', 'Kowalski', 'Novák', 'Ivanova', 'Singh', 'Okafor', 'Andersson', 'Jensen', "O'Brien", 'van Dijk', 'Łukasiewicz'];
const DEPARTMENTS = ['Engineering', 'Sales', 'Marketing', 'Finance', 'Support', 'Legal', 'HR', 'Operations', 'Research', 'Design'];
const TITLES = ['Engineer', 'Senior Engineer', 'Manager', 'Director', 'Analyst', 'Specialist', 'Consultant', 'Intern'];
const DOMAINS = ['example.com', 'example.org', 'corp.example.net'];
const TYPES = ['internal', 'internal', 'internal', 'internal', 'external', 'service_account'];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Multi-row `INSERT … VALUES (…), (…)` with bound values. knex's own SQLite insert is a
 * `UNION ALL` of SELECTs, which SQLite caps at 500 terms; this stays within both drivers' limits.
 */
async function insertBatches(knex: Knex | Knex.Transaction, dialect: 'sqlite' | 'pg', table: string, rows: readonly Record<string, unknown>[]): Promise<void> {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const perBatch = Math.floor((dialect === 'pg' ? 60000 : 30000) / cols.length);
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const value = (v: unknown) => (dialect === 'sqlite' && typeof v === 'boolean' ? (v ? 1 : 0) : v);
  for (let i = 0; i < rows.length; i += perBatch) {
    const batch = rows.slice(i, i + perBatch);
    const sql = `insert into ${table} (${cols.join(', ')}) values ${batch.map(() => tuple).join(', ')}`;
    await knex.raw(sql, batch.flatMap((r) => cols.map((c) => value(r[c]))) as Knex.RawBinding[]);
  }
}

/** Seeds `users` users and `groups` nested groups into an empty, migrated database. */
export async function seedDirectory(db: Database, opts: SeedOptions): Promise<SeededDirectory> {
  const rnd = prng(opts.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const ts = (ms: number) => new Date(ms).toISOString();
  const now = Date.UTC(2025, 0, 1);
  const year = 365 * 24 * 3600 * 1000;

  const groupIds: string[] = [];
  const groupNames: string[] = [];
  const groups = Array.from({ length: opts.groups }, (_, i) => {
    const name = i === 0 ? 'admins' : `${DEPARTMENTS[i % DEPARTMENTS.length]!.toLowerCase()}-team-${i}`;
    const id = randomUUID();
    groupIds.push(id);
    groupNames.push(name);
    return {
      seq: i + 1, id, name, name_ci: name.toLowerCase(), is_superuser: i === 0,
      attributes: JSON.stringify({ department: DEPARTMENTS[i % DEPARTMENTS.length], costCenter: `CC${1000 + (i % 50)}` }),
      external_id: `grp-${i}`, created_at: ts(now - rnd() * year), updated_at: ts(now),
    };
  });
  // A forest: the first tenth of the groups are roots; every other group hangs under an earlier one.
  const roots = Math.max(1, Math.floor(opts.groups / 10));
  const parents = groups.slice(roots).map((g, k) => ({ group_id: g.id, parent_id: groupIds[Math.floor(rnd() * (roots + k))]! }));

  const usernames = new Set<string>();
  const sampleUsers: SeededDirectory['sampleUsers'][number][] = [];
  const members: { group_id: string; user_id: string }[] = [];
  const users = Array.from({ length: opts.users }, (_, i) => {
    const first = pick(FIRST);
    const last = pick(LAST);
    let username = `${first}.${last}`.toLowerCase().replace(/[^a-z0-9.]/g, '');
    if (usernames.has(username)) username = `${username}${i}`;
    usernames.add(username);
    const id = randomUUID();
    const email = rnd() < 0.97 ? `${username}@${pick(DOMAINS)}` : null;
    const name = `${first} ${last}`;
    const department = pick(DEPARTMENTS);
    const externalId = rnd() < 0.8 ? `00u${(i * 7919).toString(36)}` : null;
    const attributes: Record<string, unknown> = {
      department, title: pick(TITLES), employeeNumber: String(100000 + i), costCenter: `CC${1000 + Math.floor(rnd() * 50)}`,
      givenName: first, sn: last, location: { city: pick(['Berlin', 'Paris', 'Tokyo', 'Austin', 'Lagos']), floor: Math.floor(rnd() * 10) },
    };
    if (i % 97 === 0) sampleUsers.push({ id, username, email, name, externalId });
    const n = opts.groups ? 1 + Math.floor(rnd() * 3) : 0;
    const mine = new Set<number>();
    for (let k = 0; k < n; k++) mine.add(Math.floor(rnd() * opts.groups));
    for (const g of mine) members.push({ group_id: groupIds[g]!, user_id: id });
    return {
      seq: i + 1, id, username, username_ci: username.toLowerCase(), name, name_ci: name.toLowerCase(),
      email, email_ci: email?.toLowerCase() ?? null, path: rnd() < 0.9 ? 'users' : 'users/contractors',
      type: pick(TYPES), is_active: rnd() < 0.95, attributes: JSON.stringify(attributes),
      last_login: rnd() < 0.7 ? ts(now - rnd() * year) : null, external_id: externalId,
      created_at: ts(now - rnd() * 3 * year), updated_at: ts(now - rnd() * year),
    };
  });

  const write = async (k: Knex | Knex.Transaction) => {
    await insertBatches(k, db.dialect, 'groups', groups);
    await insertBatches(k, db.dialect, 'group_parents', parents);
    await insertBatches(k, db.dialect, 'users', users);
    await insertBatches(k, db.dialect, 'group_members', members);
    // The searchable elements of multi-valued attributes (here: each primary email), as the store writes them.
    await insertBatches(k, db.dialect, 'user_values', users.flatMap((u) => userValueRows(u.id, u.email, {}, db.dialect === 'pg')));
  };
  // Maintaining the trigram GIN indexes row by row is most of PostgreSQL's load time; build
  // them once afterwards instead, from their own definitions.
  const gin = db.dialect === 'pg'
    ? ((await db.knex.raw(`select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename in ('users', 'groups') and indexdef ilike '%using gin%'`)).rows as { indexname: string; indexdef: string }[])
    : [];
  for (const i of gin) await db.knex.raw(`drop index ${i.indexname}`);
  await db.knex.transaction(write);
  for (const i of gin) await db.knex.raw(i.indexdef);
  if (db.dialect === 'pg') {
    // Explicit seq values leave the serial sequences behind; move them past the seeded rows.
    for (const t of ['users', 'groups']) await db.knex.raw(`select setval(pg_get_serial_sequence('${t}', 'seq'), (select coalesce(max(seq), 1) from ${t}))`);
  }
  // VACUUM also sets the visibility map, as autovacuum would by the time a real directory is
  // queried, so index-only scans of group_members are costed as they will run.
  const analyze = db.dialect === 'pg' ? 'vacuum analyze' : 'analyze';
  for (const t of ['users', 'groups', 'group_members', 'group_parents', 'user_values']) await db.knex.raw(`${analyze} ${t}`);
  return {
    sampleUsers, groupNames, groupIds, departments: DEPARTMENTS,
    rootGroupNames: groupNames.slice(0, roots),
  };
}
