import type { VNode } from 'preact';
import type { Group } from '../../../src/domain/types.js';
import { field, may, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { DialogButton } from '../dialog.js';
import { fieldErrors } from '../errors.js';
import { yesNo } from '../format.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';
import { parseListSearch } from '../search.js';

/** GET /admin/groups: the group query language (name, is_superuser, parent.name, members.username…). */
export async function groupsPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'group.view');
  const s = listState(c.query, [], 'name');
  const q = parseListSearch(c.services, 'groups', s.search, s.ordering);
  let rows: Group[] = [];
  let total = 0;
  if (q.v && q.ordering) {
    const r = await c.services.groups.list(q.v, { ordering: q.ordering, limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
    rows = r.groups;
    total = r.total;
  }
  const list = (
    <List<Group>
      id="groups-list" label="Groups" noun="groups" base="/admin/groups" state={s} rows={rows} total={total} searchable error={q.error}
      searchHelp='e.g. members.username = "sally", or plain text to search names.'
      columns={[
        { label: 'Name', sort: 'name', cell: (g) => <a href={`/admin/groups/${g.id}`}>{g.name}</a> },
        { label: 'Superuser', sort: 'is_superuser', cell: (g) => yesNo(g.isSuperuser) },
      ]}
      empty="No groups match."
    />
  );
  const body = (
    <section>
      <div class="page-head">
        <h1>Groups</h1>
        <div class="actions">{may(c, 'group.add') ? <NewGroup c={c} /> : null}</div>
      </div>
      {list}
    </section>
  );
  return page({ title: 'Groups', section: '/admin/groups', body, fragments: { 'groups-list': list } });
}

function NewGroup({ c }: { c: PageContext }): VNode {
  return (
    <DialogButton id="new-group" label="New Group" title="New Group" action="/admin/groups/new" csrf={c.auth.csrf} submit="Create Group">
      <div class="field"><label for="ng-name">Name</label><input id="ng-name" name="name" required autocomplete="off" /></div>
      <div class="field field-check"><input id="ng-super" name="is_superuser" type="checkbox" value="true" /><label for="ng-super">Superuser group</label></div>
    </DialogButton>
  );
}

/** POST /admin/groups/new */
export async function createGroup(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'group.add');
  try {
    const g = await c.services.groups.create({ name: field(c.body, 'name'), isSuperuser: field(c.body, 'is_superuser') === 'true' }, c.auth.ctx.actor);
    return redirect(`/admin/groups/${g.id}`, { text: `Group ${g.name} created.` });
  } catch (e) {
    const errors = fieldErrors(e);
    if (Object.keys(errors).length === 0) throw e;
    return redirect('/admin/groups', { text: `The group was not created: ${Object.entries(errors).map(([k, v]) => `${k}: ${v}`).join('; ')}`, error: true });
  }
}
