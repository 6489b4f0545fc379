import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process: `/metrics` serves it. */
export const registry = new Registry();
collectDefaultMetrics({ register: registry });

export const httpRequests = new Histogram({
  name: 'dirgate_http_request_duration_seconds',
  help: 'HTTP request duration by door and status',
  labelNames: ['door', 'method', 'status'],
  buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
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
