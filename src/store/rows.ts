import type { Knex } from 'knex';
import type { Dialect } from './database.js';
import type { Group, JsonObject, User, UserType } from '../domain/types.js';

/** A knex handle or an open transaction: every store function takes one. */
export type Queryable = Knex | Knex.Transaction;

/** The time as both dialects store it: an ISO-8601 UTC string (timestamptz on PostgreSQL). */
export function nowIso(): string {
  return new Date().toISOString();
}

export function toDate(v: unknown): Date | null {
  if (v === null || v === undefined) return null;
  if (v instanceof Date) return v;
  if (typeof v === 'number') return new Date(v);
  const d = new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d;
}

export function toBool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export function toJson(v: unknown): JsonObject {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string') {
    try {
      const parsed = JSON.parse(v);
      return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }
  return v as JsonObject;
}

/** JSON for a JSON/JSONB column; a string works on both dialects. */
export function jsonColumn(v: unknown): string {
  return JSON.stringify(v ?? {});
}

/** Case folding for the `_ci` shadow columns: one rule, used by the store and the query engine. */
export function fold(v: string): string;
export function fold(v: string | null): string | null;
export function fold(v: string | null): string | null {
  return v === null ? null : v.toLowerCase();
}

/** Maps a `users` row to the domain record. The password hash never leaves the store this way. */
export function rowToUser(r: Record<string, unknown>): User {
  return {
    id: String(r.id),
    seq: Number(r.seq),
    username: String(r.username),
    name: String(r.name ?? ''),
    email: (r.email as string | null) ?? null,
    path: String(r.path),
    type: r.type as UserType,
    isActive: toBool(r.is_active),
    attributes: toJson(r.attributes),
    externalId: (r.external_id as string | null) ?? null,
    lastLogin: toDate(r.last_login),
    passwordChangedAt: toDate(r.password_changed_at),
    lockedUntil: toDate(r.locked_until),
    passwordMustChange: toBool(r.password_must_change ?? false),
    hasPassword: r.password_hash !== null && r.password_hash !== undefined && r.password_hash !== '',
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
    version: Number(r.version),
  };
}

export function rowToGroup(r: Record<string, unknown>): Group {
  return {
    id: String(r.id),
    seq: Number(r.seq),
    name: String(r.name),
    isSuperuser: toBool(r.is_superuser),
    attributes: toJson(r.attributes),
    externalId: (r.external_id as string | null) ?? null,
    createdAt: toDate(r.created_at)!,
    updatedAt: toDate(r.updated_at)!,
    version: Number(r.version),
  };
}

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}

export type { Dialect };
