/**
 * Multi-row writes for the batched bind-event writer (services/bind-cache.ts): many events in
 * few INSERT statements, and last_login for many users in one UPDATE per timestamp.
 */
import type { EventWrite } from './events-store.js';
import { jsonColumn, type Dialect, type Queryable } from './rows.js';
import { timeOrderedId } from './time-ordered-id.js';

/** Rows per statement (well within SQLite's and PostgreSQL's bound-parameter limits). */
const PER_INSERT = 400;

const EVENT_COLUMNS = 'id, action, actor_id, actor_username, impersonator_id, impersonator_username, target_type, target_id, client_ip, context, created_at';
const EVENT_TUPLE = '(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** Appends events, each with its own time, in multi-row INSERTs (raw: knex's builder costs more than the insert). */
export async function insertEventBatch(q: Queryable, events: readonly (EventWrite & { at: string })[]): Promise<void> {
  for (let i = 0; i < events.length; i += PER_INSERT) {
    const chunk = events.slice(i, i + PER_INSERT);
    const bindings = chunk.flatMap((e) => [
      timeOrderedId(), e.action, e.actorId, e.actorUsername, e.impersonatorId ?? null, e.impersonatorUsername ?? null,
      e.targetType ?? null, e.targetId ?? null, e.clientIp ?? null, jsonColumn(e.context ?? {}), e.at,
    ]);
    await q.raw(`INSERT INTO events (${EVENT_COLUMNS}) VALUES ${chunk.map(() => EVENT_TUPLE).join(', ')}`, bindings);
  }
}

/** Sets each user's last_login to its time (never the version: not a change of the record). */
export async function touchLastLogins(q: Queryable, dialect: Dialect, logins: ReadonlyMap<string, string>): Promise<void> {
  const time = dialect === 'pg' ? 'CAST(? AS timestamptz)' : '?';
  const all = [...logins];
  for (let i = 0; i < all.length; i += PER_INSERT) {
    const chunk = all.slice(i, i + PER_INSERT);
    const cases = chunk.map(() => `WHEN ? THEN ${time}`).join(' ');
    const bindings = [...chunk.flat(), ...chunk.map(([id]) => id)];
    await q.raw(`UPDATE users SET last_login = CASE id ${cases} END WHERE id IN (${chunk.map(() => '?').join(', ')})`, bindings);
  }
}
