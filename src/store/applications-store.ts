import { randomUUID } from 'node:crypto';
import { AlreadyExists } from '../domain/errors.js';
import { isUniqueViolation } from './database.js';
import { isUuid, nowIso, toBool, toDate, type Queryable } from './rows.js';

export interface Application {
  readonly id: string;
  readonly name: string;
  readonly slug: string;
  readonly launchUrl: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface PolicyBinding {
  readonly id: string;
  readonly applicationId: string;
  readonly userId: string | null;
  readonly groupId: string | null;
  readonly order: number;
  readonly enabled: boolean;
  readonly negate: boolean;
  readonly createdAt: Date;
}

function rowToApp(r: Record<string, unknown>): Application {
  return { id: String(r.id), name: String(r.name), slug: String(r.slug), launchUrl: (r.launch_url as string) ?? null,
    createdAt: toDate(r.created_at)!, updatedAt: toDate(r.updated_at)! };
}

function rowToBinding(r: Record<string, unknown>): PolicyBinding {
  return { id: String(r.id), applicationId: String(r.application_id), userId: (r.user_id as string) ?? null,
    groupId: (r.group_id as string) ?? null, order: Number(r.order), enabled: toBool(r.enabled), negate: toBool(r.negate),
    createdAt: toDate(r.created_at)! };
}

export async function insertApplication(q: Queryable, a: { name: string; slug: string; launchUrl?: string | null }): Promise<Application> {
  const id = randomUUID();
  const now = nowIso();
  try {
    await q('applications').insert({ id, name: a.name, slug: a.slug, launch_url: a.launchUrl ?? null, created_at: now, updated_at: now });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`an application with slug "${a.slug}" already exists`, 'slug');
    throw e;
  }
  return rowToApp((await q('applications').where({ id }).first())!);
}

export async function updateApplication(q: Queryable, id: string, a: { name?: string; slug?: string; launchUrl?: string | null }): Promise<Application> {
  const c: Record<string, unknown> = { updated_at: nowIso() };
  if (a.name !== undefined) c.name = a.name;
  if (a.slug !== undefined) c.slug = a.slug;
  if (a.launchUrl !== undefined) c.launch_url = a.launchUrl;
  try {
    await q('applications').where({ id }).update(c);
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`an application with slug "${a.slug}" already exists`, 'slug');
    throw e;
  }
  return rowToApp((await q('applications').where({ id }).first())!);
}

export async function deleteApplication(q: Queryable, id: string): Promise<boolean> {
  return (await q('applications').where({ id }).delete()) > 0;
}

export async function findApplicationBySlug(q: Queryable, slug: string): Promise<Application | null> {
  const row = await q('applications').where({ slug }).first();
  return row ? rowToApp(row) : null;
}

export async function listApplications(q: Queryable, opts: { limit: number; offset: number }): Promise<{ applications: Application[]; count: number }> {
  const countRow = await q('applications').count({ n: '*' }).first();
  const rows = await q('applications').orderBy('slug').limit(opts.limit).offset(opts.offset);
  return { applications: rows.map(rowToApp), count: Number(countRow?.n ?? 0) };
}

export async function insertBinding(q: Queryable, b: { applicationId: string; userId?: string | null; groupId?: string | null; order?: number; enabled?: boolean; negate?: boolean }): Promise<PolicyBinding> {
  const id = randomUUID();
  await q('policy_bindings').insert({
    id, application_id: b.applicationId, user_id: b.userId ?? null, group_id: b.groupId ?? null,
    order: b.order ?? 0, enabled: b.enabled ?? true, negate: b.negate ?? false, created_at: nowIso(),
  });
  return rowToBinding((await q('policy_bindings').where({ id }).first())!);
}

export async function updateBinding(q: Queryable, id: string, b: { order?: number; enabled?: boolean; negate?: boolean }): Promise<PolicyBinding | null> {
  if (!isUuid(id)) return null;
  const c: Record<string, unknown> = {};
  if (b.order !== undefined) c.order = b.order;
  if (b.enabled !== undefined) c.enabled = b.enabled;
  if (b.negate !== undefined) c.negate = b.negate;
  if (Object.keys(c).length > 0) await q('policy_bindings').where({ id }).update(c);
  const row = await q('policy_bindings').where({ id }).first();
  return row ? rowToBinding(row) : null;
}

export async function deleteBinding(q: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await q('policy_bindings').where({ id }).delete()) > 0;
}

export async function listBindings(q: Queryable, applicationId: string): Promise<PolicyBinding[]> {
  return (await q('policy_bindings').where({ application_id: applicationId }).orderBy('order').orderBy('created_at')).map(rowToBinding);
}
