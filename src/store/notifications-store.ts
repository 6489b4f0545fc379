import { randomUUID } from 'node:crypto';
import { isUuid, nowIso, toBool, toDate, type Queryable } from './rows.js';
import { sumPerChunk } from './chunks.js';

export interface NotificationRecord {
  readonly id: string;
  readonly userId: string;
  readonly title: string;
  readonly body: string;
  readonly link: string | null;
  readonly seen: boolean;
  readonly createdAt: Date;
}

function rowToNotification(r: Record<string, unknown>): NotificationRecord {
  return {
    id: String(r.id), userId: String(r.user_id), title: String(r.title), body: String(r.body ?? ''),
    link: (r.link as string | null) ?? null, seen: toBool(r.seen), createdAt: toDate(r.created_at)!,
  };
}

export async function insertNotification(q: Queryable, n: { userId: string; title: string; body: string; link: string | null }): Promise<NotificationRecord> {
  const id = randomUUID();
  await q('notifications').insert({ id, user_id: n.userId, title: n.title, body: n.body, link: n.link, seen: false, created_at: nowIso() });
  return rowToNotification((await q('notifications').where({ id }).first())!);
}

/** Newest first. */
export async function listNotifications(q: Queryable, userId: string, f: { seen?: boolean; limit: number; offset: number }): Promise<{ notifications: NotificationRecord[]; count: number }> {
  const base = () => {
    const b = q('notifications').where({ user_id: userId });
    return f.seen === undefined ? b : b.andWhere({ seen: f.seen });
  };
  const countRow = await base().count<{ n: number }[]>({ n: '*' }).first();
  const rows = await base().orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'asc' }]).limit(f.limit).offset(f.offset);
  return { notifications: rows.map(rowToNotification), count: Number(countRow?.n ?? 0) };
}

export async function findNotification(q: Queryable, id: string): Promise<NotificationRecord | null> {
  if (!isUuid(id)) return null;
  const row = await q('notifications').where({ id }).first();
  return row ? rowToNotification(row) : null;
}

/** Marks the given notifications of a user seen (all of them when `ids` is omitted). Returns how many changed. */
export async function markNotificationsSeen(q: Queryable, userId: string, ids?: readonly string[]): Promise<number> {
  const once = (part?: readonly string[]) => {
    let query = q('notifications').where({ user_id: userId, seen: false });
    if (part) query = query.whereIn('id', part);
    return query.update({ seen: true });
  };
  return ids ? sumPerChunk(ids.filter(isUuid), once) : once();
}
