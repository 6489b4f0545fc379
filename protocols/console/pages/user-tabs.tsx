import type { VNode } from 'preact';
import type { Group, Session, User } from '../../../src/domain/types.js';
import type { HeldRole } from '../../../src/services/access.js';
import type { Services } from '../../../src/services/index.js';
import { may, requirePermission, type PageContext } from '../context.js';
import { DialogButton, PostButton } from '../dialog.js';
import { when } from '../format.js';
import { Csrf } from '../layout.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';

export type ArtifactKind = Parameters<Services['artifacts']['delete']>[0];

const base = (u: User) => `/admin/users/${u.id}`;

/** A list held in memory (a user's sessions, groups, roles: small by nature), paged by the list component. */
function slice<T>(c: PageContext, all: readonly T[]) {
  const s = listState(c.query, ['tab'], '');
  const rows = all.slice((s.page - 1) * s.pageSize, s.page * s.pageSize);
  return { s, rows };
}

export async function SessionsTab(c: PageContext, u: User): Promise<VNode> {
  const sessions = await c.services.auth.sessionsOf(u.id);
  const { s, rows } = slice(c, sessions);
  const current = c.auth.ctx.session?.id;
  const canEnd = may(c, 'user.change') || c.auth.ctx.user.id === u.id;
  return (
    <div>
      {canEnd && sessions.length > 0 ? (
        <form id="sessions-form" method="post" action={`${base(u)}/sessions/delete`} hx-post={`${base(u)}/sessions/delete`} hx-target="#main" class="toolbar">
          <Csrf token={c.auth.csrf} />
          <button type="submit" class="btn btn-danger">Delete selected sessions</button>
        </form>
      ) : null}
      <List<Session>
        swapMain id="sessions-list" label="Sessions" noun="sessions" base={base(u)} state={s} rows={rows} total={sessions.length}
        select={canEnd ? { form: 'sessions-form', value: (x) => x.id, label: (x) => `Select session from ${when(x.createdAt)}` } : undefined}
        columns={[
          { label: 'Started', cell: (x) => when(x.createdAt) },
          { label: 'Last used', cell: (x) => when(x.lastUsedAt) },
          { label: 'Expires', cell: (x) => when(x.expiresAt) },
          { label: 'Client', cell: (x) => `${x.clientIp ?? ''} ${x.userAgent ?? ''}`.trim() || '—' },
          { label: 'Note', cell: (x) => [x.id === current ? 'this session' : '', x.impersonatorId ? `impersonation: ${x.impersonationReason ?? 'no reason'}` : ''].filter(Boolean).join('; ') },
        ]}
        empty="No sessions."
      />
    </div>
  );
}

export async function GroupsTab(c: PageContext, u: User): Promise<VNode> {
  const groups = [...((await c.services.users.groupsOf([u.id])).get(u.id) ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  const { s, rows } = slice(c, groups);
  const csrf = c.auth.csrf;
  return (
    <div>
      <div class="actions">
        {may(c, 'group.change') ? (
          <DialogButton id="add-group-dialog" label="Add to existing group" title={`Add ${u.username} to a group`} action={`${base(u)}/groups/add`} csrf={csrf} submit="Add">
            <div class="field">
              <label for="add-group-name">Group</label>
              <input id="add-group-name" name="group" required autocomplete="off" list="group-names" />
            </div>
            <p class="help">A group name or id.</p>
          </DialogButton>
        ) : null}
        {may(c, 'group.add') ? (
          <DialogButton id="new-group-dialog" label="Add new group" title={`Create a group with ${u.username} in it`} action={`${base(u)}/groups/create`} csrf={csrf} submit="Create group">
            <div class="field">
              <label for="new-group-name">Group name</label>
              <input id="new-group-name" name="name" required autocomplete="off" />
            </div>
          </DialogButton>
        ) : null}
      </div>
      <List<Group>
        swapMain id="user-groups-list" label="Groups" noun="groups" base={base(u)} state={s} rows={rows} total={groups.length}
        columns={[
          { label: 'Name', cell: (g) => <a href={`/admin/groups/${g.id}`}>{g.name}</a> },
          { label: 'Superuser', cell: (g) => (g.isSuperuser ? 'Yes' : 'No') },
          ...(may(c, 'group.change') ? [{ label: 'Actions', cell: (g: Group) => <PostButton action={`${base(u)}/groups/remove`} name="group" value={g.id} label={`Remove from ${g.name}`} csrf={csrf} /> }] : []),
        ]}
        empty="Not a member of any group."
      />
    </div>
  );
}

export async function EventsTab(c: PageContext, u: User): Promise<VNode> {
  await requirePermission(c, 'event.view');
  const s = listState(c.query, ['tab'], '');
  const { events, count } = await c.services.events.list({ userId: u.id, limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
  return (
    <List
      swapMain id="user-events-list" label="User events" noun="events" base={base(u)} state={{ ...s, extra: { tab: 'events' } }} rows={events} total={count}
      columns={[
        { label: 'When', cell: (e) => when(e.createdAt) },
        { label: 'Action', cell: (e) => e.action },
        { label: 'By', cell: (e) => (e.impersonatorUsername ? `${e.actorUsername ?? ''} (impersonated by ${e.impersonatorUsername})` : e.actorUsername ?? 'system') },
        { label: 'Client', cell: (e) => e.clientIp ?? '' },
        { label: 'Details', cell: (e) => JSON.stringify(e.context) },
      ]}
      empty="No events."
    />
  );
}

const ARTIFACT_LABELS: Record<ArtifactKind, { noun: string; label: string }> = {
  consents: { noun: 'consents', label: 'Explicit consent' },
  oauth_refresh_tokens: { noun: 'refresh tokens', label: 'OAuth Refresh Tokens' },
  mfa_authenticators: { noun: 'authenticators', label: 'MFA Authenticators' },
};

interface ArtifactRow { id: string; what: string; detail: string; created: Date; expires: Date | null }

async function artifactRows(c: PageContext, u: User, kind: ArtifactKind): Promise<ArtifactRow[]> {
  const a = c.services.artifacts;
  if (kind === 'consents') return (await a.consentsOf(u.id)).map((x) => ({ id: x.id, what: x.application?.name ?? '—', detail: x.permissions, created: x.createdAt, expires: x.expiresAt }));
  if (kind === 'oauth_refresh_tokens') return (await a.refreshTokensOf(u.id)).map((x) => ({ id: x.id, what: x.application?.name ?? '—', detail: `${x.scope}${x.revoked ? ' (revoked)' : ''}`, created: x.createdAt, expires: x.expiresAt }));
  return (await a.mfaAuthenticatorsOf(u.id)).map((x) => ({ id: x.id, what: `${x.name} (${x.type})`, detail: x.confirmed ? `confirmed; last used ${when(x.lastUsedAt)}` : 'not confirmed', created: x.createdAt, expires: null }));
}

export async function ArtifactsTab(c: PageContext, u: User, kind: ArtifactKind): Promise<VNode> {
  const all = await artifactRows(c, u, kind);
  const { s, rows } = slice(c, all);
  const meta = ARTIFACT_LABELS[kind];
  return (
    <List<ArtifactRow>
      swapMain id={`${kind}-list`} label={meta.label} noun={meta.noun} base={base(u)} state={s} rows={rows} total={all.length}
      columns={[
        { label: kind === 'mfa_authenticators' ? 'Authenticator' : 'Application', cell: (r) => r.what },
        { label: kind === 'consents' ? 'Permissions' : kind === 'mfa_authenticators' ? 'State' : 'Scope', cell: (r) => r.detail },
        { label: 'Created', cell: (r) => when(r.created) },
        { label: 'Expires', cell: (r) => (r.expires ? when(r.expires) : '—') },
        ...(may(c, 'user.change') ? [{ label: 'Actions', cell: (r: ArtifactRow) => <PostButton action={`${base(u)}/artifacts/${kind}/delete`} name="item" value={r.id} label="Delete" csrf={c.auth.csrf} danger /> }] : []),
      ]}
      empty={`No ${meta.noun}.`}
    />
  );
}

export async function RolesTab(c: PageContext, u: User): Promise<VNode> {
  const all = c.query.roles === 'all';
  const held: HeldRole[] = await c.services.access.rolesOf(u.id, all);
  const { s, rows } = slice(c, held);
  const csrf = c.auth.csrf;
  const view = (which: 'assigned' | 'all') => `${base(u)}?tab=roles${which === 'all' ? '&roles=all' : ''}`;
  return (
    <div>
      <div class="actions">
        <nav aria-label="Which roles" class="subnav">
          <a href={view('assigned')} aria-current={!all ? 'page' : undefined} hx-get={view('assigned')} hx-target="#main" hx-push-url="true">Assigned Roles</a>
          <a href={view('all')} aria-current={all ? 'page' : undefined} hx-get={view('all')} hx-target="#main" hx-push-url="true">All Roles</a>
        </nav>
        {may(c, 'role.assign') ? (
          <DialogButton id="add-role-dialog" label="Add to existing role" title={`Give ${u.username} a role`} action={`${base(u)}/roles/add`} csrf={csrf} submit="Add">
            <div class="field">
              <label for="add-role-name">Role</label>
              <input id="add-role-name" name="role" required autocomplete="off" />
            </div>
            <p class="help">A role name or id.</p>
          </DialogButton>
        ) : null}
      </div>
      <List<HeldRole>
        swapMain id="user-roles-list" label={all ? 'All Roles' : 'Assigned Roles'} noun="roles" base={base(u)} state={{ ...s, extra: { tab: 'roles', ...(all ? { roles: 'all' } : {}) } }} rows={rows} total={held.length}
        columns={[
          { label: 'Role', cell: (h) => h.role.name },
          { label: 'Permissions', cell: (h) => h.role.permissions.join(', ') },
          { label: 'How', cell: (h) => (h.assigned ? 'Assigned' : `Inherited from group ${h.group?.name ?? '?'}`) },
          ...(may(c, 'role.assign') ? [{ label: 'Actions', cell: (h: HeldRole) => (h.assigned ? <PostButton action={`${base(u)}/roles/remove`} name="role" value={h.role.id} label={`Remove ${h.role.name}`} csrf={csrf} /> : null) }] : []),
        ]}
        empty="No roles."
      />
    </div>
  );
}

