import { stringify as toYaml } from 'yaml';
import type { User } from '../../../src/domain/types.js';
import { page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { fieldErrors } from '../errors.js';
import { parseAttributes, UserForm, valuesOf, type Errors, type FormMode, type Values } from './user-new.js';

const modeOf = (u: User): FormMode => ({ title: `Edit ${u.username}`, action: `/admin/users/${u.id}/edit`, submit: 'Save', cancel: `/admin/users/${u.id}` });

/** GET /admin/users/:id/edit */
export async function editUserPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'user.change');
  const u = await c.services.users.get(c.params.id!);
  const v: Values = {
    username: u.username, path: u.path, name: u.name, email: u.email ?? '', isActive: u.isActive, type: u.type,
    attributes: Object.keys(u.attributes).length ? toYaml(u.attributes) : '',
  };
  return page({ title: `Edit ${u.username}`, section: '/admin/users', body: <UserForm c={c} v={v} errors={{}} mode={modeOf(u)} /> });
}

/** POST /admin/users/:id/edit: `PATCH /api/v1/users/{id}`'s update. */
export async function saveUser(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'user.change');
  const u = await c.services.users.get(c.params.id!);
  const v = valuesOf(c.body);
  const again = (errors: Errors) => page({
    title: `Edit ${u.username}`, section: '/admin/users', status: 422, body: <UserForm c={c} v={v} errors={errors} mode={modeOf(u)} />,
    message: { text: `Not saved: ${Object.entries(errors).map(([k, e]) => `${k}: ${e}`).join('; ')}`, error: true },
  });
  const attrs = parseAttributes(v.attributes);
  if ('error' in attrs) return again({ attributes: attrs.error });
  try {
    const saved = await c.services.users.update(u.id, {
      username: v.username, path: v.path || undefined, name: v.name, email: v.email || null, isActive: v.isActive,
      attributes: attrs.value, type: v.type,
    }, c.auth.ctx.actor);
    return redirect(`/admin/users/${saved.id}`, { text: `User ${saved.username} saved.` }, !saved.isActive && saved.id === c.auth.ctx.user.id);
  } catch (e) {
    const errors = fieldErrors(e);
    if (Object.keys(errors).length === 0) throw e;
    return again(errors);
  }
}
