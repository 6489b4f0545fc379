import cluster from 'node:cluster';
import { AggregatorRegistry, Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; with worker processes `/metrics` serves every worker's, aggregated. */
export const registry = new Registry();
// Process metrics (memory, CPU, event loop) mean something per process: they carry the worker.
collectDefaultMetrics({ register: registry, labels: { worker: cluster.isWorker ? String(cluster.worker!.id) : '0' } });
// Workers answer the primary's aggregation requests from this registry (not prom-client's global
// one); prom-client installs a worker's answering listener only when an AggregatorRegistry is made.
if (cluster.isWorker) {
  AggregatorRegistry.setRegistries([registry]);
  void new AggregatorRegistry();
}

export const httpRequests = new Histogram({
  name: 'dirgate_http_request_duration_seconds',
  help: 'HTTP request duration by door and status',
  labelNames: ['door', 'method', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  registers: [registry],
});

export const ldapSearchAnswers = new Counter({
  name: 'dirgate_ldap_search_answers_total',
  help: 'Plain LDAP searches answered from the answers kept while the database is unchanged (hit) or read from it (miss)',
  labelNames: ['result'],
  registers: [registry],
});

export const scimAnswers = new Counter({
  name: 'dirgate_scim_answers_total',
  help: 'SCIM reads (GET of Users and Groups) answered from the answers kept while the database is unchanged (hit) or read from it (miss)',
  labelNames: ['result'],
  registers: [registry],
});

export const ldapOperations = new Counter({
  name: 'dirgate_ldap_operations_total',
  help: 'LDAP operations by type and result code (name as RFC 4511 spells it, or abandoned)',
  labelNames: ['op', 'result'],
  registers: [registry],
});

/**
 * Operations waiting on one LDAP connection, observed as each is queued: nothing lands above
 * the per-connection bound (connection.ts MAX_QUEUED), however fast a client pipelines.
 */
export const ldapQueueDepth = new Histogram({
  name: 'dirgate_ldap_queued_operations',
  help: 'Operations queued on an LDAP connection, observed as each is queued',
  buckets: [1, 2, 4, 8, 16, 31, 32, 64, 128, 1024],
  registers: [registry],
});

/** The primary's answer to a worker asking for the whole instance's metrics. */
interface MetricsReply { readonly type: 'dirgate:metrics'; readonly id: number; readonly text?: string; readonly error?: string }

let nextRequest = 0;

/**
 * The text `/metrics` serves: this process's registry, or — in a worker process — every
 * worker's, summed per series by the primary (prom-client's cluster aggregation), so a scrape
 * of any worker reports the whole instance.
 */
export async function instanceMetrics(): Promise<{ contentType: string; text: string }> {
  if (!cluster.isWorker || !process.send) return { contentType: registry.contentType, text: await registry.metrics() };
  const id = ++nextRequest;
  const text = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => { process.off('message', onMessage); reject(new Error('the primary did not answer the metrics request')); }, 5000);
    const onMessage = (m: unknown) => {
      const reply = m as MetricsReply;
      if (reply?.type !== 'dirgate:metrics' || reply.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (reply.error !== undefined) reject(new Error(reply.error));
      else resolve(reply.text ?? '');
    };
    process.on('message', onMessage);
    process.send!({ type: 'dirgate:metrics', id });
  });
  return { contentType: registry.contentType, text };
}

/** In the primary: answers workers' `instanceMetrics()` requests with the aggregated metrics. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, m: unknown) => {
    const ask = m as { type?: string; id?: number };
    if (ask?.type !== 'dirgate:metrics' || typeof ask.id !== 'number') return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: 'dirgate:metrics', id: ask.id, text }),
      (e: unknown) => worker.send({ type: 'dirgate:metrics', id: ask.id, error: (e as Error).message }),
    );
  });
}
