import type { Role } from '../../../src/domain/types.js';
import { PERMISSIONS } from '../../../src/domain/permissions.js';
import { field, fieldList, may, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { DialogButton, PostButton } from '../dialog.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';

/** GET /admin/roles: roles and their permissions; New Role, Delete. */
export async function rolesPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'role.view');
  const s = listState(c.query, [], '');
  const { roles, count } = await c.services.roles.list({ limit: s.pageSize, offset: (s.page - 1) * s.pageSize, ...(s.search ? { search: s.search } : {}) });
  const list = (
    <List<Role>
      id="roles-list" label="Roles" noun="roles" base="/admin/roles" state={s} rows={roles} total={count}
      columns={[
        { label: 'Name', cell: (r) => r.name },
        { label: 'Permissions', cell: (r) => [...r.permissions].sort().join(', ') || '—' },
        ...(may(c, 'role.delete') ? [{ label: 'Actions', cell: (r: Role) => <PostButton action={`/admin/roles/${r.id}/delete`} label={`Delete ${r.name}`} csrf={c.auth.csrf} danger /> }] : []),
      ]}
      empty="No roles."
    />
  );
  const body = (
    <section>
      <div class="page-head">
        <h1>Roles</h1>
        <div class="actions">
          {may(c, 'role.add') ? (
            <DialogButton id="new-role" label="New Role" title="New Role" action="/admin/roles/new" csrf={c.auth.csrf} submit="Create Role">
              <div class="field"><label for="nr-name">Name</label><input id="nr-name" name="name" required autocomplete="off" /></div>
              <fieldset class="perms">
                <legend>Permissions</legend>
                {PERMISSIONS.map((p) => (
                  <div key={p} class="field-check"><input id={`perm-${p}`} type="checkbox" name="permissions" value={p} /><label for={`perm-${p}`}>{p}</label></div>
                ))}
              </fieldset>
            </DialogButton>
          ) : null}
        </div>
      </div>
      {list}
    </section>
  );
  return page({ title: 'Roles', section: '/admin/roles', body, fragments: { 'roles-list': list } });
}

/** POST /admin/roles/new: the service refuses permissions the caller does not hold itself. */
export async function createRole(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'role.add');
  const r = await c.services.roles.create({ name: field(c.body, 'name'), permissions: fieldList(c.body, 'permissions') }, c.auth.ctx.actor);
  return redirect('/admin/roles', { text: `Role ${r.name} created.` });
}

export async function deleteRole(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'role.delete');
  const r = await c.services.roles.get(c.params.id!);
  await c.services.roles.delete(r.id, c.auth.ctx.actor);
  return redirect('/admin/roles', { text: `Role ${r.name} deleted.` });
}
