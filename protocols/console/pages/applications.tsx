import { isDirgateError } from '../../../src/domain/errors.js';
import type { Services } from '../../../src/services/index.js';
import { field, may, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { DialogButton, PostButton } from '../dialog.js';
import { describeError } from '../errors.js';
import { Csrf } from '../layout.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';

type Application = Awaited<ReturnType<Services['access']['getApplication']>>;
type Binding = Awaited<ReturnType<Services['access']['listBindings']>>[number];

/** GET /admin/applications */
export async function applicationsPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'application.view');
  const s = listState(c.query, [], '');
  const { applications, count } = await c.services.access.listApplications({ limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
  const list = (
    <List<Application>
      id="apps-list" label="Applications" noun="applications" base="/admin/applications" state={s} rows={applications} total={count}
      columns={[
        { label: 'Name', cell: (a) => <a href={`/admin/applications/${a.slug}`}>{a.name}</a> },
        { label: 'Slug', cell: (a) => <code>{a.slug}</code> },
        { label: 'Launch URL', cell: (a) => a.launchUrl ?? '—' },
      ]}
      empty="No applications."
    />
  );
  const body = (
    <section>
      <div class="page-head">
        <h1>Applications</h1>
        <div class="actions">
          {may(c, 'application.change') ? (
            <DialogButton id="new-app" label="New Application" title="New Application" action="/admin/applications/new" csrf={c.auth.csrf} submit="Create Application">
              <div class="field"><label for="na-name">Name</label><input id="na-name" name="name" required autocomplete="off" /></div>
              <div class="field"><label for="na-slug">Slug</label><input id="na-slug" name="slug" required autocomplete="off" pattern="[a-z0-9][a-z0-9_\-]*" /></div>
            </DialogButton>
          ) : null}
        </div>
      </div>
      {list}
    </section>
  );
  return page({ title: 'Applications', section: '/admin/applications', body, fragments: { 'apps-list': list } });
}

export async function createApplication(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'application.change');
  const a = await c.services.access.createApplication({ name: field(c.body, 'name'), slug: field(c.body, 'slug') }, c.auth.ctx.actor);
  return redirect(`/admin/applications/${a.slug}`, { text: `Application ${a.name} created.` });
}

/** GET /admin/applications/:slug: policy bindings (authentik's rule) and "check access" for a user. */
export async function applicationPage(c: PageContext, extra: { message?: { text: string; error?: boolean }; check?: { user: string; passing: boolean; messages: string[] } } = {}): Promise<Outcome> {
  await requirePermission(c, 'application.view');
  const app = await c.services.access.getApplication(c.params.slug!);
  const bindings = await c.services.access.listBindings(app.slug);
  const users = new Map((await c.services.users.getMany(bindings.map((b) => b.userId).filter((x): x is string => !!x))).map((u) => [u.id, u.username]));
  const groups = new Map((await c.services.groups.getMany(bindings.map((b) => b.groupId).filter((x): x is string => !!x))).map((g) => [g.id, g.name]));
  const base = `/admin/applications/${app.slug}`;
  const s = listState(c.query, [], '');
  const body = (
    <section>
      <p class="crumbs"><a href="/admin/applications">Applications</a></p>
      <h1>{app.name}</h1>
      <div class="actions">
        {may(c, 'application.change') ? (
          <DialogButton id="new-binding" label="Bind a user or group" title="New policy binding" action={`${base}/bindings/new`} csrf={c.auth.csrf} submit="Bind">
            <div class="field"><label for="nb-user">User</label><input id="nb-user" name="user" autocomplete="off" /></div>
            <div class="field"><label for="nb-group">Group</label><input id="nb-group" name="group" autocomplete="off" /></div>
            <p class="help">Give a username or a group name (one of them).</p>
            <div class="field"><label for="nb-order">Order</label><input id="nb-order" name="order" type="number" value="0" /></div>
            <div class="field field-check"><input id="nb-negate" name="negate" type="checkbox" value="true" /><label for="nb-negate">Negate</label></div>
          </DialogButton>
        ) : null}
      </div>
      <h2>Bindings</h2>
      <List<Binding>
        swapMain id="bindings-list" label="Bindings" noun="bindings" base={base} state={s} rows={bindings} total={bindings.length}
        columns={[
          { label: 'Order', cell: (b) => b.order },
          { label: 'Binds', cell: (b) => (b.userId ? `user ${users.get(b.userId) ?? b.userId}` : `group ${groups.get(b.groupId!) ?? b.groupId}`) },
          { label: 'Enabled', cell: (b) => (b.enabled ? 'Yes' : 'No') },
          { label: 'Negate', cell: (b) => (b.negate ? 'Yes' : 'No') },
          ...(may(c, 'application.change') ? [{ label: 'Actions', cell: (b: Binding) => <PostButton action={`${base}/bindings/${b.id}/delete`} label="Delete binding" csrf={c.auth.csrf} danger /> }] : []),
        ]}
        empty="No bindings: the application is open to every active user."
      />
      <h2>Check access</h2>
      <form method="post" action={`${base}/check`} hx-post={`${base}/check`} hx-target="#main" class="search">
        <Csrf token={c.auth.csrf} />
        <label for="ca-user">User to check</label>
        <input id="ca-user" name="user" required autocomplete="off" value={extra.check?.user ?? ''} />
        <button type="submit" class="btn">Check access</button>
      </form>
      {extra.check ? (
        <p class={extra.check.passing ? 'msg msg-ok' : 'msg msg-error'}>
          {extra.check.passing ? `${extra.check.user} may use ${app.name}.` : `${extra.check.user} may not use ${app.name}: ${extra.check.messages.join('; ')}`}
        </p>
      ) : null}
    </section>
  );
  return page({ title: app.name, section: '/admin/applications', body, message: extra.message, ...(extra.message?.error ? { status: 422 } : {}) });
}

async function appAct(c: PageContext, fn: () => Promise<string>): Promise<Outcome> {
  await requirePermission(c, 'application.change');
  try {
    return redirect(`/admin/applications/${c.params.slug}`, { text: await fn() });
  } catch (e) {
    if (!isDirgateError(e)) throw e;
    return applicationPage(c, { message: { text: describeError(e).text, error: true } });
  }
}

export const createBinding = (c: PageContext) => appAct(c, async () => {
  const user = field(c.body, 'user').trim(), group = field(c.body, 'group').trim();
  const input: Record<string, unknown> = { order: Number(field(c.body, 'order') || '0'), negate: field(c.body, 'negate') === 'true' };
  if (user) input.user = (await c.services.users.resolve(user)).id;
  if (group) input.group = (await c.services.groups.resolve(group)).id;
  await c.services.access.createBinding(c.params.slug!, input, c.auth.ctx.actor);
  return 'Binding created.';
});

export const deleteBinding = (c: PageContext) => appAct(c, async () => {
  await c.services.access.deleteBinding(c.params.binding!, c.auth.ctx.actor);
  return 'Binding deleted.';
});

export async function checkAccess(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'application.view');
  try {
    const u = await c.services.users.resolve(field(c.body, 'user'));
    const r = await c.services.access.checkAccess(c.params.slug!, u.id);
    return applicationPage(c, { check: { user: u.username, ...r }, message: { text: r.passing ? `${u.username} passes.` : `${u.username} does not pass.` } });
  } catch (e) {
    if (!isDirgateError(e)) throw e;
    return applicationPage(c, { message: { text: describeError(e).text, error: true } });
  }
}
