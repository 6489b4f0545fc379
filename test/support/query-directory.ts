/**
 * Test support for the query engine: writes an `EvalDirectory` (the evaluator's plain shape)
 * into a migrated database, filling the `_ci` shadow columns as the store does.
 */
import type { Database } from '../../src/store/database.js';
import { userValueRows } from '../../src/store/user-values-store.js';
import type { EvalDirectory, EvalUser, EvalGroup } from '../../src/query/evaluate.js';

const TABLES = ['user_values', 'group_roles', 'user_roles', 'role_permissions', 'roles', 'group_members', 'group_parents', 'groups', 'users'];

function iso(d: EvalUser['created_at']): string | null {
  if (d === null || d === undefined) return null;
  return new Date(d instanceof Date ? d.getTime() : d).toISOString();
}

/** Deletes users, groups, roles and their links. */
export async function clearDirectory(db: Database): Promise<void> {
  for (const t of TABLES) await db.knex(t).delete();
}

/** Replaces the directory in `db` with `dir`. */
export async function writeDirectory(db: Database, dir: EvalDirectory): Promise<void> {
  await clearDirectory(db);
  const now = new Date(0).toISOString();
  const users = dir.users.map((u) => ({
    seq: u.seq, id: u.id, username: u.username, username_ci: u.username.toLowerCase(),
    name: u.name, name_ci: u.name.toLowerCase(), email: u.email, email_ci: u.email === null ? null : u.email.toLowerCase(),
    path: u.path, type: u.type, is_active: u.is_active, attributes: JSON.stringify(u.attributes),
    last_login: iso(u.last_login), external_id: u.external_id,
    created_at: iso(u.created_at) ?? now, updated_at: iso(u.updated_at) ?? now,
  }));
  const groups = dir.groups.map((g: EvalGroup) => ({
    seq: g.seq, id: g.id, name: g.name, name_ci: g.name.toLowerCase(), is_superuser: g.is_superuser,
    attributes: JSON.stringify(g.attributes), external_id: g.external_id,
    created_at: iso(g.created_at) ?? now, updated_at: iso(g.updated_at) ?? now,
  }));
  const roles = dir.roles.map((r) => ({ id: r.id, name: r.name, name_ci: r.name.toLowerCase(), created_at: now, updated_at: now }));
  const insert = async (table: string, rows: readonly object[]) => {
    if (rows.length) await db.knex(table).insert(rows);
  };
  await insert('users', users);
  // Derived as the store derives them on every write (src/domain/multi-valued.ts).
  const values = dir.users.flatMap((u) => userValueRows(u.id, u.email, u.attributes as Record<string, unknown>, db.dialect === 'pg'));
  for (let i = 0; i < values.length; i += 100) await insert('user_values', values.slice(i, i + 100));
  await insert('groups', groups);
  await insert('roles', roles);
  await insert('group_members', dir.members);
  await insert('group_parents', dir.parents);
  await insert('user_roles', dir.userRoles);
  await insert('group_roles', dir.groupRoles);
}
