import type { VNode } from 'preact';
import { stringify as toYaml } from 'yaml';
import type { User } from '../../../src/domain/types.js';
import { may, type PageContext } from '../context.js';
import { DialogButton, PostButton } from '../dialog.js';
import { USER_TYPE_LABELS, when, yesNo } from '../format.js';

const base = (u: User) => `/admin/users/${u.id}`;

/** Why Email recovery link cannot be used, or undefined when it can. */
function emailBlocked(c: PageContext, u: User): string | undefined {
  if (!c.services.mail.enabled) return 'Email is off: no SMTP server is configured (DIRGATE_SMTP_URL).';
  if (!u.email) return 'The user has no email address.';
  return undefined;
}

async function impersonationSettings(c: PageContext): Promise<{ enabled: boolean; requireReason: boolean }> {
  const s = (await c.services.settings.get()) as unknown as Record<string, unknown>;
  const pick = (...keys: string[]) => keys.map((k) => s[k]).find((v) => typeof v === 'boolean') as boolean | undefined;
  return {
    enabled: pick('impersonation.enabled', 'impersonation') ?? true,
    requireReason: pick('impersonation.require_reason', 'impersonation_require_reason') ?? true,
  };
}

/** Only what the signed-in user may do is offered (the server refuses the rest anyway). */
function Actions({ c, u, imp }: { c: PageContext; u: User; imp: { enabled: boolean; requireReason: boolean } }): VNode {
  const csrf = c.auth.csrf;
  const self = c.auth.ctx.user.id === u.id;
  return (
    <div class="actions" role="group" aria-label="Actions">
      {may(c, 'user.change') ? (
        <form method="get" action={`${base(u)}/edit`} hx-get={`${base(u)}/edit`} hx-target="#main" hx-push-url="true" class="inline">
          <button type="submit" class="btn">Edit</button>
        </form>
      ) : null}
      {may(c, 'user.change') ? (u.isActive ? (
        <DialogButton id="deactivate-dialog" label="Deactivate" title={`Deactivate ${u.username}?`} action={`${base(u)}/deactivate`} csrf={csrf} submit="Deactivate" danger>
          <p>Every session of {u.username} ends now, and every door (LDAP, SCIM, the API, this console) refuses the account until it is activated again.</p>
          {self ? <p class="warn" role="note">This is your own account: you will be signed out.</p> : null}
        </DialogButton>
      ) : (
        <PostButton action={`${base(u)}/activate`} label="Activate" csrf={csrf} />
      )) : null}
      {may(c, 'user.impersonate') && !self && !c.auth.ctx.impersonator ? (
        <DialogButton id="impersonate-dialog" label="Impersonate" title={`Impersonate ${u.username}`} action={`${base(u)}/impersonate`} csrf={csrf} submit="Impersonate"
          disabledReason={!imp.enabled ? 'Impersonation is turned off in Settings.' : !u.isActive ? 'The user is deactivated.' : undefined}>
          <div class="field">
            <label for="imp-reason">Reason</label>
            <textarea id="imp-reason" name="reason" rows={3} required={imp.requireReason} maxLength={1000} />
          </div>
          <p class="help">{imp.requireReason ? 'A reason is required; it is recorded with every event made while impersonating.' : 'Recorded with every event made while impersonating.'}</p>
        </DialogButton>
      ) : null}
      {may(c, 'user.set_password') ? (
        <DialogButton id="password-dialog" label="Reset password" title={`Set a new password for ${u.username}`} action={`${base(u)}/password`} csrf={csrf} submit="Set password">
          <div class="field">
            <label for="new-password">New password</label>
            <input id="new-password" name="password" type="password" autocomplete="new-password" required />
          </div>
          <p class="help">The user's other sessions end.</p>
        </DialogButton>
      ) : null}
      {may(c, 'user.recovery') ? <PostButton action={`${base(u)}/recovery`} label="Create recovery link" csrf={csrf} /> : null}
      {may(c, 'user.recovery') ? (() => {
        const why = emailBlocked(c, u);
        return why ? (
          <span class="disabled-action">
            <button type="button" class="btn" disabled aria-describedby="email-why">Email recovery link</button>
            <span id="email-why" class="help">{why}</span>
          </span>
        ) : <PostButton action={`${base(u)}/recovery-email`} label="Email recovery link" csrf={csrf} />;
      })() : null}
      {may(c, 'user.delete') ? (
        <DialogButton id="delete-dialog" label="Delete" title={`Delete ${u.username}?`} action={`${base(u)}/delete`} csrf={csrf} submit="Delete" danger>
          <p>The user {u.username}, its sessions, tokens and memberships go. This cannot be undone.</p>
          {self ? <p class="warn" role="note">This is your own account.</p> : null}
        </DialogButton>
      ) : null}
    </div>
  );
}

/** A show-once value (a recovery link) with Copy; rendered only in the answer that made it. */
export function OneTimeValue({ label, value, note }: { label: string; value: string; note: string }): VNode {
  return (
    <div class="once-box" role="region" aria-label={label}>
      <label for="once-value">{label}</label>
      <div class="once">
        <input id="once-value" readOnly value={value} />
        <button type="button" class="btn" data-copy="once-value">Copy</button>
      </div>
      <p class="help">{note}</p>
    </div>
  );
}

export async function Overview(c: PageContext, u: User, oneTime?: VNode): Promise<VNode> {
  const attrs = Object.keys(u.attributes).length ? toYaml(u.attributes).trimEnd() : '';
  // preact renders synchronously: everything async is read before the tree is built.
  const imp = await impersonationSettings(c);
  // Buttons follow what the caller holds globally or on this one user (object permissions).
  const held = new Set<string>();
  for (const p of ['user.change', 'user.delete', 'user.set_password', 'user.recovery', 'user.impersonate'] as const) {
    if (await c.services.access.holdsOn(c.auth.ctx.user.id, p, { type: 'user', id: u.id })) held.add(p);
  }
  const cu: PageContext = { ...c, auth: { ...c.auth, permissions: new Set([...c.auth.permissions, ...held]) } };
  return (
    <div class="overview">
      {oneTime ?? null}
      <Actions c={cu} u={u} imp={imp} />
      <h2>User info</h2>
      <dl class="facts">
        <dt>Username</dt><dd>{u.username}</dd>
        <dt>Name</dt><dd>{u.name || '—'}</dd>
        <dt>Email</dt><dd>{u.email ?? '—'}</dd>
        <dt>Path</dt><dd>{u.path}</dd>
        <dt>User type</dt><dd>{USER_TYPE_LABELS[u.type] ?? u.type}</dd>
        <dt>Active</dt><dd>{yesNo(u.isActive)}</dd>
        <dt>Last login</dt><dd>{when(u.lastLogin)}</dd>
        <dt>Date joined</dt><dd>{when(u.createdAt)}</dd>
        <dt>Password set</dt><dd>{u.passwordChangedAt ? when(u.passwordChangedAt) : u.hasPassword ? 'Yes' : 'No password'}</dd>
        <dt>Id</dt><dd><code>{u.id}</code></dd>
      </dl>
      <h2>Attributes</h2>
      {attrs ? <pre class="code">{attrs}</pre> : <p>None.</p>}
    </div>
  );
}
