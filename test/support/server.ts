import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../src/config.js';
import { startServer, type Running } from '../../src/main.js';
import type { Dialect } from '../../src/store/database.js';
import { freshDatabase, type TestDatabase } from './databases.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';
export const ADMIN_TOKEN = 'dgt_test_bootstrap_token_0123456789abcdef';

export interface BootedServer {
  readonly running: Running;
  /** e.g. http://127.0.0.1:40123 */
  readonly http: string;
  /** e.g. ldap://127.0.0.1:40124 */
  readonly ldap: string;
  readonly ldapPort: number;
  /** The bootstrap superuser's API token. */
  readonly token: string;
  readonly database: TestDatabase;
  stop(): Promise<void>;
}

/**
 * Boots a whole dirgate (migrated fresh database, bootstrap admin, HTTP and LDAP on free
 * loopback ports). `overrides` are dotted config keys, e.g. `{ 'ldap.size_limit': 10 }`;
 * `seed` writes what must be in the store before the start.
 */
export async function bootServer(
  dialect: Dialect, overrides: Record<string, unknown> = {},
  options: { seed?: (database: TestDatabase) => Promise<void> } = {},
): Promise<BootedServer> {
  const database = await freshDatabase(dialect);
  // What must exist before the server starts (an application named by ldap.application).
  await options.seed?.(database);
  // Exports go to a folder of their own, never into the checkout's data/exports.
  const exportsDir = mkdtempSync(join(tmpdir(), 'dirgate-exports-'));
  const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
    'database.url': database.url,
    'exports.dir': exportsDir,
    host: '127.0.0.1',
    'http.port': 0,
    'ldap.port': 0,
    'ldap.ldaps_port': 0,
    'bootstrap.password': ADMIN_PASSWORD,
    'bootstrap.token': ADMIN_TOKEN,
    'auth.scrypt_n': 1024,
    'log.level': process.env.DIRGATE_TEST_LOG_LEVEL ?? 'silent',
    ...overrides,
  });
  const running = await startServer(config, pino({ level: config.logLevel }));
  return {
    running,
    http: `http://127.0.0.1:${running.httpPort}`,
    ldap: `ldap://127.0.0.1:${running.ldapPort}`,
    ldapPort: running.ldapPort,
    token: ADMIN_TOKEN,
    database,
    async stop() {
      await running.stop();
      await database.drop();
      rmSync(exportsDir, { recursive: true, force: true });
    },
  };
}
