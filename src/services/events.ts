import type { Actor } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { insertEvent, insertEvents, listEvents, type EventFilter } from '../store/events-store.js';
import type { DirEvent } from '../domain/types.js';
import type { Queryable } from '../store/rows.js';

const SECRET_KEYS = /pass|secret|token|hash|key/i;
/** Names that look secret but are not (settings names, ids) and belong in the audit trail. */
const NOT_SECRET = new Set(['token_id', 'key_prefix']);
/** Setting names (`password.min_length`, `lockout.threshold`…) are not secrets either. */
const SETTING_NAME = /^(password|lockout|login|mfa)\.[a-z_]+$/;

/** Drops anything that looks like a secret before it reaches the audit trail. */
export function scrub(context: Record<string, unknown>): Record<string, unknown> {
  // fromEntries defines each key as data: an attributes key `__proto__` stays a key in the
  // audit record instead of becoming the record's prototype (and vanishing from its JSON).
  return Object.fromEntries(Object.entries(context)
    .filter(([k]) => !SECRET_KEYS.test(k) || NOT_SECRET.has(k) || SETTING_NAME.test(k))
    .map(([k, v]) => [k, v && typeof v === 'object' && !Array.isArray(v) ? scrub(v as Record<string, unknown>) : v]));
}

/**
 * A change described with the field names the admin API uses (`is_active`, `external_id`,
 * `last_login`, `is_superuser`), so an event reads like the request that caused it.
 */
export function apiFieldNames(change: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(change)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  return out;
}

/** Records an event in the caller's transaction, so a write and its event commit together. */
export async function recordEvent(
  q: Queryable,
  actor: Actor,
  action: string,
  target: { type: string; id: string } | null,
  context: Record<string, unknown> = {},
): Promise<void> {
  await insertEvent(q, {
    action,
    actorId: actor.userId,
    actorUsername: actor.username,
    impersonatorId: actor.impersonatorId ?? null,
    impersonatorUsername: actor.impersonatorUsername ?? null,
    targetType: target?.type ?? null,
    targetId: target?.id ?? null,
    clientIp: actor.clientIp ?? null,
    context: actor.door ? { ...scrub(context), door: actor.door } : scrub(context),
  });
}

export type { EventFilter };

/** The audit trail's read side (the write side is `recordEvent`, inside each write's transaction). */
export class EventService {
  constructor(private readonly db: Database) {}

  /** Events newest first, filtered by user (actor or target), action and date range. */
  async list(filter: EventFilter): Promise<{ events: DirEvent[]; count: number }> {
    return listEvents(this.db.knex, filter);
  }
}

/** One event per target (e.g. each user a membership change touched), in the caller's transaction. */
export async function recordEventPerTarget(
  q: Queryable,
  actor: Actor,
  action: string,
  targets: ReadonlyArray<{ type: string; id: string }>,
  context: Record<string, unknown> = {},
): Promise<void> {
  const ctx = scrub(context);
  await insertEvents(q, targets.map((t) => ({
    action, actorId: actor.userId, actorUsername: actor.username, impersonatorId: actor.impersonatorId ?? null,
    impersonatorUsername: actor.impersonatorUsername ?? null, targetType: t.type, targetId: t.id, clientIp: actor.clientIp ?? null, context: ctx,
  })));
}
