import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDatabase, type Database, type Dialect } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';

/** PostgreSQL for the PostgreSQL suites; under CI=true it must be set and reachable. */
export const PG_URL = process.env.DIRGATE_TEST_PG_URL ?? '';

export interface TestDatabase {
  readonly db: Database;
  /** A URL another process (a booted server) can open to reach the same data. */
  readonly url: string;
  /** Extra options for openDatabase (PostgreSQL: the schema's search path). */
  readonly searchPath?: string[];
  drop(): Promise<void>;
}

/** The dialects to run store and protocol suites on. */
export function dialects(): Dialect[] {
  if (PG_URL) return ['sqlite', 'pg'];
  if (process.env.CI === 'true') {
    throw new Error('CI=true but DIRGATE_TEST_PG_URL is not set: the PostgreSQL suites cannot be skipped under CI');
  }
  return ['sqlite'];
}

/**
 * A fresh, migrated database: a new SQLite file, or a new schema on the test PostgreSQL.
 * PostgreSQL URLs carry the schema as `?options=-c search_path=...` so a spawned server sees it too.
 */
export async function freshDatabase(dialect: Dialect): Promise<TestDatabase> {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-test-'));
    const url = `sqlite:${join(dir, 'test.sqlite')}`;
    const db = openDatabase(url);
    await migrate(db);
    return { db, url, drop: async () => { await db.close(); rmSync(dir, { recursive: true, force: true }); } };
  }
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const searchPath = [schema, 'public'];
  const db = openDatabase(PG_URL, { searchPath, poolMax: 5 });
  await migrate(db);
  const sep = PG_URL.includes('?') ? '&' : '?';
  const url = `${PG_URL}${sep}options=${encodeURIComponent(`-c search_path=${schema},public`)}`;
  return {
    db,
    url,
    searchPath,
    drop: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}
