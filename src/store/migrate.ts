import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Knex } from 'knex';
import { migrations } from '../../migrations/index.js';
import { installChangeTriggers } from './change-counter.js';
import type { Database } from './database.js';

class CodeMigrationSource implements Knex.MigrationSource<{ name: string; module: Knex.Migration }> {
  async getMigrations() {
    return [...migrations];
  }
  getMigrationName(m: { name: string }) {
    return m.name;
  }
  async getMigration(m: { module: Knex.Migration }) {
    return m.module;
  }
}

const MIGRATION_CONFIG: Knex.MigratorConfig = {
  migrationSource: new CodeMigrationSource(),
  tableName: 'dirgate_migrations',
};

/**
 * Applies pending migrations under knex's migration lock, so instances starting together
 * against one PostgreSQL wait for each other instead of racing; then (SQLite) makes the change
 * counter's triggers match the schema (change-counter.ts).
 */
export async function migrate(db: Database): Promise<string[]> {
  for (let attempt = 0; ; attempt++) {
    try {
      const [, applied] = await db.knex.migrate.latest(MIGRATION_CONFIG);
      await installChangeTriggers(db);
      return applied as string[];
    } catch (e) {
      // Another instance holds the lock: knex reports MigrationLocked; wait and re-check.
      if ((e as Error).name === 'MigrationLocked' && attempt < 60) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw e;
    }
  }
}

/** True when every known migration has been applied. */
export async function migrationsCurrent(db: Database): Promise<boolean> {
  const [, pending] = (await db.knex.migrate.list(MIGRATION_CONFIG)) as [unknown[], unknown[]];
  return pending.length === 0;
}

/**
 * Where the store named by `url` is, and whether it holds a dirgate store already (a SQLite file
 * that exists; a PostgreSQL schema with our migrations table). Opens nothing that is not there.
 */
export async function storePresence(url: string, db: () => Database): Promise<{ exists: boolean; where: string }> {
  if (url.startsWith('sqlite:')) {
    const file = url.slice('sqlite:'.length);
    if (file === ':memory:') return { exists: false, where: ':memory:' };
    const where = resolve(file);
    return { exists: existsSync(where), where };
  }
  const where = url.replace(/\/\/[^@/]*@/, '//');
  return { exists: await db().knex.schema.hasTable(MIGRATION_CONFIG.tableName!), where };
}
