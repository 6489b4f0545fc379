/**
 * Directory-shaped writes (what an LDAP Add, Modify, Delete or ModifyDN asks for), already
 * translated into domain terms by the door: each call is ONE transaction that checks the
 * caller's permission (globally or on the one object), then runs the user and group services
 * inside it, so the superuser rules, validation, version bumps, session revocation and events are
 * those of every door.
 * Members are named (username, group name), not by id: a directory client only knows names.
 */
import type { Knex } from 'knex';
import { InvalidValue, NotFound, PreconditionFailed } from '../domain/errors.js';
import type { Permission } from '../domain/permissions.js';
import type { Actor, Group, JsonObject, User } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { findGroupByName, memberUserIds } from '../store/groups-store.js';
import { findUserByUsername } from '../store/users-store.js';
import type { AccessService } from './access.js';
import type { GroupService } from './groups.js';
import { joining } from './transactions.js';
import type { UserService } from './users.js';

/** A user to create. */
export interface NewDirectoryUser {
  readonly username: string;
  readonly name: string;
  readonly email: string | null;
  readonly attributes: JsonObject;
  /** Clear text; the password policy applies. */
  readonly password: string | null;
  readonly isActive?: boolean;
}

/** The fields a change sets; absent keys stay as they are. `attributes` replaces the whole map. */
export interface DirectoryUserChange {
  readonly name?: string;
  readonly email?: string | null;
  readonly attributes?: JsonObject;
  readonly isActive?: boolean;
  readonly password?: string;
}

export interface ChangeUserOptions {
  /** The version the door computed the change from: a concurrent write fails the whole change. */
  readonly ifVersion?: number;
  /** The caller is the user and proved the current password (a self-service change). */
  readonly ownPasswordProven?: boolean;
}

/** A member as a directory names it: a user (username) or a child group (group name). */
export interface MemberRef {
  readonly kind: 'user' | 'group';
  readonly name: string;
}

/**
 * One membership step, applied in order. `replace` with scope `users` replaces only the user
 * members (RFC 2307 memberUid), with scope `all` users and child groups (member, uniqueMember).
 */
export type MemberStep =
  | { readonly op: 'add' | 'remove'; readonly members: readonly MemberRef[] }
  | { readonly op: 'replace'; readonly scope: 'users' | 'all'; readonly members: readonly MemberRef[] };

export interface NewDirectoryGroup {
  readonly name: string;
  readonly attributes: JsonObject;
  readonly members: readonly MemberRef[];
}

export interface DirectoryGroupChange {
  /** Replaces the whole map when given. */
  readonly attributes?: JsonObject;
  readonly members?: readonly MemberStep[];
}

export class DirectoryWriteService {
  constructor(
    private readonly db: Database,
    private readonly users: UserService,
    private readonly groups: GroupService,
    private readonly access: AccessService,
  ) {}

  /** @throws PermissionDenied (user.add), InvalidValue, AlreadyExists */
  async addUser(actor: Actor, user: NewDirectoryUser): Promise<User> {
    await this.require(actor, 'user.add');
    return this.db.transaction(async (trx) => this.users.create({
      username: user.username, name: user.name, email: user.email, attributes: user.attributes,
      ...(user.password !== null ? { password: user.password } : {}),
      ...(user.isActive !== undefined ? { isActive: user.isActive } : {}),
    }, actor, joining(trx)));
  }

  /**
   * Sets fields of a user. A password needs `user.set_password` unless the user proved its own
   * current password; everything else needs `user.change`. Deactivation revokes sessions.
   * @throws NotFound, PermissionDenied, InvalidValue, AlreadyExists, PreconditionFailed
   */
  async changeUser(actor: Actor, username: string, change: DirectoryUserChange, opts: ChangeUserOptions = {}): Promise<User> {
    return this.db.transaction(async (trx) => {
      const user = await this.userNamed(trx, username);
      const { password, ...fields } = change;
      // A change of nothing but the password is a password change; anything else (even nothing) is a user change.
      if (Object.keys(fields).length > 0 || password === undefined) await this.requireOnUser(actor, 'user.change', user);
      if (password !== undefined && !(opts.ownPasswordProven && actor.userId === user.id)) {
        await this.requireOnUser(actor, 'user.set_password', user);
      }
      if (opts.ifVersion !== undefined && user.version !== opts.ifVersion) throw new PreconditionFailed('the user was changed by someone else (version mismatch)');
      if (Object.keys(fields).length === 0 && password === undefined) return user; // nothing to write: no new version, no event
      return this.users.update(user.id, { ...fields, ...(password !== undefined ? { password } : {}) }, actor, {
        ...joining(trx), ...(opts.ifVersion !== undefined ? { ifVersion: opts.ifVersion } : {}),
      });
    });
  }

  /** @throws NotFound, PermissionDenied, InvalidValue, AlreadyExists */
  async renameUser(actor: Actor, username: string, newUsername: string): Promise<User> {
    return this.db.transaction(async (trx) => {
      const user = await this.userNamed(trx, username);
      await this.requireOnUser(actor, 'user.change', user);
      return this.users.update(user.id, { username: newUsername }, actor, joining(trx));
    });
  }

  /** @throws NotFound, PermissionDenied */
  async deleteUser(actor: Actor, username: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const user = await this.userNamed(trx, username);
      await this.requireOnUser(actor, 'user.delete', user);
      await this.users.delete(user.id, actor, joining(trx));
    });
  }

  /** @throws PermissionDenied (group.add), InvalidValue (a member that does not exist), AlreadyExists */
  async addGroup(actor: Actor, group: NewDirectoryGroup): Promise<Group> {
    await this.require(actor, 'group.add');
    return this.db.transaction(async (trx) => {
      const created = await this.groups.create({ name: group.name, attributes: group.attributes }, actor, joining(trx));
      if (group.members.length === 0) return created;
      return this.applyMembers(trx, actor, created, [{ op: 'add', members: group.members }]);
    });
  }

  /**
   * Changes a group's attributes and members in one transaction.
   * @throws NotFound, PermissionDenied, InvalidValue, Conflict (a cycle), PreconditionFailed
   */
  async changeGroup(actor: Actor, name: string, change: DirectoryGroupChange, opts: { ifVersion?: number } = {}): Promise<Group> {
    return this.db.transaction(async (trx) => {
      let group = await this.groupNamed(trx, name);
      await this.requireOnGroup(actor, 'group.change', group);
      if (opts.ifVersion !== undefined && group.version !== opts.ifVersion) throw new PreconditionFailed('the group was changed by someone else (version mismatch)');
      if (change.attributes !== undefined) group = await this.groups.update(group.id, { attributes: change.attributes }, actor, joining(trx));
      if (change.members && change.members.length > 0) group = await this.applyMembers(trx, actor, group, change.members);
      return group;
    });
  }

  /** @throws NotFound, PermissionDenied, InvalidValue, AlreadyExists */
  async renameGroup(actor: Actor, name: string, newName: string): Promise<Group> {
    return this.db.transaction(async (trx) => {
      const group = await this.groupNamed(trx, name);
      await this.requireOnGroup(actor, 'group.change', group);
      return this.groups.update(group.id, { name: newName }, actor, joining(trx));
    });
  }

  /** A group with members may be deleted, as in the admin API. @throws NotFound, PermissionDenied */
  async deleteGroup(actor: Actor, name: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const group = await this.groupNamed(trx, name);
      await this.requireOnGroup(actor, 'group.delete', group);
      await this.groups.delete(group.id, actor, joining(trx));
    });
  }

  // ---- members -----------------------------------------------------------------------------

  private async applyMembers(trx: Knex.Transaction, actor: Actor, group: Group, steps: readonly MemberStep[]): Promise<Group> {
    let current = group;
    for (const step of steps) {
      const { users, groups } = await this.resolve(trx, step.members);
      // Who may change the memberships of a superuser account or nest a superuser group: GroupService.changeMembers decides.
      const userIds = users.map((u) => u.id), groupIds = groups.map((g) => g.id);
      if (step.op === 'add') {
        current = await this.groups.changeMembers(current.id, { addUsers: userIds, addGroups: groupIds }, actor, joining(trx));
      } else if (step.op === 'remove') {
        current = await this.groups.changeMembers(current.id, { removeUsers: userIds, removeGroups: groupIds }, actor, joining(trx));
      } else if (step.op === 'replace' && step.scope === 'all') {
        current = await this.groups.changeMembers(current.id, { addUsers: userIds, addGroups: groupIds, replace: true }, actor, joining(trx));
      } else {
        const kept = new Set(userIds);
        const removed = (await memberUserIds(trx, current.id)).filter((id) => !kept.has(id));
        current = await this.groups.changeMembers(current.id, { addUsers: userIds, removeUsers: removed }, actor, joining(trx));
      }
    }
    return current;
  }

  /** @throws InvalidValue naming the member that does not exist */
  private async resolve(trx: Knex.Transaction, members: readonly MemberRef[]): Promise<{ users: User[]; groups: Group[] }> {
    const users: User[] = [], groups: Group[] = [];
    for (const m of members) {
      if (m.kind === 'user') {
        const u = await findUserByUsername(trx, m.name);
        if (!u) throw InvalidValue.field('member', `no user named ${m.name}`);
        users.push(u);
      } else {
        const g = await findGroupByName(trx, m.name);
        if (!g) throw InvalidValue.field('member', `no group named ${m.name}`);
        groups.push(g);
      }
    }
    return { users, groups };
  }

  // ---- lookups and checks -----------------------------------------------------------------

  private async userNamed(trx: Knex.Transaction, username: string): Promise<User> {
    const user = await findUserByUsername(trx, username);
    if (!user) throw new NotFound(`no user named ${username}`);
    return user;
  }

  private async groupNamed(trx: Knex.Transaction, name: string): Promise<Group> {
    const group = await findGroupByName(trx, name);
    if (!group) throw new NotFound(`no group named ${name}`);
    return group;
  }

  /** @throws PermissionDenied naming the permission */
  private async require(actor: Actor, permission: Permission): Promise<void> {
    await this.access.require(actor, permission);
  }

  /**
   * The permission, held globally or on this one user. The superuser rule (DESIGN.md "No path to
   * a superuser") and the last-superuser guard are the user and group services' own, inside the
   * same transaction.
   */
  private async requireOnUser(actor: Actor, permission: Permission, target: User): Promise<void> {
    await this.access.requireOn(actor, permission, { type: 'user', id: target.id });
  }

  /** The permission, held globally or on this one group. */
  private async requireOnGroup(actor: Actor, permission: Permission, target: Group): Promise<void> {
    await this.access.requireOn(actor, permission, { type: 'group', id: target.id });
  }
}
