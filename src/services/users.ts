import type { Config } from '../config.js';
import { AlreadyExists, InvalidValue, NotFound, PreconditionFailed } from '../domain/errors.js';
import type { Actor, Group, JsonObject, User, UserType } from '../domain/types.js';
import {
  validAttributes, validBoolean, validEmail, validName, validPath, validUsername, validUserType,
} from '../domain/validation.js';
import type { Database } from '../store/database.js';
import { groupsOfUsers, groupsOfUsersPrepared } from '../store/groups-store.js';
import { countUsers } from '../store/query-sql.js';
import { deleteSessions } from '../store/sessions-store.js';
import {
  countAllUsers, deleteUserRow, findUserByEmail, findUserById, findUserByIdForUpdate, findUserByUsername, findUsersByIds, insertUser, updateUser,
  userPathCounts,
  type UserWrite,
} from '../store/users-store.js';
import { hashPassword } from './credentials.js';
import type { DelegationRules } from './delegation-rules.js';
import { apiFieldNames, recordEvent } from './events.js';
import { checkPasswordPolicy, PasswordRejected } from './password-policy.js';
import { currentPasswordHash, pushPasswordHistory, recentPasswordHashes } from '../store/password-history-store.js';
import type { SettingsService } from './settings.js';
import { inTransaction, joining, queryable, type TxOptions } from './transactions.js';
import { listUsers, listUsersWithGroups, listUsersWithGroupsGuarded, type GroupRef, type GuardedBearer, type PageOptions } from './listing.js';
import type { BearerGuard } from '../store/auth-read-store.js';
import type { Validated } from '../query/validate.js';
import type { Ordering } from '../query/ordering.js';
import { rowToUser } from '../store/rows.js';
import { userPages } from './export-csv.js';
import { UUID } from '../domain/validation.js';
import { mergePatch } from '../domain/merge-patch.js';

/** What a door may set on a user. Unset keys are left alone on update. */
export interface UserInput {
  username?: unknown;
  name?: unknown;
  email?: unknown;
  path?: unknown;
  type?: unknown;
  isActive?: unknown;
  attributes?: unknown;
  externalId?: unknown;
  password?: unknown;
}

/** A new password that passed the policy, hashed, with what the write must also do. */
interface PreparedPassword {
  readonly hash: string;
  /** The hash it replaces, kept in the history (when password.history is on). */
  readonly previous: string | null;
  readonly keep: number;
  /** Set by someone else while password.change_after_reset is on: the user must choose a new one. */
  readonly mustChange: boolean;
}

export interface WriteOptions extends TxOptions {
  /** Optimistic concurrency: the version the caller last saw. */
  readonly ifVersion?: number;
  /** The admin API accepts attributes as a YAML string. */
  readonly allowYamlAttributes?: boolean;
  /**
   * `attributes` is a JSON Merge Patch (RFC 7396) onto the stored attributes — keys merge, null
   * removes — instead of replacing them (the admin API's `application/merge-patch+json`).
   */
  readonly mergeAttributes?: boolean;
}

export class UserService {
  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly settings: SettingsService,
    private readonly rules: DelegationRules,
  ) {}

  /** @throws NotFound */
  async get(id: string, opts?: TxOptions): Promise<User> {
    const user = await findUserById(queryable(this.db, opts), id);
    if (!user) throw new NotFound(`no user with id ${id}`);
    return user;
  }

  /** Whether the store holds any user at all (first start). */
  async anyExist(): Promise<boolean> {
    return (await countAllUsers(this.db.knex)) > 0;
  }

  /** How many users match a validated query. */
  async count(v: Validated): Promise<number> {
    return countUsers(this.db, v);
  }

  /**
   * Every user matching `v`, page by page along a keyset cursor (constant memory at any size):
   * what the command line's `users list` prints.
   */
  async *stream(v: Validated, ordering: Ordering): AsyncGenerator<User[]> {
    for await (const rows of userPages(this.db, v, ordering)) yield rows.map(rowToUser);
  }

  /**
   * A user named by its id or its username (DESIGN.md: wherever a user is named, either is accepted;
   * usernames are unique ignoring case). An id wins over a username that happens to look like one.
   * @throws NotFound
   */
  async resolve(ref: string, opts?: TxOptions): Promise<User> {
    if (UUID.test(ref)) {
      const byId = await findUserById(queryable(this.db, opts), ref);
      if (byId) return byId;
    }
    const byName = await this.findByUsername(ref, opts);
    if (!byName) throw new NotFound(`no user with id or username ${ref}`);
    return byName;
  }

  /** One page of users matching a validated query (any door's language), and the total. */
  async list(v: Validated, opts: PageOptions): Promise<{ users: User[]; total: number }> {
    return listUsers(this.db, v, opts);
  }

  /** `list`, with each user's direct groups (id and name, in name order) from the same statement. */
  async listWithGroups(v: Validated, opts: PageOptions): Promise<{ users: User[]; total: number; groups: Map<string, GroupRef[]> }> {
    return listUsersWithGroups(this.db, v, opts);
  }

  /**
   * `listWithGroups` with the bearer check in the same statement, for
   * `AuthService.authenticateBearerAlong` (listing.ts `listUsersWithGroupsGuarded`); null when
   * it cannot tell alone.
   */
  async listWithGroupsGuarded(v: Validated, opts: PageOptions, guard: BearerGuard): Promise<{ match: GuardedBearer; snapshot: string; result: { users: User[]; total: number; groups: Map<string, GroupRef[]> } } | null> {
    return listUsersWithGroupsGuarded(this.db, guard, v, opts);
  }

  async findByUsername(username: string, opts?: TxOptions): Promise<User | null> {
    return findUserByUsername(queryable(this.db, opts), username);
  }

  async getMany(ids: readonly string[], opts?: TxOptions): Promise<User[]> {
    return findUsersByIds(queryable(this.db, opts), ids);
  }

  /** Each distinct folder (path) with its number of users, sorted by path. */
  async pathCounts(opts?: TxOptions): Promise<Array<{ path: string; count: number }>> {
    return userPathCounts(queryable(this.db, opts));
  }

  /** Direct groups of each user. */
  async groupsOf(userIds: readonly string[], opts?: TxOptions): Promise<Map<string, Group[]>> {
    return opts?.unit ? groupsOfUsers(queryable(this.db, opts), userIds) : groupsOfUsersPrepared(this.db, userIds);
  }

  /**
   * Creates a user; records `user_created`.
   * @throws InvalidValue, AlreadyExists
   */
  async create(input: UserInput, actor: Actor, opts: WriteOptions = {}): Promise<User> {
    const write = this.validate(input, true, opts.allowYamlAttributes) as UserWrite & { username: string };
    const password = input.password;
    let prepared: PreparedPassword | null = null;
    if (password !== undefined && password !== null && password !== '') {
      prepared = await this.preparePassword(password, null, { username: write.username, name: write.name, email: write.email ?? null }, actor, opts);
      write.passwordHash = prepared.hash;
    }
    return inTransaction(this.db, opts, async (trx) => {
      await this.checkUniqueEmail(trx, write.email ?? null);
      let user = await insertUser(trx, write);
      if (prepared?.mustChange) user = await updateUser(trx, user.id, { passwordMustChange: true });
      await recordEvent(trx, actor, 'user_created', { type: 'user', id: user.id }, { username: user.username, changed: describe(write) });
      return user;
    });
  }

  /**
   * Changes the given fields; deactivation revokes every session in the same transaction.
   * @throws NotFound, InvalidValue, AlreadyExists, PreconditionFailed
   */
  async update(id: string, input: UserInput, actor: Actor, opts: WriteOptions = {}): Promise<User> {
    const write = this.validate(input, false, opts.allowYamlAttributes);
    const password = input.password;
    const settingPassword = password !== undefined && password !== null && password !== '';
    const onlyPassword = settingPassword && Object.keys(write).length === 0;
    await this.rules.protectUsers(actor, [id], write.isActive === false ? 'deactivate' : onlyPassword ? 'set the password of' : 'change', opts);
    let prepared: PreparedPassword | null = null;
    if (settingPassword) {
      const target = await findUserById(queryable(this.db, opts), id);
      if (!target) throw new NotFound(`no user with id ${id}`);
      prepared = await this.preparePassword(password, id, target, actor, opts);
      write.passwordHash = prepared.hash;
      write.passwordMustChange = prepared.mustChange;
    }
    return this.rules.lockedTransaction(opts, async (trx) => {
      const keep = write.isActive === false ? await this.rules.keepASuperuser(trx, actor, 'deactivate this user', { type: 'user', id }) : null;
      const before = opts.mergeAttributes ? await findUserByIdForUpdate(trx, id) : await findUserById(trx, id);
      if (!before) throw new NotFound(`no user with id ${id}`);
      if (opts.mergeAttributes && write.attributes !== undefined) {
        write.attributes = validAttributes(mergePatch(before.attributes, write.attributes));
      }
      if (prepared && prepared.previous) await pushPasswordHistory(trx, id, prepared.previous, prepared.keep);
      if (write.email !== undefined) await this.checkUniqueEmail(trx, write.email, id);
      const user = Object.keys(write).length === 0 && opts.ifVersion === undefined
        ? before
        : await updateUser(trx, id, write, opts.ifVersion);
      if (Object.keys(write).length > 0) {
        await recordEvent(trx, actor, 'user_updated', { type: 'user', id }, { username: user.username, changed: describe(write) });
      }
      if (before.isActive && write.isActive === false) {
        await keep?.();
        await deleteSessions(trx, { userId: id });
        await recordEvent(trx, actor, 'user_deactivated', { type: 'user', id }, { username: user.username });
      } else if (!before.isActive && write.isActive === true) {
        await recordEvent(trx, actor, 'user_reactivated', { type: 'user', id }, { username: user.username });
      }
      if (write.passwordHash !== undefined) {
        await deleteSessions(trx, { userId: id, exceptId: actor.userId === id ? actor.sessionId ?? null : null });
        await recordEvent(trx, actor, 'password_set', { type: 'user', id }, { username: user.username });
      }
      return user;
    });
  }

  /**
   * Sets a password after checking the policy; revokes the user's other sessions.
   * @throws NotFound, InvalidValue
   */
  async setPassword(id: string, password: unknown, actor: Actor, opts: TxOptions = {}): Promise<User> {
    if (password === undefined || password === null || password === '') throw InvalidValue.field('password', 'is required');
    return this.update(id, { password }, actor, opts);
  }

  /**
   * Deletes a user. A superuser account only by a superuser; never the last active superuser.
   * @throws NotFound, PreconditionFailed, PermissionDenied, Conflict
   */
  async delete(id: string, actor: Actor, opts: WriteOptions = {}): Promise<void> {
    await this.rules.protectUsers(actor, [id], 'delete', opts);
    await this.rules.lockedTransaction(opts, async (trx) => {
      const keep = await this.rules.keepASuperuser(trx, actor, 'delete this user', { type: 'user', id });
      await this.deleteOne(trx, id, actor, opts.ifVersion);
      await keep();
    });
  }

  /** Deletes all the users or none. @throws NotFound naming the first unknown id; PermissionDenied, Conflict */
  async bulkDelete(ids: readonly string[], actor: Actor): Promise<number> {
    if (!Array.isArray(ids) || ids.length === 0 || ids.some((i) => typeof i !== 'string')) {
      throw InvalidValue.field('ids', 'must be a non-empty list of user ids');
    }
    const unique = [...new Set(ids)];
    await this.rules.protectUsers(actor, unique, 'delete');
    return this.rules.lockedTransaction({}, async (trx) => {
      const keep = await this.rules.keepASuperuser(trx, actor, 'delete these users', null);
      for (const id of unique) await this.deleteOne(trx, id, actor);
      await keep();
      return unique.length;
    });
  }

  /**
   * Checks a password against the policy without setting it (the recovery page asks before it
   * claims the link). `userId` adds the history rule. Records `password_rejected` on refusal.
   * @throws PasswordRejected (an InvalidValue) naming the rule
   */
  async checkPasswordPolicy(password: unknown, userId: string | null = null, actor: Actor | null = null, opts: TxOptions = {}): Promise<string> {
    const user = userId ? await findUserById(queryable(this.db, opts), userId) : null;
    if (userId && !user) throw new NotFound(`no user with id ${userId}`);
    await this.preparePassword(password, user?.id ?? null, user ?? { username: '', name: '', email: null }, actor ?? SELF(user), opts, false);
    return password as string;
  }

  /**
   * The policy, then the hash: the one place a new password is accepted. For an existing user
   * the history rule compares against the current hash and the kept ones.
   * @throws PasswordRejected
   */
  private async preparePassword(
    password: unknown, userId: string | null, who: { username?: string; name?: string; email?: string | null }, actor: Actor,
    opts: TxOptions, hash = true,
  ): Promise<PreparedPassword> {
    const q = queryable(this.db, opts);
    const settings = await this.settings.get(opts);
    const n = settings['password.history'];
    const current = userId ? await currentPasswordHash(q, userId) : null;
    const previousHashes = n > 0 && userId ? [...(current ? [current] : []), ...(await recentPasswordHashes(q, userId, n - 1))].slice(0, n) : [];
    try {
      await checkPasswordPolicy(password, settings, {
        previousHashes, userInputs: [who.username ?? '', who.name ?? '', who.email ?? ''],
      });
    } catch (e) {
      if (e instanceof PasswordRejected) await this.recordRejection(e, userId, who.username ?? null, actor, opts);
      throw e;
    }
    return {
      hash: hash ? await hashPassword(password as string, this.config.auth.scrypt) : '',
      previous: n > 0 ? current : null,
      keep: Math.max(0, n - 1),
      mustChange: settings['password.change_after_reset'] && actor.userId !== userId,
    };
  }

  /**
   * `password_rejected` with the rule (never the password). Inside a caller's transaction the
   * event cannot share it (the refusal rolls it back), so it is written once that ends.
   */
  private async recordRejection(e: PasswordRejected, userId: string | null, username: string | null, actor: Actor, opts: TxOptions): Promise<void> {
    const write = () => this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, 'password_rejected', userId ? { type: 'user', id: userId } : null, { username, rule: e.rule });
    });
    if (opts.unit) void write().catch(() => undefined);
    else await write();
  }

  private async deleteOne(trx: import('knex').Knex.Transaction, id: string, actor: Actor, ifVersion?: number): Promise<void> {
    const user = await findUserById(trx, id);
    if (!user) throw new NotFound(`no user with id ${id}`);
    if (!(await deleteUserRow(trx, id, ifVersion))) {
      throw new PreconditionFailed('the user was changed by someone else (version mismatch)');
    }
    await recordEvent(trx, actor, 'user_deleted', { type: 'user', id }, { username: user.username });
  }

  private async checkUniqueEmail(trx: import('knex').Knex.Transaction, email: string | null, exceptId?: string): Promise<void> {
    if (!email) return;
    if ((await this.settings.get(joining(trx)))['users.unique_email'] && (await findUserByEmail(trx, email, exceptId))) {
      throw new AlreadyExists(`another user already has the email address ${email}`, 'email');
    }
  }

  private validate(input: UserInput, creating: boolean, allowYaml = false): UserWrite {
    const w: UserWrite = {};
    const problems: Record<string, string> = {};
    const take = (field: string, fn: () => void) => {
      try {
        fn();
      } catch (e) {
        if (e instanceof InvalidValue) Object.assign(problems, e.fields);
        else throw e;
      }
    };
    if (creating || input.username !== undefined) take('username', () => { w.username = validUsername(input.username); });
    if (input.name !== undefined) take('name', () => { w.name = validName(input.name); });
    if (input.email !== undefined) take('email', () => { w.email = validEmail(input.email); });
    if (creating || input.path !== undefined) take('path', () => { w.path = validPath(input.path); });
    if (creating || input.type !== undefined) take('type', () => { w.type = validUserType(input.type) as UserType; });
    if (input.isActive !== undefined) take('is_active', () => { w.isActive = validBoolean(input.isActive, 'is_active'); });
    if (input.attributes !== undefined) take('attributes', () => { w.attributes = validAttributes(input.attributes, allowYaml) as JsonObject; });
    if (input.externalId !== undefined) {
      if (input.externalId !== null && typeof input.externalId !== 'string') problems.external_id = 'must be a string';
      else w.externalId = (input.externalId as string | null) || null;
    }
    if (input.password !== undefined && input.password !== null && typeof input.password !== 'string') problems.password = 'must be a string';
    if (Object.keys(problems).length > 0) {
      throw new InvalidValue(Object.entries(problems).map(([k, v]) => `${k}: ${v}`).join('; '), problems);
    }
    return w;
  }
}

/** The actor of a self-service change (the recovery page): the user itself. */
function SELF(user: User | null): Actor {
  return { userId: user?.id ?? null, username: user?.username ?? null };
}

/** The changed fields for an event, without secrets. */
/** What changed, in the API's field names (is_active, not isActive); never the hash. */
function describe(w: UserWrite): Record<string, unknown> {
  const { passwordHash: _never, passwordMustChange: _flag, ...rest } = w;
  return apiFieldNames(rest);
}
