import { NotFound } from '../domain/errors.js';
import type { Database } from '../store/database.js';
import {
  findNotification, insertNotification, listNotifications, markNotificationsSeen, type NotificationRecord,
} from '../store/notifications-store.js';
import type { Queryable } from '../store/rows.js';

export type { NotificationRecord };

/** Messages for one user (an export finished, an export failed). */
export class NotificationService {
  constructor(private readonly db: Database) {}

  /** Adds a notification in the caller's transaction, so it commits with the work it reports. */
  async notify(q: Queryable, userId: string, n: { title: string; body?: string; link?: string | null }): Promise<NotificationRecord> {
    return insertNotification(q, { userId, title: n.title, body: n.body ?? '', link: n.link ?? null });
  }

  /** Newest first; `seen` filters to seen (true) or unseen (false) ones. */
  async list(userId: string, opts: { seen?: boolean; limit: number; offset: number }): Promise<{ notifications: NotificationRecord[]; count: number }> {
    return listNotifications(this.db.knex, userId, opts);
  }

  /** @throws NotFound for another user's or an unknown notification. */
  async get(userId: string, id: string): Promise<NotificationRecord> {
    const n = await findNotification(this.db.knex, id);
    if (!n || n.userId !== userId) throw new NotFound(`no notification with id ${id}`);
    return n;
  }

  /** Marks a user's notifications seen (all, or the given ids). Returns how many changed. */
  async markSeen(userId: string, ids?: readonly string[]): Promise<number> {
    return markNotificationsSeen(this.db.knex, userId, ids);
  }
}
