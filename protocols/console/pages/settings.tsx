import { isDirgateError } from '../../../src/domain/errors.js';
import { field, may, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { describeError, fieldErrors } from '../errors.js';
import { Csrf } from '../layout.js';

const LABELS: Record<string, string> = {
  impersonation: 'Impersonation allowed',
  'impersonation.enabled': 'Impersonation allowed',
  impersonation_require_reason: 'Require a reason to impersonate',
  'impersonation.require_reason': 'Require a reason to impersonate',
  unique_email: 'Email addresses must be unique',
  'users.unique_email': 'Email addresses must be unique',
  password_min_length: 'Minimum password length',
  'password.min_length': 'Minimum password length',
  'recovery.self_service': 'Self-service recovery at /recovery',
};

const label = (k: string) => LABELS[k] ?? k;
const idOf = (k: string) => `set-${k.replace(/[^a-z0-9]/gi, '-')}`;

/** GET /admin/settings: every setting the service knows, typed by its current value. */
export async function settingsPage(c: PageContext, errors: Record<string, string> = {}, message?: { text: string; error?: boolean }): Promise<Outcome> {
  const current = (await c.services.settings.get()) as unknown as Record<string, unknown>;
  const editable = may(c, 'settings.change');
  const body = (
    <section>
      <h1>Settings</h1>
      <form method="post" action="/admin/settings" hx-post="/admin/settings" hx-target="#main" class="form">
        <Csrf token={c.auth.csrf} />
        {Object.entries(current).map(([k, v]) => (
          <div key={k} class={typeof v === 'boolean' ? 'field field-check' : 'field'}>
            {typeof v === 'boolean' ? (
              <>
                <input type="hidden" name={`${k}__present`} value="1" />
                <input id={idOf(k)} type="checkbox" name={k} value="true" checked={v} disabled={!editable} />
                <label for={idOf(k)}>{label(k)}</label>
              </>
            ) : (
              <>
                <label for={idOf(k)}>{label(k)}</label>
                {typeof v === 'number'
                  ? <input id={idOf(k)} type="number" name={k} value={String(v)} disabled={!editable} {...(errors[k] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${idOf(k)}-error` } : {})} />
                  : <input id={idOf(k)} name={k} value={String(v)} disabled={!editable} {...(errors[k] ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${idOf(k)}-error` } : {})} />}
              </>
            )}
            {errors[k] ? <p id={`${idOf(k)}-error`} class="field-error">{errors[k]}</p> : null}
          </div>
        ))}
        {editable ? <div class="buttons"><button type="submit" class="btn btn-primary">Save settings</button></div> : <p class="help">You may read the settings; changing them needs settings.change.</p>}
      </form>
    </section>
  );
  return page({ title: 'Settings', section: '/admin/settings', body, message, ...(message?.error ? { status: 422 } : {}) });
}

/** POST /admin/settings: only the changed keys go to the service (its validation, its event). */
export async function saveSettings(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'settings.change');
  const current = (await c.services.settings.get()) as unknown as Record<string, unknown>;
  const patch: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(current)) {
    if (typeof v === 'boolean') {
      if (field(c.body, `${k}__present`) !== '1') continue;
      const next = field(c.body, k) === 'true';
      if (next !== v) patch[k] = next;
    } else if (typeof v === 'number') {
      const raw = field(c.body, k);
      if (raw !== '' && Number(raw) !== v) patch[k] = Number(raw);
    } else {
      const raw = field(c.body, k);
      if (raw !== String(v)) patch[k] = raw;
    }
  }
  if (Object.keys(patch).length === 0) return redirect('/admin/settings', { text: 'Nothing changed.' });
  try {
    await c.services.settings.update(patch, c.auth.ctx.actor);
    return redirect('/admin/settings', { text: `Saved: ${Object.keys(patch).map(label).join(', ')}.` });
  } catch (e) {
    if (!isDirgateError(e)) throw e;
    return settingsPage(c, fieldErrors(e), { text: describeError(e).text, error: true });
  }
}
