/**
 * Dispatch: an LDAPMessage envelope to its operation (operations.ts's table), and running it —
 * the critical-control check, the handler, a failure's translation to a result (errors.ts), and
 * the count in `dirgate_ldap_operations_total{op, result}`.
 */
import type { Logger } from 'pino';
import { ldapOperations } from '../metrics.js';
import { LdapError, toLdapResult } from './errors.js';
import { UnknownOperation, type Envelope, type Message } from './messages.js';
import type { Operation, Prepared } from './operation.js';
import { OPERATIONS } from './operations.js';
import { RESULT, resultName } from './result-codes.js';
import { ConnectionClosed, type Session } from './session.js';

/** A decoded request waiting in a connection's queue. */
export interface Queued {
  readonly msg: Message;
  readonly op: Operation;
  readonly prepared: Prepared;
}

/** @throws UnknownOperation for a tag no operation serves, BerError for a malformed request */
export function prepare(env: Envelope, operations: ReadonlyMap<number, Operation> = OPERATIONS): Queued {
  const op = operations.get(env.tag);
  if (!op) throw new UnknownOperation(env.id, env.tag);
  const msg: Message = { id: env.id, controls: env.controls };
  return { msg, op, prepared: op.decode(env.body, msg) };
}

/**
 * Performs a queued operation: its final response, or null when there is none to send
 * (abandoned, or the connection closed meanwhile). Never throws.
 */
export async function perform(s: Session, q: Queued, log: Logger): Promise<Buffer | null> {
  const { msg, op } = q;
  try {
    for (const c of msg.controls) {
      if (c.critical && !op.controls.has(c.oid)) {
        throw new LdapError(RESULT.unavailableCriticalExtension, `unsupported critical control ${c.oid}`);
      }
    }
    const reply = await q.prepared.perform(s);
    ldapOperations.inc({ op: op.name, result: reply ? resultName(reply.code) : 'abandoned' });
    return reply ? reply.message : null;
  } catch (e) {
    if (e instanceof ConnectionClosed || s.isAbandoned(msg.id)) {
      ldapOperations.inc({ op: op.name, result: 'abandoned' });
      return null;
    }
    const t = toLdapResult(e);
    if (t.unexpected) log.error({ err: e, op: op.name }, 'ldap: operation failed');
    if (t.code === RESULT.unavailable) log.warn({ op: op.name }, 'ldap: database unavailable');
    ldapOperations.inc({ op: op.name, result: resultName(t.code) });
    return op.failure(msg.id, t);
  }
}
