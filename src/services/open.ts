import type { Config } from '../config.js';
import { openDatabase } from '../store/database.js';
import { migrate } from '../store/migrate.js';
import { createServices, type Services } from './index.js';

/**
 * The services on the configured store, migrated: for a process that is a door of its own (the
 * command line), so it never handles the database itself. `close` releases the store.
 */
export async function openServices(config: Config, opts: { poolMax?: number } = {}): Promise<{ services: Services; close: () => Promise<void> }> {
  const db = openDatabase(config.databaseUrl, opts.poolMax ? { poolMax: opts.poolMax } : {});
  try {
    await migrate(db);
  } catch (e) {
    await db.close();
    throw e;
  }
  return { services: createServices(db, config), close: () => db.close() };
}
