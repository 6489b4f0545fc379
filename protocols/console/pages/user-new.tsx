import type { VNode } from 'preact';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { USER_TYPES } from '../../../src/domain/types.js';
import { field, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { fieldErrors } from '../errors.js';
import { USER_TYPE_LABELS } from '../format.js';
import { Csrf } from '../layout.js';

export interface Values {
  readonly username: string;
  readonly path: string;
  readonly name: string;
  readonly email: string;
  readonly isActive: boolean;
  readonly attributes: string;
  readonly type: string;
}

export type Errors = Readonly<Record<string, string>>;

/**
 * Attributes typed as YAML or JSON (JSON is YAML): a parse error names its line, so the
 * person sees where, next to the field.
 */
export function parseAttributes(text: string): { value: Record<string, unknown> } | { error: string } {
  if (text.trim() === '') return { value: {} };
  try {
    const v: unknown = parseYaml(text);
    if (v === null || v === undefined) return { value: {} };
    if (typeof v !== 'object' || Array.isArray(v)) return { error: 'must be a mapping of keys to values (YAML or a JSON object)' };
    return { value: v as Record<string, unknown> };
  } catch (e) {
    if (e instanceof YAMLParseError) {
      const line = e.linePos?.[0]?.line;
      const first = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      return { error: line ? `line ${line}: ${first}` : first };
    }
    return { error: (e as Error).message };
  }
}

function Field({ id, label, error, children }: { id: string; label: string; error?: string | undefined; children: VNode }): VNode {
  return (
    <div class={error ? 'field field-invalid' : 'field'}>
      <label for={id}>{label}</label>
      {children}
      {error ? <p id={`${id}-error`} class="field-error">{error}</p> : null}
    </div>
  );
}

const aria = (id: string, error: string | undefined) => (error ? { 'aria-invalid': 'true' as const, 'aria-describedby': `${id}-error` } : {});

export interface FormMode {
  readonly title: string;
  readonly action: string;
  readonly submit: string;
  readonly cancel: string;
}

const NEW_MODE: FormMode = { title: 'New User', action: '/admin/users/new', submit: 'Create User', cancel: '/admin/users' };

export function UserForm({ c, v, errors, mode = NEW_MODE }: { c: PageContext; v: Values; errors: Errors; mode?: FormMode }): VNode {
  return (
    <section class="form-page">
      <h1>{mode.title}</h1>
      <form method="post" action={mode.action} hx-post={mode.action} hx-target="#main" class="form" novalidate>
        <Csrf token={c.auth.csrf} />
        <Field id="nu-username" label="Username" error={errors.username}>
          <input id="nu-username" name="username" value={v.username} required autocomplete="off" {...aria('nu-username', errors.username)} />
        </Field>
        <Field id="nu-path" label="Path" error={errors.path}>
          <input id="nu-path" name="path" value={v.path} placeholder="users" {...aria('nu-path', errors.path)} />
        </Field>
        <Field id="nu-name" label="Name" error={errors.name}>
          <input id="nu-name" name="name" value={v.name} autocomplete="off" {...aria('nu-name', errors.name)} />
        </Field>
        <Field id="nu-email" label="Email" error={errors.email}>
          <input id="nu-email" name="email" type="email" value={v.email} autocomplete="off" {...aria('nu-email', errors.email)} />
        </Field>
        <div class="field field-check">
          <input id="nu-active" name="is_active" type="checkbox" value="true" checked={v.isActive} />
          <label for="nu-active">Is active</label>
        </div>
        <Field id="nu-type" label="User type" error={errors.type}>
          <select id="nu-type" name="type" {...aria('nu-type', errors.type)}>
            {USER_TYPES.map((t) => <option key={t} value={t} selected={t === v.type}>{USER_TYPE_LABELS[t]}</option>)}
          </select>
        </Field>
        <Field id="nu-attributes" label="Attributes" error={errors.attributes}>
          <textarea id="nu-attributes" name="attributes" rows={6} spellcheck={false} placeholder={'department: Sales\nemployee_number: 1234'} {...aria('nu-attributes', errors.attributes)}>{v.attributes}</textarea>
        </Field>
        <p class="help">Attributes: YAML or JSON.</p>
        <div class="buttons">
          <button type="submit" class="btn btn-primary">{mode.submit}</button>
          <a class="btn" href={mode.cancel}>Cancel</a>
        </div>
      </form>
    </section>
  );
}

export function valuesOf(body: Record<string, unknown>, defaults = false): Values {
  return {
    username: field(body, 'username'), path: field(body, 'path'), name: field(body, 'name'), email: field(body, 'email'),
    isActive: defaults ? true : field(body, 'is_active') === 'true', attributes: field(body, 'attributes'),
    type: field(body, 'type') || 'internal',
  };
}

/** GET /admin/users/new (Path pre-filled from the selected folder). */
export async function newUserPage(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'user.add');
  const v = { ...valuesOf({}, true), path: field(c.query, 'path') };
  return page({ title: 'New User', section: '/admin/users', body: <UserForm c={c} v={v} errors={{}} /> });
}

/** POST /admin/users/new: the same create as `POST /api/v1/users`; errors next to their fields. */
export async function createUser(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'user.add');
  const v = valuesOf(c.body);
  const again = (errors: Errors) => page({
    title: 'New User', section: '/admin/users', status: 422, body: <UserForm c={c} v={v} errors={errors} />,
    message: { text: `The user was not created: ${Object.entries(errors).map(([k, e]) => `${k}: ${e}`).join('; ')}`, error: true },
  });
  const attrs = parseAttributes(v.attributes);
  if ('error' in attrs) return again({ attributes: attrs.error });
  try {
    const user = await c.services.users.create({
      username: v.username, path: v.path || undefined, name: v.name, email: v.email || null, isActive: v.isActive,
      attributes: attrs.value, type: v.type,
    }, c.auth.ctx.actor);
    return redirect(`/admin/users?path=${encodeURIComponent(user.path)}`, { text: `User ${user.username} created in ${user.path}.` });
  } catch (e) {
    const errors = fieldErrors(e);
    if (Object.keys(errors).length === 0) throw e;
    return again(errors);
  }
}
