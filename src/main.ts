import cluster from 'node:cluster';
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
import { serveClusterMetrics } from '../protocols/metrics.js';
import { reportToPrimary, superviseWorkers, workerBindCacheShare, workerConnectionGate } from './supervisor.js';
import type { ConnectionGate } from './services/connection-limits.js';
import type { BindCacheShare } from './services/bind-cache.js';

/** A running dirgate: what `npm start` and the protocol tests boot. */
export interface Running {
  readonly services: Services;
  readonly httpPort: number;
  readonly ldapPort: number;
  stop(): Promise<void>;
}

/**
 * Opens the store, migrates, bootstraps, and starts both listeners. A worker process of a
 * supervised instance passes `prepared`: the primary migrated and bootstrapped before forking.
 */
export async function startServer(
  config: Config, log: Logger,
  opts: { prepared?: boolean; bindCacheShare?: BindCacheShare | null; ldapConnectionGate?: ConnectionGate | null } = {},
): Promise<Running> {
  const db = openDatabase(config.databaseUrl, { poolMax: config.databasePoolMax, log });
  const stopDb = async () => { await db.close().catch(() => undefined); };
  try {
    await checkReachable(db);
    const services = createServices(db, config, { bindCacheShare: opts.bindCacheShare ?? null });
    if (!opts.prepared) await prepare(db, services, config, log);
    const http = await listenHttp(services, log);
    let ldap: LdapListener;
    try {
      ldap = await startLdapServer(services, log, opts.ldapConnectionGate ?? null);
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

/** What happens once per start of an instance, before any listener: migrations, the first admin, config checks. */
async function prepare(db: Database, services: Services, config: Config, log: Logger): Promise<void> {
  await migrate(db);
  await bootstrap(services, config, log);
  await checkLdapApplication(services);
}

/** The primary of a supervised instance prepares the store once, on a connection of its own. */
async function prepareStore(config: Config, log: Logger): Promise<void> {
  const db = openDatabase(config.databaseUrl, { poolMax: 2, log });
  try {
    await checkReachable(db);
    await prepare(db, createServices(db, config), config, log);
  } finally {
    await db.close().catch(() => undefined);
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
  if (cluster.isWorker) return runWorker(config, log.child({ worker: cluster.worker!.id }));
  if (config.workers > 1) return runPrimary(config, log);
  let running: Running;
  try {
    running = await startServer(config, log);
  } catch (e) {
    process.stderr.write(`dirgate: ${describeStartError(e)}\n`);
    process.exit(1);
  }
  stopOnSignals(running, log);
}

const SHUTDOWN_MS = 10_000;

/** SIGTERM or SIGINT stops the listeners, drains, and exits within the shutdown budget. */
function stopOnSignals(running: Running, log: Logger): (reason: string) => void {
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const hard = setTimeout(() => {
      log.warn('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, SHUTDOWN_MS);
    hard.unref();
    running.stop().then(() => process.exit(0), (err) => {
      log.error({ err }, 'error while shutting down');
      process.exit(1);
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  return shutdown;
}

/** The supervisor of DIRGATE_WORKERS worker processes (src/supervisor.ts). */
async function runPrimary(config: Config, log: Logger): Promise<void> {
  try {
    await prepareStore(config, log);
  } catch (e) {
    process.stderr.write(`dirgate: ${describeStartError(e)}\n`);
    process.exit(1);
  }
  serveClusterMetrics();
  try {
    const ports = await superviseWorkers({
      workers: config.workers, log, shutdownMs: SHUTDOWN_MS,
      ldapCaps: { total: config.ldap.maxConnections, perAddress: config.ldap.maxConnectionsPerAddress },
    });
    log.info({ ...ports, workers: config.workers }, 'dirgate is up');
  } catch (e) {
    process.stderr.write(`dirgate: ${(e as Error).message}\n`);
    process.exit(1);
  }
}

/** One worker of a supervised instance: serves until told to stop, or until the primary is gone. */
async function runWorker(config: Config, log: Logger): Promise<void> {
  let running: Running;
  try {
    running = await startServer(config, log, { prepared: true, bindCacheShare: workerBindCacheShare(), ldapConnectionGate: workerConnectionGate() });
  } catch (e) {
    reportToPrimary({ type: 'dirgate:failed', message: describeStartError(e) });
    process.exit(1);
  }
  reportToPrimary({ type: 'dirgate:ready', http: running.httpPort, ldap: running.ldapPort });
  const shutdown = stopOnSignals(running, log);
  // The primary died (kill -9): nobody supervises or shares the sockets any more.
  process.on('disconnect', () => shutdown('primary gone'));
}

// Run only as the entry point, so tests can import startServer.
if (import.meta.url === `file://${process.argv[1]}`) {
  void main(process.argv.slice(2));
}
