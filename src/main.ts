import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config } from './config.js';
import { NotFound } from './domain/errors.js';
import { createLogger } from './logger.js';
import { createServices, type Services } from './services/index.js';
import { bootstrap } from './services/bootstrap.js';
import { ExportRunner } from './services/export-runner.js';
import { openDatabase, type Database } from './store/database.js';
import { migrate } from './store/migrate.js';
// The composition root: the one file in src/ that imports protocols/ (DESIGN.md "Dependency
// rules"; test/unit/layers.test.ts checks it), wiring the doors to the services.
import { createHttpApp } from '../protocols/http.js';
import { startLdapServer, type LdapListener } from '../protocols/ldap/server.js';

/** A running dirgate: what `npm start` and the protocol tests boot. */
export interface Running {
  readonly services: Services;
  readonly httpPort: number;
  readonly ldapPort: number;
  stop(): Promise<void>;
}

/** Opens the store, migrates, bootstraps, and starts both listeners. */
export async function startServer(config: Config, log: Logger): Promise<Running> {
  const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax });
  const stopDb = async () => { await db.close().catch(() => undefined); };
  try {
    await checkReachable(db);
    await migrate(db);
    const services = createServices(db, config);
    await bootstrap(services, config, log);
    await checkLdapApplication(services);
    const http = await listenHttp(services, log);
    let ldap: LdapListener;
    try {
      ldap = await startLdapServer(services, log);
    } catch (e) {
      http.close();
      throw e;
    }
    const httpPort = (http.address() as { port: number }).port;
    const exportRunner = new ExportRunner(db, config, services.notifications, log);
    services.exports.onQueued = () => exportRunner.wake();
    exportRunner.start();
    services.selfRecovery.onBackgroundError = (err) => log.error({ err }, 'self-service recovery request failed');
    if (!services.mail.enabled && (await services.selfRecovery.enabled())) {
      log.warn('self-service recovery is on but this instance has no SMTP server (DIRGATE_SMTP_URL): its requests send no email');
    }
    log.info({ http: httpPort, ldap: ldap.port, database: db.dialect }, 'dirgate is up');
    return {
      services,
      httpPort,
      ldapPort: ldap.port,
      async stop() {
        await Promise.all([
          exportRunner.stop(),
          new Promise<void>((resolve) => {
            http.close(() => resolve());
            http.closeIdleConnections();
          }),
          ldap.close(),
        ]);
        await services.selfRecovery.drain();
        await stopDb();
      },
    };
  } catch (e) {
    await stopDb();
    throw e;
  }
}

async function checkReachable(db: Database): Promise<void> {
  try {
    await db.knex.raw('select 1');
  } catch (e) {
    throw new StartError(`database: cannot reach ${db.dialect === 'pg' ? 'PostgreSQL' : 'SQLite'}: ${(e as Error).message.split('\n')[0]}`);
  }
}

/** An LDAP application that does not exist would refuse every bind without a word: stop instead. */
async function checkLdapApplication(services: Services): Promise<void> {
  const slug = services.config.ldap.application;
  if (!slug) return;
  const found = await services.access.getApplication(slug).then(() => true, (e: unknown) => {
    if (e instanceof NotFound) return false;
    throw e;
  });
  if (!found) {
    throw new StartError(`configuration: ldap.application (DIRGATE_LDAP_APPLICATION) names no application: "${slug}"; create it first (POST /api/v1/applications) or leave it empty`);
  }
}

function listenHttp(services: Services, log: Logger): Promise<Server> {
  const app = createHttpApp(services, log);
  return new Promise((resolve, reject) => {
    const server = app.listen(services.config.http.port, services.config.host);
    server.once('listening', () => resolve(server));
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE'
      ? new StartError(`http: port ${services.config.http.port} on ${services.config.host} is already in use (DIRGATE_HTTP_PORT)`)
      : e));
  });
}

/** A start-up problem reported as one line. */
export class StartError extends Error {}

function describeStartError(e: unknown): string {
  if (e instanceof ConfigError || e instanceof StartError) return e.message;
  const err = e as NodeJS.ErrnoException & { port?: number };
  if (err?.code === 'EADDRINUSE') return `ldap: port ${err.port ?? ''} is already in use (DIRGATE_LDAP_PORT)`;
  if (err?.code === 'EACCES') return `cannot listen: permission denied (${err.message})`;
  return `start failed: ${err?.message ?? String(e)}`;
}

async function main(argv: string[]): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (e) {
    process.stderr.write(`dirgate: ${describeStartError(e)}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  if (argv[0] === 'migrate') {
    const db = openDatabase(config.databaseUrl);
    try {
      await checkReachable(db);
      const applied = await migrate(db);
      process.stdout.write(applied.length ? `applied: ${applied.join(', ')}\n` : 'migrations: up to date\n');
    } catch (e) {
      process.stderr.write(`dirgate: ${describeStartError(e)}\n`);
      process.exitCode = 1;
    } finally {
      await db.close();
    }
    return;
  }
  let running: Running;
  try {
    running = await startServer(config, log);
  } catch (e) {
    process.stderr.write(`dirgate: ${describeStartError(e)}\n`);
    process.exit(1);
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.warn('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    hard.unref();
    running.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// Run only as the entry point, so tests can import startServer.
if (import.meta.url === `file://${process.argv[1]}`) {
  void main(process.argv.slice(2));
}
