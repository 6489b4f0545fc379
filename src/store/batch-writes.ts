/**
 * Multi-row writes for the batched bind-event writer (services/bind-cache.ts): many events in
 * few INSERT statements, and last_login for many users in one UPDATE per chunk, all in one
 * transaction — on a SQLite file in the write thread (write-thread.ts), off the event loop.
 */
import type { EventWrite } from './events-store.js';
import { jsonColumn, type Dialect } from './rows.js';
import { timeOrderedId } from './time-ordered-id.js';
import { runWriteBatch, type WriteStatement } from './write-thread.js';
import type { Database } from './database.js';

/** Rows per statement (well within SQLite's and PostgreSQL's bound-parameter limits). */
const PER_INSERT = 400;

const EVENT_COLUMNS = 'id, action, actor_id, actor_username, impersonator_id, impersonator_username, target_type, target_id, client_ip, context, created_at';
const EVENT_TUPLE = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Events, each with its own time, as multi-row INSERTs (raw: knex's builder costs more than the insert). */
function eventInserts(events: readonly (EventWrite & { at: string })[]): WriteStatement[] {
  const out: WriteStatement[] = [];
  for (let i = 0; i < events.length; i += PER_INSERT) {
    const chunk = events.slice(i, i + PER_INSERT);
    const bindings = chunk.flatMap((e) => [
      timeOrderedId(), e.action, e.actorId, e.actorUsername, e.impersonatorId ?? null, e.impersonatorUsername ?? null,
      e.targetType ?? null, e.targetId ?? null, e.clientIp ?? null, jsonColumn(e.context ?? {}), e.at,
    ]);
    out.push({ sql: `INSERT INTO events (${EVENT_COLUMNS}) VALUES ${chunk.map(() => EVENT_TUPLE).join(', ')}`, bindings });
  }
  return out;
}

/** Each user's last_login set to its time (never the version: not a change of the record). */
function lastLoginUpdates(dialect: Dialect, logins: ReadonlyMap<string, string>): WriteStatement[] {
  const time = dialect === 'pg' ? 'CAST(? AS timestamptz)' : '?';
  const all = [...logins];
  const out: WriteStatement[] = [];
  for (let i = 0; i < all.length; i += PER_INSERT) {
    const chunk = all.slice(i, i + PER_INSERT);
    const cases = chunk.map(() => `WHEN ? THEN ${time}`).join(' ');
    const bindings = [...chunk.flat(), ...chunk.map(([id]) => id)];
    out.push({ sql: `UPDATE users SET last_login = CASE id ${cases} END WHERE id IN (${chunk.map(() => '?').join(', ')})`, bindings });
  }
  return out;
}

/**
 * Sets last_login (user id → time) and appends the events, in one transaction.
 * @throws the driver's error (nothing is written then)
 */
export function writeBindBatch(db: Database, logins: ReadonlyMap<string, string>, events: readonly (EventWrite & { at: string })[]): Promise<void> {
  return runWriteBatch(db, [...lastLoginUpdates(db.dialect, logins), ...eventInserts(events)]);
}
