import { isDirgateError, NotFound } from '../../../src/domain/errors.js';
import type { Permission } from '../../../src/domain/permissions.js';
import type { User } from '../../../src/domain/types.js';
import { field, fieldList, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';

import { describeError } from '../errors.js';
import { ORIGINAL_COOKIE, secureCookies, SESSION_COOKIE, setCookie } from '../session.js';
import { renderUser, userUrl } from './user-detail.js';
import { OneTimeValue } from './user-overview.js';
import type { ArtifactKind } from './user-tabs.js';

/**
 * The user detail page's actions. Each checks the permission the admin API route checks, calls
 * the same service, and comes back to the tab it was made from with the result announced; a
 * refusal renders that tab again with the service's own text in the live region.
 */
async function act(c: PageContext, permission: Permission | null, tab: string, fn: (u: User) => Promise<Outcome | string>): Promise<Outcome> {
  const u = await c.services.users.get(c.params.id!);
  // Held globally or on this one user (object permissions), as the admin API asks.
  if (permission) await c.services.access.requireOn(c.auth.ctx.actor, permission, { type: 'user', id: u.id });
  try {
    const r = await fn(u);
    return typeof r === 'string' ? redirect(userUrl(u.id, tab), { text: r }) : r;
  } catch (e) {
    if (!isDirgateError(e) || (e instanceof NotFound && e.message.includes(u.id))) throw e;
    const { status, text } = describeError(e);
    return renderUser(c, u.id, tab, { message: { text, error: true }, status });
  }
}

const client = (c: PageContext) => ({ clientIp: c.req.ip ?? null, userAgent: c.req.get('user-agent') ?? null });
const actor = (c: PageContext) => c.auth.ctx.actor;

/** A group or role given by name or id (the admin API accepts both). */
async function groupId(c: PageContext, ref: string): Promise<string> {
  const byName = await c.services.groups.findByName(ref);
  return byName ? byName.id : (await c.services.groups.get(ref)).id;
}

async function roleId(c: PageContext, ref: string): Promise<string> {
  const byName = await c.services.roles.findByName(ref);
  return byName ? byName.id : (await c.services.roles.get(ref)).id;
}

export const deactivateUser = (c: PageContext) => act(c, 'user.change', 'overview', async (u) => {
  await c.services.users.update(u.id, { isActive: false }, actor(c));
  const self = u.id === c.auth.ctx.user.id;
  return redirect(self ? '/admin/login' : userUrl(u.id), { text: `User ${u.username} deactivated: sessions ended, every door closed.` }, self);
});

export const activateUser = (c: PageContext) => act(c, 'user.change', 'overview', async (u) => {
  await c.services.users.update(u.id, { isActive: true }, actor(c));
  return `User ${u.username} activated.`;
});

export const deleteUser = (c: PageContext) => act(c, 'user.delete', 'overview', async (u) => {
  await c.services.users.delete(u.id, actor(c));
  const self = u.id === c.auth.ctx.user.id;
  return redirect(self ? '/admin/login' : '/admin/users', { text: `User ${u.username} deleted.` }, self);
});

export const setUserPassword = (c: PageContext) => act(c, 'user.set_password', 'overview', async (u) => {
  await c.services.users.setPassword(u.id, field(c.body, 'password'), actor(c));
  return `Password of ${u.username} set; the user's other sessions ended.`;
});

/** The link is rendered in this answer only (never stored, never in a redirect or the flash cookie). */
export const createRecoveryLink = (c: PageContext) => act(c, 'user.recovery', 'overview', async (u) => {
  const link = await c.services.recovery.createLink(u.id, actor(c));
  const once = <OneTimeValue label="Recovery link" value={link.link} note={`Shown once. It works once, until ${link.expires.toISOString()}; older links of ${u.username} no longer work.`} />;
  return renderUser(c, u.id, 'overview', { oneTime: once, message: { text: `Recovery link for ${u.username} created; copy it now, it is shown once.` } });
});

export const emailRecoveryLink = (c: PageContext) => act(c, 'user.recovery', 'overview', async (u) => {
  const sent = await c.services.recovery.sendEmail(u.id, actor(c));
  return `Recovery link sent to ${sent.to}.`;
});

/** Starts impersonating: the console's cookie becomes the impersonation session; the admin's own is kept aside. */
export const impersonateUser = (c: PageContext) => act(c, null, 'overview', async (u) => {
  const r = await c.services.impersonation.start(c.auth.ctx, u.id, field(c.body, 'reason'), client(c));
  const secure = secureCookies(c.services);
  const maxAge = Math.max(1, Math.floor((r.expires.getTime() - Date.now()) / 1000));
  setCookie(c.res, ORIGINAL_COOKIE, c.auth.token, { secure, maxAge });
  setCookie(c.res, SESSION_COOKIE, r.token, { secure, maxAge });
  return redirect('/admin/users', { text: `You are now acting as ${u.username}.` }, true);
});

export const deleteSessions = (c: PageContext) => act(c, null, 'sessions', async (u) => {
  if (u.id !== c.auth.ctx.user.id) await requirePermission(c, 'user.change');
  const ids = fieldList(c.body, 'ids');
  if (ids.length === 0) return redirect(userUrl(u.id, 'sessions'), { text: 'No session selected.', error: true });
  const n = await c.services.auth.revokeSessions(u.id, ids, actor(c));
  return `${n} session${n === 1 ? '' : 's'} of ${u.username} ended.`;
});

export const addToGroup = (c: PageContext) => act(c, 'group.change', 'groups', async (u) => {
  const g = await c.services.groups.changeMembers(await groupId(c, field(c.body, 'group')), { addUsers: [u.id] }, actor(c));
  return `${u.username} added to ${g.name}.`;
});

export const addToNewGroup = (c: PageContext) => act(c, 'group.add', 'groups', async (u) => {
  const g = await c.services.units.run(async (unit) => {
    const created = await c.services.groups.create({ name: field(c.body, 'name') }, actor(c), { unit });
    return c.services.groups.changeMembers(created.id, { addUsers: [u.id] }, actor(c), { unit });
  });
  return `Group ${g.name} created with ${u.username} in it.`;
});

export const removeFromGroup = (c: PageContext) => act(c, 'group.change', 'groups', async (u) => {
  const g = await c.services.groups.changeMembers(field(c.body, 'group'), { removeUsers: [u.id] }, actor(c));
  return `${u.username} removed from ${g.name}.`;
});

export const addRole = (c: PageContext) => act(c, 'role.assign', 'roles', async (u) => {
  const id = await roleId(c, field(c.body, 'role'));
  await c.services.roles.assign({ userId: u.id }, id, true, actor(c));
  return `Role ${(await c.services.roles.get(id)).name} given to ${u.username}.`;
});

export const removeRole = (c: PageContext) => act(c, 'role.assign', 'roles', async (u) => {
  const id = field(c.body, 'role');
  await c.services.roles.assign({ userId: u.id }, id, false, actor(c));
  return `Role ${(await c.services.roles.get(id)).name} taken from ${u.username}.`;
});

const TAB_OF: Record<ArtifactKind, string> = { consents: 'consents', oauth_refresh_tokens: 'tokens', mfa_authenticators: 'mfa' };

export const deleteArtifact = (c: PageContext) => {
  const kind = c.params.kind as ArtifactKind;
  if (!(kind in TAB_OF)) throw new NotFound(`no such list: ${kind}`);
  return act(c, 'user.change', TAB_OF[kind], async (u) => {
    const n = await c.services.artifacts.delete(kind, u.id, [field(c.body, 'item')], actor(c));
    return `${n} deleted.`;
  });
};
