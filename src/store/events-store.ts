import { insertChunked } from './chunks.js';
import type { DirEvent } from '../domain/types.js';
import { jsonColumn, nowIso, toDate, toJson, type Queryable } from './rows.js';
import { timeOrderedId } from './time-ordered-id.js';

export interface EventWrite {
  action: string;
  actorId: string | null;
  actorUsername: string | null;
  impersonatorId?: string | null;
  impersonatorUsername?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  clientIp?: string | null;
  context?: Record<string, unknown>;
}

/** Appends one event. Events are never updated or deleted. */
export async function insertEvent(q: Queryable, e: EventWrite): Promise<void> {
  await q('events').insert({
    id: timeOrderedId(), action: e.action, actor_id: e.actorId, actor_username: e.actorUsername,
    impersonator_id: e.impersonatorId ?? null, impersonator_username: e.impersonatorUsername ?? null,
    target_type: e.targetType ?? null, target_id: e.targetId ?? null, client_ip: e.clientIp ?? null,
    context: jsonColumn(e.context ?? {}), created_at: nowIso(),
  });
}

/** Several events (a membership change touching thousands of users) in bounded statements. */
export async function insertEvents(q: Queryable, events: readonly EventWrite[]): Promise<void> {
  const at = nowIso();
  await insertChunked(q, 'events', events.map((e) => ({
    id: timeOrderedId(), action: e.action, actor_id: e.actorId, actor_username: e.actorUsername,
    impersonator_id: e.impersonatorId ?? null, impersonator_username: e.impersonatorUsername ?? null,
    target_type: e.targetType ?? null, target_id: e.targetId ?? null, client_ip: e.clientIp ?? null,
    context: jsonColumn(e.context ?? {}), created_at: at,
  })));
}

export interface EventFilter {
  userId?: string;
  action?: string;
  since?: Date;
  until?: Date;
  limit: number;
  offset: number;
}

export function rowToEvent(r: Record<string, unknown>): DirEvent {
  return {
    id: String(r.id), seq: Number(r.seq), action: String(r.action),
    actorId: (r.actor_id as string) ?? null, actorUsername: (r.actor_username as string) ?? null,
    impersonatorId: (r.impersonator_id as string) ?? null, impersonatorUsername: (r.impersonator_username as string) ?? null,
    targetType: (r.target_type as string) ?? null, targetId: (r.target_id as string) ?? null,
    clientIp: (r.client_ip as string) ?? null, context: toJson(r.context), createdAt: toDate(r.created_at)!,
  };
}

/** Newest first. `userId` matches events the user did or that were done to the user. */
export async function listEvents(q: Queryable, f: EventFilter): Promise<{ events: DirEvent[]; count: number }> {
  const base = q('events').where((b) => {
    if (f.userId) b.where((o) => o.where('actor_id', f.userId!).orWhere('target_id', f.userId!));
    if (f.action) b.where('action', f.action);
    if (f.since) b.where('created_at', '>=', f.since.toISOString());
    if (f.until) b.where('created_at', '<', f.until.toISOString());
  });
  const countRow = await base.clone().count({ n: '*' }).first();
  const rows = await base.clone().orderBy('seq', 'desc').limit(f.limit).offset(f.offset);
  return { events: rows.map(rowToEvent), count: Number(countRow?.n ?? 0) };
}
