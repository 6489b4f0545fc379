import type { DirEvent } from '../../../src/domain/types.js';
import { isDirgateError } from '../../../src/domain/errors.js';
import { field, page, requirePermission, type Outcome, type PageContext } from '../context.js';
import { when } from '../format.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';

function date(v: string): Date | undefined {
  if (!v) return undefined;
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** GET /admin/events: the audit trail, filtered by user (actor or target), action and time. */
export async function eventsPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'event.view');
  const s = listState(c.query, ['user', 'action', 'since', 'until'], '');
  const f = { user: field(c.query, 'user'), action: field(c.query, 'action'), since: field(c.query, 'since'), until: field(c.query, 'until') };
  let error: string | undefined;
  let userId: string | undefined;
  if (f.user) {
    try {
      userId = (await c.services.users.resolve(f.user)).id;
    } catch (e) {
      if (!isDirgateError(e)) throw e;
      error = `User: ${e.message}`;
    }
  }
  const since = date(f.since), until = date(f.until);
  if ((f.since && !since) || (f.until && !until)) error = 'Dates must be like 2026-12-01 or 2026-12-01T10:00';
  const { events, count } = error
    ? { events: [] as DirEvent[], count: 0 }
    : await c.services.events.list({ ...(userId ? { userId } : {}), ...(f.action ? { action: f.action } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}), limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
  const list = (
    <List<DirEvent>
      id="events-list" label="Events" noun="events" base="/admin/events" state={s} rows={events} total={count}
      columns={[
        { label: 'When', cell: (e) => when(e.createdAt) },
        { label: 'Action', cell: (e) => e.action },
        { label: 'By', cell: (e) => (e.impersonatorUsername ? `${e.actorUsername ?? ''} (impersonated by ${e.impersonatorUsername})` : e.actorUsername ?? 'system') },
        { label: 'Target', cell: (e) => (e.targetType ? `${e.targetType} ${e.targetId ?? ''}` : '—') },
        { label: 'Details', cell: (e) => JSON.stringify(e.context) },
      ]}
      empty="No events match."
    />
  );
  const body = (
    <section>
      <h1>Events</h1>
      <form method="get" action="/admin/events" class="search filters" hx-get="/admin/events" hx-target="#main" hx-push-url="true">
        <label for="ev-user">User</label><input id="ev-user" name="user" value={f.user} autocomplete="off" />
        <label for="ev-action">Action</label><input id="ev-action" name="action" value={f.action} autocomplete="off" placeholder="e.g. login_failed" />
        <label for="ev-since">Since</label><input id="ev-since" name="since" value={f.since} placeholder="2026-12-01" />
        <label for="ev-until">Until</label><input id="ev-until" name="until" value={f.until} placeholder="2026-12-02" />
        <button type="submit" class="btn">Filter</button>
        {error ? <p class="field-error" role="alert">{error}</p> : null}
      </form>
      {list}
    </section>
  );
  return page({ title: 'Events', section: '/admin/events', body });
}
