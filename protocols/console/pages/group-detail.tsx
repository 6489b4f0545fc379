import type { User } from '../../../src/domain/types.js';
import { isDirgateError } from '../../../src/domain/errors.js';
import { field, may, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { DialogButton, PostButton } from '../dialog.js';
import { describeError } from '../errors.js';
import { yesNo } from '../format.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';

/** GET /admin/groups/:id: members, parents, roles; add and remove members, delete. */
export async function groupPage(c: PageContext, message?: { text: string; error?: boolean }): Promise<Outcome> {
  await requirePermission(c, 'group.view');
  const g = await c.services.groups.resolve(c.params.id!);
  const members = [...((await c.services.groups.membersOf([g.id])).get(g.id) ?? [])].sort((a, b) => a.username.localeCompare(b.username));
  const parents = (await c.services.groups.parentsOf([g.id])).get(g.id) ?? [];
  const roles = await c.services.roles.rolesOfGroup(g.id);
  const s = listState(c.query, [], '');
  const rows = members.slice((s.page - 1) * s.pageSize, s.page * s.pageSize);
  const base = `/admin/groups/${g.id}`;
  const csrf = c.auth.csrf;
  const body = (
    <section>
      <p class="crumbs"><a href="/admin/groups">Groups</a></p>
      <h1>{g.name}</h1>
      <div class="actions">
        {may(c, 'group.change') ? (
          <DialogButton id="add-member" label="Add member" title={`Add a user to ${g.name}`} action={`${base}/members/add`} csrf={csrf} submit="Add">
            <div class="field"><label for="am-user">User</label><input id="am-user" name="user" required autocomplete="off" /></div>
            <p class="help">A username or user id.</p>
          </DialogButton>
        ) : null}
        {may(c, 'group.delete') ? (
          <DialogButton id="delete-group" label="Delete" title={`Delete ${g.name}?`} action={`${base}/delete`} csrf={csrf} submit="Delete" danger>
            <p>The group goes; its members stay.</p>
          </DialogButton>
        ) : null}
      </div>
      <dl class="facts">
        <dt>Superuser</dt><dd>{yesNo(g.isSuperuser)}</dd>
        <dt>Parents</dt><dd>{parents.length ? parents.map((p) => p.name).join(', ') : '—'}</dd>
        <dt>Roles</dt><dd>{roles.length ? roles.map((r) => r.name).join(', ') : '—'}</dd>
      </dl>
      <h2>Members</h2>
      <List<User>
        swapMain id="members-list" label="Members" noun="members" base={base} state={s} rows={rows} total={members.length}
        columns={[
          { label: 'Username', cell: (u) => <a href={`/admin/users/${u.id}`}>{u.username}</a> },
          { label: 'Name', cell: (u) => u.name },
          ...(may(c, 'group.change') ? [{ label: 'Actions', cell: (u: User) => <PostButton action={`${base}/members/remove`} name="user" value={u.id} label={`Remove ${u.username}`} csrf={csrf} /> }] : []),
        ]}
        empty="No members."
      />
    </section>
  );
  return page({ title: g.name, section: '/admin/groups', body, message, ...(message?.error ? { status: 422 } : {}) });
}

async function groupAct(c: PageContext, fn: () => Promise<string>): Promise<Outcome> {
  await requirePermission(c, 'group.change');
  try {
    return redirect(`/admin/groups/${c.params.id}`, { text: await fn() });
  } catch (e) {
    if (!isDirgateError(e)) throw e;
    return groupPage(c, { text: describeError(e).text, error: true });
  }
}

export const addMember = (c: PageContext) => groupAct(c, async () => {
  const u = await c.services.users.resolve(field(c.body, 'user'));
  const g = await c.services.groups.changeMembers(c.params.id!, { addUsers: [u.id] }, c.auth.ctx.actor);
  return `${u.username} added to ${g.name}.`;
});

export const removeMember = (c: PageContext) => groupAct(c, async () => {
  const u = await c.services.users.resolve(field(c.body, 'user'));
  const g = await c.services.groups.changeMembers(c.params.id!, { removeUsers: [u.id] }, c.auth.ctx.actor);
  return `${u.username} removed from ${g.name}.`;
});

export async function deleteGroup(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'group.delete');
  const g = await c.services.groups.resolve(c.params.id!);
  await c.services.groups.delete(g.id, c.auth.ctx.actor);
  return redirect('/admin/groups', { text: `Group ${g.name} deleted.` });
}
