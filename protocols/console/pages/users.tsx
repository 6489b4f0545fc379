import type { VNode } from 'preact';
import type { User } from '../../../src/domain/types.js';
import { may, page, requirePermission, type PageContext, type PageOutcome } from '../context.js';
import { folderTree, UserFolders } from '../folders.js';
import { USER_TYPE_LABELS, when, yesNo } from '../format.js';
import { List, type Column } from '../list.js';
import { listState, listUrl, type ListState } from '../list-state.js';
import { activeOnly, inFolder, parseListSearch } from '../search.js';
import { BulkBar } from './users-bulk.js';
import { DialogButton } from '../dialog.js';
import { exportQuery } from '../export-query.js';

export const USERS_LIST_ID = 'users-list';
const BASE = '/admin/users';

const COLUMNS: ReadonlyArray<Column<User>> = [
  { label: 'Username', sort: 'username', cell: (u) => <a href={`/admin/users/${u.id}`}>{u.username}</a> },
  { label: 'Name', sort: 'name', cell: (u) => u.name },
  { label: 'Email', cell: (u) => u.email ?? '' },
  { label: 'Active', sort: 'is_active', cell: (u) => yesNo(u.isActive) },
  { label: 'Last login', sort: 'last_login', cell: (u) => when(u.lastLogin) },
  { label: 'Type', sort: 'type', cell: (u) => USER_TYPE_LABELS[u.type] ?? u.type },
];

/** The list's state from the URL: search, ordering, page, size, folder, deactivated shown. */
export function usersState(query: Record<string, unknown>): ListState {
  return listState(query, ['path', 'inactive'], 'username');
}

/** The query the list runs (also what bulk actions over "all matching" and Export use). */
export function usersQuery(c: PageContext, s: ListState) {
  const parsed = parseListSearch(c.services, 'users', s.search, s.ordering);
  let v = parsed.v;
  if (v && s.extra.path) v = inFolder(v, s.extra.path, true);
  if (v && s.extra.inactive !== '1') v = activeOnly(v);
  return { ...parsed, v };
}

function Toolbar({ c, s, total }: { c: PageContext; s: ListState; total: number }): VNode {
  const toggle = listUrl(BASE, s, { inactive: s.extra.inactive === '1' ? '' : '1', page: 1 });
  return (
    <div class="toolbar">
      <a class="toggle" href={toggle} role="switch" aria-checked={s.extra.inactive === '1' ? 'true' : 'false'}
        hx-get={toggle} hx-target={`#${USERS_LIST_ID}`} hx-swap="outerHTML" hx-push-url="true">
        Show deactivated users
      </a>
      <BulkBar c={c} s={s} total={total} />
    </div>
  );
}

/** Export: the dialog shows the exact query and ordering the job will run. */
function ExportButton({ c, s }: { c: PageContext; s: ListState }): VNode {
  const query = exportQuery(s);
  return (
    <DialogButton id="export-dialog" label="Export" title="Export users to CSV" action="/admin/users/export" csrf={c.auth.csrf} submit="Start export">
      {s.search ? <input type="hidden" name="search" value={s.search} /> : null}
      {s.extra.path ? <input type="hidden" name="path" value={s.extra.path} /> : null}
      {s.extra.inactive ? <input type="hidden" name="inactive" value={s.extra.inactive} /> : null}
      <input type="hidden" name="ordering" value={s.ordering} />
      <p>The export runs in the background; Notifications announces it with a Download link.</p>
      <dl class="facts">
        <dt>Query</dt><dd><code data-testid="export-query">{query || '(all users)'}</code></dd>
        <dt>Ordering</dt><dd><code data-testid="export-ordering">{s.ordering || 'username'}</code></dd>
      </dl>
    </DialogButton>
  );
}

/** GET /admin/users: list, folders, search, bulk actions. */
export async function usersPage(c: PageContext): Promise<PageOutcome> {
  await requirePermission(c, 'user.view');
  const s = usersState(c.query);
  const q = usersQuery(c, s);
  let rows: User[] = [];
  let total = 0;
  if (q.v && q.ordering) {
    const r = await c.services.users.list(q.v, { ordering: q.ordering, limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
    rows = r.users;
    total = r.total;
  }
  const list = (
    <List
      id={USERS_LIST_ID} label="Users" noun="users" base={BASE} state={s} rows={rows} total={total} columns={COLUMNS}
      searchable searchHelp='The query language (e.g. attributes.department = "Sales"), or plain text to search username, name and email.'
      error={q.error}
      select={may(c, 'user.change') || may(c, 'user.delete') ? { form: 'bulk-form', value: (u) => u.id, label: (u) => `Select ${u.username}` } : undefined}
      empty="No users match." toolbar={<Toolbar c={c} s={s} total={total} />}
    />
  );
  // An htmx swap of the list alone (paging, sorting, searching) needs no folder tree: skip its GROUP BY.
  if (c.target === USERS_LIST_ID) return page({ title: 'Users', section: BASE, body: list, fragments: { [USERS_LIST_ID]: list } });
  const tree = folderTree(await c.services.users.pathCounts());
  const folderHref = (path: string) => listUrl(BASE, { ...s, extra: { ...s.extra, path } }, { page: 1 });
  const body = (
    <div class="with-aside">
      <UserFolders tree={tree} selected={s.extra.path ?? ''} href={folderHref} />
      <div class="content">
        <div class="page-head">
          <h1>Users</h1>
          <div class="actions">
            {may(c, 'user.export') ? <ExportButton c={c} s={s} /> : null}
            {may(c, 'user.add') ? (
              <form method="get" action="/admin/users/new" hx-get="/admin/users/new" hx-target="#main" hx-push-url="true">
                {s.extra.path ? <input type="hidden" name="path" value={s.extra.path} /> : null}
                <button type="submit" class="btn btn-primary">New User</button>
              </form>
            ) : null}
          </div>
        </div>
        {list}
      </div>
    </div>
  );
  return page({ title: 'Users', section: BASE, body, fragments: { [USERS_LIST_ID]: list } });
}
