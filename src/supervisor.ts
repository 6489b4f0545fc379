/**
 * The primary process when dirgate runs several worker processes (DESIGN.md "Processes"): the
 * workers share the HTTP and LDAP listening sockets through node:cluster (connections are
 * dealt out round-robin; an LDAP connection lives in one worker, so paged-results cookies and
 * StartTLS stay with it). The primary serves no request itself: it forks, supervises (a worker
 * that dies is logged and replaced), aggregates /metrics, and on SIGTERM drains every worker
 * within the shutdown budget. What must happen once is done before forking (migrations, the
 * bootstrap admin) or claimed through the database (export jobs), as with several instances.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { BindCacheShare, SharedBindEntry } from './services/bind-cache.js';
import { ConnectionLimits, type Admission, type ConnectionCaps, type ConnectionGate } from './services/connection-limits.js';

/** What a worker tells the primary about its start. */
export type WorkerReport =
  | { readonly type: 'dirgate:ready'; readonly http: number; readonly ldap: number }
  | { readonly type: 'dirgate:failed'; readonly message: string };

export interface SupervisorOptions {
  readonly workers: number;
  readonly log: Logger;
  /** How long SIGTERM may take before the remaining workers are killed. */
  readonly shutdownMs: number;
  /** The instance's LDAP connection caps, counted here for every worker. */
  readonly ldapCaps: ConnectionCaps;
}

/** A worker that dies sooner than this after its start is restarted only after a pause. */
const QUICK_DEATH_MS = 5000;
const RESTART_PAUSE_MS = 1000;

/**
 * Forks the workers and resolves once every one is serving, with the ports they listen on.
 * @throws Error with the first worker's start-up problem (a port in use, …); every worker is stopped
 */
export async function superviseWorkers(opts: SupervisorOptions): Promise<{ http: number; ldap: number }> {
  const { log } = opts;
  let stopping = false;
  let started = false;
  const startedAt = new Map<number, number>();

  // One bind-cache key for every worker of this instance, handed over at fork (never logged or stored).
  const bindCacheKey = randomBytes(32).toString('hex');
  const fork = (): Worker => {
    const w = cluster.fork({ [BIND_CACHE_KEY_ENV]: bindCacheKey });
    startedAt.set(w.id, Date.now());
    return w;
  };

  // The LDAP connections of the whole instance, and which worker holds which (given back when it dies).
  const ldapLimits = new ConnectionLimits(opts.ldapCaps);
  const held = new Map<number, Map<string, number>>();
  const hold = (workerId: number, key: string, delta: 1 | -1): boolean => {
    const mine = held.get(workerId) ?? new Map<string, number>();
    const n = (mine.get(key) ?? 0) + delta;
    if (n < 0) return false;
    if (n === 0) mine.delete(key);
    else mine.set(key, n);
    held.set(workerId, mine);
    return true;
  };

  const ready = new Promise<{ http: number; ldap: number }>((resolve, reject) => {
    let pending = opts.workers;
    let ports: { http: number; ldap: number } | null = null;
    cluster.on('message', (worker, m: unknown) => {
      const report = m as WorkerReport | BindCacheMessage | LdapGateMessage;
      if (report?.type === 'dirgate:ldap-admit') {
        const result = ldapLimits.admit(typeof report.address === 'string' ? report.address : null);
        if (result.ok) hold(worker.id, result.key, 1);
        if (worker.isConnected()) worker.send({ type: 'dirgate:ldap-admitted', id: report.id, result } satisfies LdapGateMessage);
        return;
      }
      if (report?.type === 'dirgate:ldap-release') {
        if (typeof report.key === 'string' && hold(worker.id, report.key, -1)) ldapLimits.release(report.key);
        return;
      }
      if (report?.type === 'dirgate:bind-cache') {
        // A verification one worker remembered: the others remember it too.
        for (const w of Object.values(cluster.workers ?? {})) if (w && w !== worker && w.isConnected()) w.send(report);
        return;
      }
      if (report?.type === 'dirgate:ready') {
        ports ??= { http: report.http, ldap: report.ldap };
        log.debug({ worker: worker.id, worker_pid: worker.process.pid }, 'worker ready');
        if (!started && --pending === 0) {
          started = true;
          resolve(ports);
        }
      } else if (report?.type === 'dirgate:failed') {
        if (!started) {
          // The first start fails as one process would: one line, nothing left running.
          stopping = true;
          for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
          reject(new Error(report.message));
        } else {
          log.error({ worker: worker.id, reason: report.message }, 'a replacement worker could not start');
        }
      }
    });
  });

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker.id) ?? 0);
    startedAt.delete(worker.id);
    // Its connections died with it.
    for (const [key, n] of held.get(worker.id) ?? []) for (let i = 0; i < n; i++) ldapLimits.release(key);
    held.delete(worker.id);
    if (stopping || !started) return;
    log.error({ worker: worker.id, worker_pid: worker.process.pid, code, signal }, 'worker died; starting another');
    setTimeout(() => { if (!stopping) fork(); }, lived < QUICK_DEATH_MS ? RESTART_PAUSE_MS : 0).unref();
  });

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    const hard = setTimeout(() => {
      log.warn(`shutdown took longer than ${opts.shutdownMs / 1000} s; killing the workers`);
      for (const w of workers) w.process.kill('SIGKILL');
      process.exit(1);
    }, opts.shutdownMs);
    hard.unref();
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const w of workers) {
      w.once('exit', () => { if (--left === 0) process.exit(0); });
      w.process.kill('SIGTERM');
    }
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  for (let i = 0; i < opts.workers; i++) fork();
  return ready;
}

const BIND_CACHE_KEY_ENV = 'DIRGATE_WORKER_BIND_CACHE_KEY';

interface BindCacheMessage { readonly type: 'dirgate:bind-cache'; readonly entry: SharedBindEntry }

/**
 * In a worker: its share of the instance's bind cache (the key the primary handed over, entries
 * passed on through the primary), or null when this process is not a supervised worker.
 */
export function workerBindCacheShare(): BindCacheShare | null {
  const hex = process.env[BIND_CACHE_KEY_ENV];
  if (!cluster.isWorker || !process.send || !hex || !/^[0-9a-f]{64}$/.test(hex)) return null;
  delete process.env[BIND_CACHE_KEY_ENV];
  return {
    key: Buffer.from(hex, 'hex'),
    publish(entry) {
      if (process.connected) process.send!({ type: 'dirgate:bind-cache', entry } satisfies BindCacheMessage);
    },
    subscribe(adopt) {
      process.on('message', (m: unknown) => {
        const msg = m as BindCacheMessage;
        if (msg?.type === 'dirgate:bind-cache' && msg.entry && typeof msg.entry.userId === 'string') adopt(msg.entry);
      });
    },
  };
}

type LdapGateMessage =
  | { readonly type: 'dirgate:ldap-admit'; readonly id: number; readonly address: string | null }
  | { readonly type: 'dirgate:ldap-admitted'; readonly id: number; readonly result: Admission }
  | { readonly type: 'dirgate:ldap-release'; readonly key: string };

/**
 * In a worker: the LDAP connection caps of the whole instance, asked of the primary (one message
 * each way per connection), or null when this process is not a supervised worker.
 */
export function workerConnectionGate(): ConnectionGate | null {
  if (!cluster.isWorker || !process.send) return null;
  let next = 0;
  const waiting = new Map<number, (a: Admission) => void>();
  process.on('message', (m: unknown) => {
    const msg = m as LdapGateMessage;
    if (msg?.type !== 'dirgate:ldap-admitted') return;
    waiting.get(msg.id)?.(msg.result);
    waiting.delete(msg.id);
  });
  return {
    admit(address) {
      if (!process.connected) return Promise.resolve({ ok: false, reason: 'the server is shutting down' });
      const id = ++next;
      return new Promise<Admission>((resolve) => {
        waiting.set(id, resolve);
        process.send!({ type: 'dirgate:ldap-admit', id, address } satisfies LdapGateMessage);
      });
    },
    release(key) {
      if (process.connected) process.send!({ type: 'dirgate:ldap-release', key } satisfies LdapGateMessage);
    },
  };
}

/** In a worker: tells the primary how the start went. */
export function reportToPrimary(report: WorkerReport): void {
  if (cluster.isWorker && process.send) process.send(report);
}
