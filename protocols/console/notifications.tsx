import type { VNode } from 'preact';
import type { NotificationRecord } from '../../src/services/notifications.js';
import type { Services } from '../../src/services/index.js';
import { Csrf } from './layout.js';
import type { ConsoleAuth } from './session.js';

/** An export's notification links to Data Exports (`/admin/exports?highlight=<id>`); Download goes straight to the file. */
function consoleLink(link: string | null): string | null {
  if (!link) return null;
  const m = /\/exports(?:\/|\?highlight=)([0-9a-f-]{36})/.exec(link);
  return m ? `/admin/exports/${m[1]}/download` : null;
}

export async function loadNotifications(services: Services, auth: ConsoleAuth): Promise<{ unread: number; items: NotificationRecord[] }> {
  const { notifications, count } = await services.notifications.list(auth.ctx.user.id, { seen: false, limit: 5, offset: 0 });
  return { unread: count, items: notifications };
}

/** The region **Notifications**: unread count, the newest unread ones, each export's **Download**, mark read. */
export function Notifications({ unread, items, auth, oob }: { unread: number; items: NotificationRecord[]; auth: ConsoleAuth; oob?: boolean }): VNode {
  return (
    <section id="notifications" class="notifications" aria-label="Notifications" {...(oob ? { 'hx-swap-oob': 'true' } : {})}
      hx-get="/admin/notifications" hx-trigger="every 10s" hx-swap="outerHTML">
      <h2 class="visually-hidden">Notifications</h2>
      <p class="unread">{unread === 0 ? 'No unread notifications' : `${unread} unread notification${unread === 1 ? '' : 's'}`}</p>
      {items.length > 0 ? (
        <ul>
          {items.map((n) => {
            const link = consoleLink(n.link);
            return (
              <li key={n.id}>
                <span class="n-title">{n.title}</span> {n.body ? <span class="n-body">{n.body}</span> : null}{' '}
                {link ? <a href={link} download="">Download</a> : null}
              </li>
            );
          })}
        </ul>
      ) : null}
      {unread > 0 ? (
        <form method="post" action="/admin/notifications/mark-read" hx-post="/admin/notifications/mark-read" hx-target="#notifications" hx-swap="outerHTML">
          <Csrf token={auth.csrf} />
          <button type="submit" class="btn btn-small">Mark all read</button>
        </form>
      ) : null}
    </section>
  );
}

/** GET /admin/notifications (the region, polled by htmx) and POST /admin/notifications/mark-read. */
export async function notificationsFragment(services: Services, auth: ConsoleAuth): Promise<VNode> {
  const n = await loadNotifications(services, auth);
  return <Notifications {...n} auth={auth} />;
}
