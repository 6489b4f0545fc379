import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import type { User, UserType, JsonObject } from '../domain/types.js';
import { AlreadyExists, NotFound, PreconditionFailed } from '../domain/errors.js';
import { perChunk } from './chunks.js';
import { isUniqueViolation } from './database.js';
import { writeUserValues } from './user-values-store.js';
import { fold, isUuid, jsonColumn, nowIso, rowToUser, type Queryable } from './rows.js';

/** The user columns the services may write. */
export interface UserWrite {
  username?: string;
  name?: string;
  email?: string | null;
  path?: string;
  type?: UserType;
  isActive?: boolean;
  attributes?: JsonObject;
  externalId?: string | null;
  passwordHash?: string | null;
  passwordMustChange?: boolean;
  lastLogin?: Date | null;
}

function columns(w: UserWrite): Record<string, unknown> {
  const c: Record<string, unknown> = {};
  if (w.username !== undefined) { c.username = w.username; c.username_ci = fold(w.username); }
  if (w.name !== undefined) { c.name = w.name; c.name_ci = fold(w.name); }
  if (w.email !== undefined) { c.email = w.email; c.email_ci = fold(w.email); }
  if (w.path !== undefined) c.path = w.path;
  if (w.type !== undefined) c.type = w.type;
  if (w.isActive !== undefined) c.is_active = w.isActive;
  if (w.attributes !== undefined) c.attributes = jsonColumn(w.attributes);
  if (w.externalId !== undefined) c.external_id = w.externalId;
  if (w.passwordHash !== undefined) {
    c.password_hash = w.passwordHash;
    c.password_changed_at = nowIso();
    // A new password ends any lockout, and the history of failures that led to it, and gets
    // its own grace logins (password.grace_logins) for when it expires in turn.
    c.failed_logins = 0;
    c.locked_until = null;
    c.grace_logins_used = 0;
  }
  if (w.passwordMustChange !== undefined) c.password_must_change = w.passwordMustChange;
  if (w.lastLogin !== undefined) c.last_login = w.lastLogin ? w.lastLogin.toISOString() : null;
  return c;
}

/** @throws AlreadyExists when the username (ignoring case) is taken. */
export async function insertUser(q: Queryable, w: UserWrite & { username: string }): Promise<User> {
  const now = nowIso();
  const id = randomUUID();
  try {
    await q('users').insert({
      id, name: '', name_ci: '', path: 'users', type: 'internal', is_active: true, attributes: '{}',
      ...columns(w), created_at: now, updated_at: now, version: 1,
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a user named "${w.username}" already exists`, 'username');
    throw e;
  }
  const user = (await findUserById(q, id))!;
  await writeUserValues(q, id, user.email, user.attributes);
  return user;
}

/**
 * Writes the given columns and bumps the version.
 * @throws NotFound, PreconditionFailed (ifVersion mismatch), AlreadyExists (username taken).
 */
export async function updateUser(q: Queryable, id: string, w: UserWrite, ifVersion?: number): Promise<User> {
  const cols = columns(w);
  let query = q('users').where({ id });
  if (ifVersion !== undefined) query = query.andWhere('version', ifVersion);
  let n: number;
  try {
    n = await query.update({ ...cols, updated_at: nowIso(), version: q.raw('version + 1') });
  } catch (e) {
    if (isUniqueViolation(e)) throw new AlreadyExists(`a user named "${w.username}" already exists`, 'username');
    throw e;
  }
  if (n === 0) {
    if (await findUserById(q, id)) throw new PreconditionFailed('the user was changed by someone else (version mismatch)');
    throw new NotFound(`no user with id ${id}`);
  }
  const user = (await findUserById(q, id))!;
  if (w.email !== undefined || w.attributes !== undefined) await writeUserValues(q, id, user.email, user.attributes);
  return user;
}

/**
 * Replaces a verified password's hash with a stronger one of the same password, only while the
 * row still holds `oldHash` (a concurrent change wins). Neither the version nor the change date moves.
 */
export async function replacePasswordHash(q: Queryable, id: string, oldHash: string, newHash: string): Promise<boolean> {
  return (await q('users').where({ id, password_hash: oldHash }).update({ password_hash: newHash })) > 0;
}

/** Sets last_login without touching the version (not a change of the record). */
export async function touchLastLogin(q: Queryable, id: string): Promise<void> {
  await q('users').where({ id }).update({ last_login: nowIso() });
}

export async function deleteUserRow(q: Queryable, id: string, ifVersion?: number): Promise<boolean> {
  let query = q('users').where({ id });
  if (ifVersion !== undefined) query = query.andWhere('version', ifVersion);
  return (await query.delete()) > 0;
}

export async function findUserById(q: Queryable, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  const row = await q('users').where({ id }).first();
  return row ? rowToUser(row) : null;
}

/**
 * The user row, locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's writer
 * transaction already excludes other writers), for read-modify-write changes such as a merge patch.
 */
export async function findUserByIdForUpdate(trx: Knex.Transaction, id: string): Promise<User | null> {
  if (!isUuid(id)) return null;
  const query = trx('users').where({ id }).first();
  const row = trx.client.config.client === 'pg' ? await query.forUpdate() : await query;
  return row ? rowToUser(row) : null;
}

export async function findUsersByIds(q: Queryable, ids: readonly string[]): Promise<User[]> {
  const valid = ids.filter(isUuid);
  if (valid.length === 0) return [];
  return perChunk(valid, async (part) => (await q('users').whereIn('id', part)).map(rowToUser));
}

/** Which of `ids` are users (an existence check that loads no rows). */
export async function existingUserIds(q: Queryable, ids: readonly string[]): Promise<Set<string>> {
  const valid = ids.filter(isUuid);
  const rows = await perChunk(valid, (part) => q('users').whereIn('id', part).select('id'));
  return new Set(rows.map((r: { id: string }) => String(r.id)));
}

export async function findUserByUsername(q: Queryable, username: string): Promise<User | null> {
  const row = await q('users').where({ username_ci: fold(username) }).first();
  return row ? rowToUser(row) : null;
}

export async function findUserByEmail(q: Queryable, email: string, exceptId?: string): Promise<User | null> {
  let query = q('users').where({ email_ci: fold(email) });
  if (exceptId) query = query.whereNot({ id: exceptId });
  const row = await query.first();
  return row ? rowToUser(row) : null;
}

/**
 * The accounts a "username or email" answer names, ignoring case: the user with that username,
 * else the users with that email address (addresses need not be unique), at most `limit`.
 */
export async function findUsersByUsernameOrEmail(q: Queryable, identifier: string, limit: number): Promise<User[]> {
  const key = fold(identifier);
  const byName = await q('users').where({ username_ci: key }).first();
  if (byName) return [rowToUser(byName)];
  const rows = await q('users').where({ email_ci: key }).orderBy('seq').limit(limit);
  return rows.map(rowToUser);
}

/** The user with its password hash, for credential checks only. */
export async function findCredentials(q: Queryable, by: { id?: string; username?: string }): Promise<{ user: User; passwordHash: string | null } | null> {
  let query = q('users');
  if (by.id !== undefined) {
    if (!isUuid(by.id)) return null;
    query = query.where({ id: by.id });
  } else query = query.where({ username_ci: fold(by.username ?? '') });
  const row = await query.first();
  return row ? { user: rowToUser(row), passwordHash: (row.password_hash as string | null) ?? null } : null;
}

export async function countAllUsers(q: Queryable): Promise<number> {
  const row = await q('users').count({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

/** Folder tree: each distinct path with its user count. */
export async function userPathCounts(q: Queryable): Promise<Array<{ path: string; count: number }>> {
  const rows = (await q('users').select('path').count({ n: '*' }).groupBy('path').orderBy('path')) as Array<Record<string, unknown>>;
  return rows.map((r) => ({ path: String(r.path), count: Number(r.n) }));
}
