/**
 * Multi-row writes for the batched bind-event writer (services/bind-cache.ts): many events in
 * few INSERT statements, and last_login for many users in one UPDATE per timestamp.
 */
import { randomUUID } from 'node:crypto';
import type { EventWrite } from './events-store.js';
import { jsonColumn, type Dialect, type Queryable } from './rows.js';

/** Rows per INSERT: knex's SQLite insert is a UNION ALL of SELECTs, which SQLite caps at 500 terms. */
const PER_INSERT = 400;

/** Appends events, each with its own time. */
export async function insertEventBatch(q: Queryable, events: readonly (EventWrite & { at: string })[]): Promise<void> {
  for (let i = 0; i < events.length; i += PER_INSERT) {
    await q('events').insert(events.slice(i, i + PER_INSERT).map((e) => ({
      id: randomUUID(), action: e.action, actor_id: e.actorId, actor_username: e.actorUsername,
      impersonator_id: e.impersonatorId ?? null, impersonator_username: e.impersonatorUsername ?? null,
      target_type: e.targetType ?? null, target_id: e.targetId ?? null, client_ip: e.clientIp ?? null,
      context: jsonColumn(e.context ?? {}), created_at: e.at,
    })));
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
