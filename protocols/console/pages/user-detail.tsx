import type { VNode } from 'preact';
import type { User } from '../../../src/domain/types.js';
import { field, page, type PageContext, type PageOutcome } from '../context.js';
import type { Message } from '../render.js';
import { Tabs, type TabSpec } from '../tabs.js';
import { Overview } from './user-overview.js';
import { ArtifactsTab, EventsTab, GroupsTab, RolesTab, SessionsTab } from './user-tabs.js';

/** The seed's tabs, in its order; the URL's `?tab=` names one (DESIGN.md). */
export const USER_TABS: readonly TabSpec[] = [
  { key: 'overview', label: 'Overview' },
  { key: 'sessions', label: 'Sessions' },
  { key: 'groups', label: 'Groups' },
  { key: 'events', label: 'User events' },
  { key: 'consents', label: 'Explicit consent' },
  { key: 'tokens', label: 'OAuth Refresh Tokens' },
  { key: 'mfa', label: 'MFA Authenticators' },
  { key: 'roles', label: 'Roles' },
];

export const userUrl = (id: string, tab = 'overview', extra = '') => `/admin/users/${id}${tab === 'overview' ? '' : `?tab=${tab}`}${extra ? `${tab === 'overview' ? '?' : '&'}${extra}` : ''}`;

async function tabBody(c: PageContext, user: User, tab: string, oneTime?: VNode): Promise<VNode> {
  switch (tab) {
    case 'sessions': return SessionsTab(c, user);
    case 'groups': return GroupsTab(c, user);
    case 'events': return EventsTab(c, user);
    case 'consents': return ArtifactsTab(c, user, 'consents');
    case 'tokens': return ArtifactsTab(c, user, 'oauth_refresh_tokens');
    case 'mfa': return ArtifactsTab(c, user, 'mfa_authenticators');
    case 'roles': return RolesTab(c, user);
    default: return Overview(c, user, oneTime);
  }
}

/** The detail page of one user; `oneTime` is a show-once value (a recovery link) rendered in this answer only. */
export async function renderUser(c: PageContext, id: string, tab: string, opts: { oneTime?: VNode; message?: Message; status?: number } = {}): Promise<PageOutcome> {
  const user = await c.services.users.get(id);
  await c.services.access.requireOn(c.auth.ctx.actor, 'user.view', { type: 'user', id: user.id });
  const known = USER_TABS.some((t) => t.key === tab) ? tab : 'overview';
  const body = (
    <section class="user-detail">
      <p class="crumbs"><a href="/admin/users">Users</a> › {user.path}</p>
      <h1>{user.username}{user.isActive ? null : <span class="badge"> (deactivated)</span>}</h1>
      <Tabs tabs={USER_TABS} current={known} href={(k) => userUrl(user.id, k)} label="User">
        {await tabBody(c, user, known, opts.oneTime)}
      </Tabs>
    </section>
  );
  return page({ title: user.username, section: '/admin/users', body, message: opts.message, ...(opts.status ? { status: opts.status } : {}) });
}

/** GET /admin/users/:id?tab= */
export async function userPage(c: PageContext): Promise<PageOutcome> {
  return renderUser(c, c.params.id!, field(c.query, 'tab') || 'overview');
}
