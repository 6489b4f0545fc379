import type { VNode } from 'preact';
import { isDirgateError, LimitExceeded } from '../../../src/domain/errors.js';
import type { User } from '../../../src/domain/types.js';
import { field, fieldList, may, page, requirePermission, type Outcome, type PageContext } from '../context.js';
import { Csrf } from '../layout.js';
import type { ListState } from '../list-state.js';
import { usersQuery, usersState } from './users.js';

/** How many users one bulk action over "all matching" may touch (the admin API's bulk limit). */
export const MAX_BULK = 10_000;
const PAGE = 500;

type BulkAction = 'delete' | 'deactivate' | 'activate' | 'revoke';

const ACTIONS: Record<BulkAction, { label: string; verb: string; done: string; permission: 'user.delete' | 'user.change' }> = {
  delete: { label: 'Delete', verb: 'Delete', done: 'deleted', permission: 'user.delete' },
  deactivate: { label: 'Deactivate', verb: 'Deactivate', done: 'deactivated', permission: 'user.change' },
  activate: { label: 'Activate', verb: 'Activate', done: 'activated', permission: 'user.change' },
  revoke: { label: 'Revoke sessions', verb: 'Revoke the sessions of', done: 'sessions revoked', permission: 'user.change' },
};

function StateFields({ s }: { s: ListState }): VNode {
  return (
    <>
      {s.search ? <input type="hidden" name="search" value={s.search} /> : null}
      {s.extra.path ? <input type="hidden" name="path" value={s.extra.path} /> : null}
      {s.extra.inactive ? <input type="hidden" name="inactive" value={s.extra.inactive} /> : null}
    </>
  );
}

/** The bulk toolbar: the row checkboxes belong to this form (`form="bulk-form"`). */
export function BulkBar({ c, s, total }: { c: PageContext; s: ListState; total: number }): VNode | null {
  const allowed = (Object.keys(ACTIONS) as BulkAction[]).filter((a) => may(c, ACTIONS[a].permission));
  if (allowed.length === 0) return null;
  return (
    <form id="bulk-form" data-bulk="1" method="post" action="/admin/users/bulk" hx-post="/admin/users/bulk" hx-target="#main" class="bulk">
      <Csrf token={c.auth.csrf} />
      <StateFields s={s} />
      <span data-selection-count="bulk-form" class="help" aria-live="polite"></span>
      <label class="field-check">
        <input type="checkbox" name="all" value="1" />
        {`Select all ${total.toLocaleString('en')} matching`}
      </label>
      {allowed.map((a) => (
        <button key={a} type="submit" name="action" value={a} class={a === 'delete' ? 'btn btn-danger' : 'btn'}>{ACTIONS[a].label}</button>
      ))}
    </form>
  );
}

/** The users a bulk request names: its ids, or every user matching its query (bounded). @throws LimitExceeded */
async function targets(c: PageContext): Promise<{ users: User[]; all: boolean }> {
  if (field(c.body, 'all') !== '1') {
    const ids = [...new Set(fieldList(c.body, 'ids'))].slice(0, MAX_BULK + 1);
    if (ids.length > MAX_BULK) throw new LimitExceeded(`at most ${MAX_BULK} users at once`, 'bulk');
    return { users: ids.length ? await c.services.users.getMany(ids) : [], all: false };
  }
  const s = usersState({ ...c.body, ordering: 'username' });
  const q = usersQuery(c, s);
  if (!q.v || !q.ordering) throw new LimitExceeded(q.error?.message ?? 'the search does not parse', 'search');
  const users: User[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const { users: batch, total } = await c.services.users.list(q.v, { ordering: q.ordering, limit: PAGE, offset });
    if (offset === 0 && total > MAX_BULK) throw new LimitExceeded(`${total} users match; a bulk action takes at most ${MAX_BULK} — narrow the search`, 'bulk');
    users.push(...batch);
    if (batch.length < PAGE) break;
  }
  return { users, all: true };
}

async function run(c: PageContext, action: BulkAction, u: User): Promise<string | null> {
  const actor = c.auth.ctx.actor;
  try {
    if (action === 'delete') await c.services.users.delete(u.id, actor);
    else if (action === 'deactivate') await c.services.users.update(u.id, { isActive: false }, actor);
    else if (action === 'activate') await c.services.users.update(u.id, { isActive: true }, actor);
    else await c.services.auth.revokeSessions(u.id, undefined, actor);
    return null;
  } catch (e) {
    if (isDirgateError(e)) return e.message;
    throw e;
  }
}

function Confirm({ c, action, users, all }: { c: PageContext; action: BulkAction; users: User[]; all: boolean }): VNode {
  const a = ACTIONS[action];
  const self = users.some((u) => u.id === c.auth.ctx.user.id) && (action === 'delete' || action === 'deactivate');
  const shown = users.slice(0, 100);
  const title = `${a.verb} ${users.length} user${users.length === 1 ? '' : 's'}?`;
  return (
    <section class="confirm" aria-labelledby="confirm-title">
      <h1 id="confirm-title">{title}</h1>
      {self ? <p class="warn" role="alert">Your own account ({c.auth.ctx.user.username}) is in this selection: you will be signed out.</p> : null}
      <p>{action === 'delete' ? 'These users will go:' : 'These users:'}</p>
      <ul class="targets">{shown.map((u) => <li key={u.id}>{u.username}{u.name ? ` (${u.name})` : ''}</li>)}</ul>
      {users.length > shown.length ? <p>{`… and ${users.length - shown.length} more.`}</p> : null}
      <form method="post" action="/admin/users/bulk" hx-post="/admin/users/bulk" hx-target="#main" class="buttons">
        <Csrf token={c.auth.csrf} />
        <input type="hidden" name="action" value={action} />
        <input type="hidden" name="confirm" value="1" />
        {all ? (
          <>
            <input type="hidden" name="all" value="1" />
            {(['search', 'path', 'inactive'] as const).map((k) => (field(c.body, k) ? <input key={k} type="hidden" name={k} value={field(c.body, k)} /> : null))}
          </>
        ) : users.map((u) => <input key={u.id} type="hidden" name="ids" value={u.id} />)}
        <button type="submit" class={action === 'delete' ? 'btn btn-danger' : 'btn btn-primary'}>{`${a.label} ${users.length} user${users.length === 1 ? '' : 's'}`}</button>
        <a class="btn" href="/admin/users">Cancel</a>
      </form>
    </section>
  );
}

/** POST /admin/users/bulk: confirm first (what will go), then one server-side pass reporting per user. */
export async function bulkUsers(c: PageContext): Promise<Outcome> {
  const action = field(c.body, 'action') as BulkAction;
  const spec = ACTIONS[action];
  if (!spec) throw new LimitExceeded('unknown bulk action', 'action');
  await requirePermission(c, spec.permission);
  const { users, all } = await targets(c);
  if (users.length === 0) {
    return page({ title: 'Users', section: '/admin/users', status: 422, body: <p><a href="/admin/users">Back to the users</a></p>, message: { text: 'No users selected.', error: true } });
  }
  if (field(c.body, 'confirm') !== '1') {
    return page({ title: 'Confirm', section: '/admin/users', body: <Confirm c={c} action={action} users={users} all={all} /> });
  }
  const results: Array<{ user: User; error: string | null }> = [];
  for (const u of users) results.push({ user: u, error: await run(c, action, u) });
  const failed = results.filter((r) => r.error).length;
  const text = `${spec.label}: ${results.length - failed} of ${results.length} ${spec.done}${failed ? `, ${failed} refused` : ''}.`;
  const body = (
    <section class="report" data-clear-selection="bulk-form">
      <h1>{text}</h1>
      <ul>
        {results.map((r) => (
          <li key={r.user.id} class={r.error ? 'failed' : 'done'}>{r.user.username}: {r.error ? `refused — ${r.error}` : spec.done}</li>
        ))}
      </ul>
      <p><a href="/admin/users">Back to the users</a></p>
    </section>
  );
  return page({ title: 'Bulk action', section: '/admin/users', body, message: { text, error: failed > 0 } });
}
