import { NotFound, PermissionDenied } from '../domain/errors.js';
import { PERMISSIONS, type Permission } from '../domain/permissions.js';
import type { Actor, Group, Role } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { anySuperuser, findGroupsByIds, userGroupClosure } from '../store/groups-store.js';
import { permissionsOf, rolesOfGroups, rolesOfUser } from '../store/roles-store.js';
import {
  deleteBinding, findApplicationBySlug, insertApplication, insertBinding, listApplications, listBindings,
  updateApplication, updateBinding, deleteApplication, type Application, type PolicyBinding,
} from '../store/applications-store.js';
import { findUserById, findUserByUsername } from '../store/users-store.js';
import { findGroupById as findGroup, findGroupByName } from '../store/groups-store.js';
import { isUuid } from '../store/rows.js';
import { textProblem } from '../domain/text.js';
import { holdsPermission } from '../store/auth-read-store.js';
import {
  holdsOnAnyObject, holdsOnObject, objectIdsSql, type ObjectType,
} from '../store/object-permissions-store.js';
import type { IdRestriction } from '../store/query-sql.js';
import type { Queryable } from '../store/rows.js';
import { recordEvent } from './events.js';
import { InvalidValue } from '../domain/errors.js';

export type { Application, PolicyBinding };

export type { ObjectPermission, ObjectType } from '../store/object-permissions-store.js';

/** The permissions a role may hold on one object, by the object's type (DESIGN.md "Permissions"). */
export const OBJECT_PERMISSIONS: Readonly<Record<ObjectType, readonly Permission[]>> = Object.freeze({
  user: ['user.view', 'user.change', 'user.set_password', 'user.recovery', 'user.impersonate', 'user.delete'],
  group: ['group.view', 'group.change', 'group.delete'],
});

/** The object type a permission may be held on, or null for global-only permissions. */
export function objectTypeOf(permission: string): ObjectType | null {
  if ((OBJECT_PERMISSIONS.user as readonly string[]).includes(permission)) return 'user';
  if ((OBJECT_PERMISSIONS.group as readonly string[]).includes(permission)) return 'group';
  return null;
}

/** One object a permission is asked about. */
export interface ObjectRef {
  readonly type: ObjectType;
  readonly id: string;
}

/** What a caller may see of a list: everything, only some ids (an SQL restriction), or nothing. */
export type ListScope = { readonly kind: 'all' } | { readonly kind: 'some'; readonly only: IdRestriction } | { readonly kind: 'none' };

/** A role a user holds, and whether it is assigned directly or inherited from a group. */
export interface HeldRole {
  readonly role: Role;
  readonly assigned: boolean;
  /** The group it comes from, for inherited roles. */
  readonly group: Group | null;
}

/**
 * Who may do what. Everything is read from the database on every call, so a change made
 * through any door (or another instance) applies to the very next request.
 */
export class AccessService {
  constructor(private readonly db: Database) {}

  /** Superuser = member, directly or through a parent, of a group with is_superuser. */
  async isSuperuser(userId: string): Promise<boolean> {
    return anySuperuser(this.db.knex, await userGroupClosure(this.db.knex, userId));
  }

  /** Every permission the user holds globally (all of them for superusers); `q` inside a transaction. */
  async permissionsOf(userId: string, q: Queryable = this.db.knex): Promise<Set<string>> {
    const closure = await userGroupClosure(q, userId);
    if (await anySuperuser(q, closure)) return new Set(PERMISSIONS);
    return permissionsOf(q, userId, [...closure]);
  }

  /** Global permission, or the permission held on this one object. */
  async holdsOn(userId: string | null, permission: Permission, object: ObjectRef | null): Promise<boolean> {
    if (!userId) return false;
    if (await holdsPermission(this.db, userId, permission)) return true;
    if (!object || objectTypeOf(permission) !== object.type) return false;
    return holdsOnObject(this.db, userId, permission, object.type, object.id);
  }

  /** The id of a user or group named by id or by name; null when there is none. */
  async resolveObjectId(type: ObjectType, ref: string): Promise<string | null> {
    // Text no backend can store (NUL, lone surrogates) names nothing; the door says why.
    if (typeof ref !== 'string' || ref === '' || textProblem(ref) !== undefined) return null;
    if (type === 'user') {
      const u = (isUuid(ref) ? await findUserById(this.db.knex, ref) : null) ?? (await findUserByUsername(this.db.knex, ref));
      return u?.id ?? null;
    }
    const g = (isUuid(ref) ? await findGroup(this.db.knex, ref) : null) ?? (await findGroupByName(this.db.knex, ref));
    return g?.id ?? null;
  }

  /** Global permission, or the permission on at least one object (lists, pre-checks). */
  async holdsAnywhere(userId: string | null, permission: Permission): Promise<boolean> {
    if (!userId) return false;
    if (await holdsPermission(this.db, userId, permission)) return true;
    const type = objectTypeOf(permission);
    return type !== null && holdsOnAnyObject(this.db, userId, permission, type);
  }

  /** @throws PermissionDenied naming the permission unless held globally or on `object`. */
  async requireOn(actor: Actor, permission: Permission, object: ObjectRef | null): Promise<void> {
    if (!(await this.holdsOn(actor.userId, permission, object))) {
      throw new PermissionDenied(`this requires the permission ${permission}${object ? ` on this ${object.type}` : ''}`, permission);
    }
  }

  /** @throws PermissionDenied unless held globally or on every one of `objects`. */
  async requireOnAll(actor: Actor, permission: Permission, objects: readonly ObjectRef[]): Promise<void> {
    if (await this.hasPermission(actor.userId, permission)) return;
    for (const o of objects) await this.requireOn(actor, permission, o);
    if (objects.length === 0) await this.require(actor, permission);
  }

  /**
   * Which records of a list the actor may see with `permission`: all (global), the objects it
   * holds the permission on (as an SQL restriction the list query embeds), or none.
   */
  async listScope(actor: Actor, permission: Permission): Promise<ListScope> {
    if (actor.system === true && actor.userId === null) return { kind: 'all' };
    if (!actor.userId) return { kind: 'none' };
    if (await holdsPermission(this.db, actor.userId, permission)) return { kind: 'all' };
    const type = objectTypeOf(permission);
    if (type === null) return { kind: 'none' };
    return { kind: 'some', only: objectIdsSql(actor.userId, permission, type) };
  }

  /** One prepared statement: superuser, or the permission through any role held. */
  async hasPermission(userId: string | null, permission: Permission): Promise<boolean> {
    if (!userId) return false;
    return holdsPermission(this.db, userId, permission);
  }

  /** @throws PermissionDenied naming the permission. */
  async require(actor: Actor, permission: Permission): Promise<void> {
    if (!(await this.hasPermission(actor.userId, permission))) {
      throw new PermissionDenied(`this requires the permission ${permission}`, permission);
    }
  }

  /** Assigned roles, or with `inherited` also those of the user's groups and their ancestors. */
  async rolesOf(userId: string, inherited: boolean): Promise<HeldRole[]> {
    if (!(await findUserById(this.db.knex, userId))) throw new NotFound(`no user with id ${userId}`);
    const direct = await rolesOfUser(this.db.knex, userId);
    const out: HeldRole[] = direct.map((role) => ({ role, assigned: true, group: null }));
    if (!inherited) return out;
    const closure = [...(await userGroupClosure(this.db.knex, userId))];
    const viaGroups = await rolesOfGroups(this.db.knex, closure);
    const groups = new Map((await findGroupsByIds(this.db.knex, [...new Set(viaGroups.map((v) => v.groupId))])).map((g) => [g.id, g]));
    for (const v of viaGroups) out.push({ role: v.role, assigned: false, group: groups.get(v.groupId) ?? null });
    return out;
  }

  // ---- applications and policy bindings ----------------------------------------------

  async listApplications(opts: { limit: number; offset: number }) {
    return listApplications(this.db.knex, opts);
  }

  /** @throws NotFound */
  async getApplication(slug: string): Promise<Application> {
    const app = await findApplicationBySlug(this.db.knex, slug);
    if (!app) throw new NotFound(`no application with slug ${slug}`);
    return app;
  }

  /** @throws InvalidValue, AlreadyExists */
  async createApplication(input: { name?: unknown; slug?: unknown; launchUrl?: unknown }, actor: Actor): Promise<Application> {
    const problems: Record<string, string> = {};
    if (typeof input.name !== 'string' || input.name.trim() === '') problems.name = 'must be a non-empty string';
    if (typeof input.slug !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,99}$/.test(input.slug)) problems.slug = 'must be lowercase letters, digits, - and _';
    if (input.launchUrl !== undefined && input.launchUrl !== null && typeof input.launchUrl !== 'string') problems.launch_url = 'must be a string';
    if (Object.keys(problems).length) throw new InvalidValue(Object.entries(problems).map(([k, v]) => `${k}: ${v}`).join('; '), problems);
    return this.db.transaction(async (trx) => {
      const app = await insertApplication(trx, { name: input.name as string, slug: input.slug as string, launchUrl: (input.launchUrl as string) ?? null });
      await recordEvent(trx, actor, 'application_created', { type: 'application', id: app.id }, { slug: app.slug });
      return app;
    });
  }

  async updateApplication(slug: string, input: { name?: unknown; slug?: unknown; launchUrl?: unknown }, actor: Actor): Promise<Application> {
    const app = await this.getApplication(slug);
    if (input.slug !== undefined && (typeof input.slug !== 'string' || !/^[a-z0-9][a-z0-9_-]{0,99}$/.test(input.slug))) throw InvalidValue.field('slug', 'must be lowercase letters, digits, - and _');
    if (input.name !== undefined && (typeof input.name !== 'string' || input.name.trim() === '')) throw InvalidValue.field('name', 'must be a non-empty string');
    return this.db.transaction(async (trx) => {
      const updated = await updateApplication(trx, app.id, { name: input.name as string | undefined, slug: input.slug as string | undefined, launchUrl: input.launchUrl as string | null | undefined });
      await recordEvent(trx, actor, 'application_updated', { type: 'application', id: app.id }, { slug: updated.slug });
      return updated;
    });
  }

  async deleteApplication(slug: string, actor: Actor): Promise<void> {
    const app = await this.getApplication(slug);
    await this.db.transaction(async (trx) => {
      await deleteApplication(trx, app.id);
      await recordEvent(trx, actor, 'application_deleted', { type: 'application', id: app.id }, { slug });
    });
  }

  async listBindings(slug: string): Promise<PolicyBinding[]> {
    const app = await this.getApplication(slug);
    return listBindings(this.db.knex, app.id);
  }

  /** @throws NotFound, InvalidValue */
  async createBinding(slug: string, input: { user?: unknown; group?: unknown; order?: unknown; enabled?: unknown; negate?: unknown }, actor: Actor): Promise<PolicyBinding> {
    const app = await this.getApplication(slug);
    const hasUser = typeof input.user === 'string', hasGroup = typeof input.group === 'string';
    if (hasUser === hasGroup) throw InvalidValue.field('user', 'give exactly one of user or group');
    if (input.order !== undefined && !Number.isInteger(input.order)) throw InvalidValue.field('order', 'must be an integer');
    for (const k of ['enabled', 'negate'] as const) if (input[k] !== undefined && typeof input[k] !== 'boolean') throw InvalidValue.field(k, 'must be true or false');
    return this.db.transaction(async (trx) => {
      if (hasUser && !(await findUserById(trx, input.user as string))) throw InvalidValue.field('user', `no user with id ${input.user}`);
      if (hasGroup && !(await findGroupsByIds(trx, [input.group as string])).length) throw InvalidValue.field('group', `no group with id ${input.group}`);
      const b = await insertBinding(trx, {
        applicationId: app.id, userId: hasUser ? (input.user as string) : null, groupId: hasGroup ? (input.group as string) : null,
        order: input.order as number | undefined, enabled: input.enabled as boolean | undefined, negate: input.negate as boolean | undefined,
      });
      await recordEvent(trx, actor, 'binding_created', { type: 'application', id: app.id }, { binding: b.id });
      return b;
    });
  }

  async updateBinding(id: string, input: { order?: number; enabled?: boolean; negate?: boolean }, actor: Actor): Promise<PolicyBinding> {
    return this.db.transaction(async (trx) => {
      const b = await updateBinding(trx, id, input);
      if (!b) throw new NotFound(`no binding with id ${id}`);
      await recordEvent(trx, actor, 'binding_updated', { type: 'application', id: b.applicationId }, { binding: id });
      return b;
    });
  }

  async deleteBinding(id: string, actor: Actor): Promise<void> {
    await this.db.transaction(async (trx) => {
      if (!(await deleteBinding(trx, id))) throw new NotFound(`no binding with id ${id}`);
      await recordEvent(trx, actor, 'binding_deleted', null, { binding: id });
    });
  }

  /**
   * authentik's rule: an application with no enabled bindings is open to everyone; otherwise the
   * user passes when any enabled binding passes (a user binding matches that user, a group binding
   * matches members of the group or its descendants; `negate` inverts the binding).
   * @throws NotFound (application or user)
   */
  async checkAccess(slug: string, userId: string): Promise<{ passing: boolean; messages: string[] }> {
    const app = await this.getApplication(slug);
    const user = await findUserById(this.db.knex, userId);
    if (!user) throw new NotFound(`no user with id ${userId}`);
    if (!user.isActive) return { passing: false, messages: ['the user is deactivated'] };
    const bindings = (await listBindings(this.db.knex, app.id)).filter((b) => b.enabled);
    if (bindings.length === 0) return { passing: true, messages: [] };
    const closure = await userGroupClosure(this.db.knex, userId);
    const messages: string[] = [];
    for (const b of bindings) {
      let match = b.userId ? b.userId === userId : closure.has(b.groupId!);
      if (b.negate) match = !match;
      if (match) return { passing: true, messages: [] };
      messages.push(b.userId ? `binding ${b.id}: not this user` : `binding ${b.id}: not a member of the bound group`);
    }
    return { passing: false, messages };
  }

  /** Like checkAccess, for a configured application slug; an unknown slug admits no one. */
  async admits(slug: string, userId: string): Promise<boolean> {
    if (!slug) return true;
    try {
      return (await this.checkAccess(slug, userId)).passing;
    } catch (e) {
      if (e instanceof NotFound) return false;
      throw e;
    }
  }
}
