import type { Config } from '../config.js';
import { NotFound } from '../domain/errors.js';
import { openDatabase, type Database } from '../store/database.js';
import { migrate, storePresence } from '../store/migrate.js';
import { createServices, type Services } from './index.js';

/**
 * The services on the configured store, migrated: for a process that is a door of its own (the
 * command line), so it never handles the database itself. `close` releases the store.
 * Unless `init` is set, a store that does not exist yet (no SQLite file; a PostgreSQL schema
 * without dirgate's tables) is refused rather than created empty, naming where it looked.
 * @throws NotFound when there is no store there and `init` is not set
 */
export async function openServices(config: Config, opts: { poolMax?: number; init?: boolean } = {}): Promise<{ services: Services; close: () => Promise<void> }> {
  let db: Database | null = null;
  const open = () => (db ??= openDatabase(config.databaseUrl, opts.poolMax ? { poolMax: opts.poolMax } : {}));
  try {
    const presence = await storePresence(config.databaseUrl, open);
    if (!presence.exists && !opts.init) {
      throw new NotFound(`there is no dirgate store at ${presence.where} (DIRGATE_DATABASE_URL / database.url); `
        + 'run from the folder you start dirgate in, set DIRGATE_DATABASE_URL, or add --init to create a new empty store there');
    }
    await migrate(open());
  } catch (e) {
    await (db as Database | null)?.close();
    throw e;
  }
  const store = open();
  return { services: createServices(store, config), close: () => store.close() };
}
