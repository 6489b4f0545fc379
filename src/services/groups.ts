import { Conflict, InvalidValue, NotFound } from '../domain/errors.js';
import type { Actor, Group, User } from '../domain/types.js';
import { UUID, validAttributes, validBoolean, validGroupName } from '../domain/validation.js';
import type { Database } from '../store/database.js';
import {
  addChildGroups, addMembers, ancestorIds, bumpGroupVersion, childrenOfGroups, clearChildGroups, clearMembers,
  deleteGroupRow, findGroupById, findGroupByName, findGroupsByIds, insertGroup, lockGroupGraph, memberUserIds,
  membersOfGroups, parentIds, parentsOfGroups, removeChildGroups, removeMembers, setParents, updateGroup,
  type GroupWrite,
} from '../store/groups-store.js';
import { existingUserIds } from '../store/users-store.js';
import type { DelegationRules } from './delegation-rules.js';
import { apiFieldNames, recordEvent, recordEventPerTarget } from './events.js';
import { inTransaction, queryable, type TxOptions } from './transactions.js';
import { listGroups, type PageOptions } from './listing.js';
import type { Validated } from '../query/validate.js';
import { PreconditionFailed } from '../domain/errors.js';
import type { Knex } from 'knex';

export interface GroupInput {
  name?: unknown;
  isSuperuser?: unknown;
  attributes?: unknown;
  externalId?: unknown;
  /** Parent group ids (replaces the set). */
  parents?: unknown;
}

export interface GroupWriteOptions extends TxOptions {
  readonly ifVersion?: number;
  readonly allowYamlAttributes?: boolean;
}

export class GroupService {
  constructor(private readonly db: Database, private readonly rules: DelegationRules) {}

  /** @throws NotFound */
  async get(id: string, opts?: TxOptions): Promise<Group> {
    const g = await findGroupById(queryable(this.db, opts), id);
    if (!g) throw new NotFound(`no group with id ${id}`);
    return g;
  }

  /**
   * A group named by its id or its name (unique ignoring case); an id wins.
   * @throws NotFound
   */
  async resolve(ref: string, opts?: TxOptions): Promise<Group> {
    if (UUID.test(ref)) {
      const byId = await findGroupById(queryable(this.db, opts), ref);
      if (byId) return byId;
    }
    const byName = await this.findByName(ref, opts);
    if (!byName) throw new NotFound(`no group with id or name ${ref}`);
    return byName;
  }

  /** One page of groups matching a validated query, and the total. */
  async list(v: Validated, opts: PageOptions): Promise<{ groups: Group[]; total: number }> {
    return listGroups(this.db, v, opts);
  }

  async findByName(name: string, opts?: TxOptions): Promise<Group | null> {
    return findGroupByName(queryable(this.db, opts), name);
  }

  async getMany(ids: readonly string[], opts?: TxOptions): Promise<Group[]> {
    return findGroupsByIds(queryable(this.db, opts), ids);
  }

  /** Direct user members of each group. */
  async membersOf(groupIds: readonly string[], opts?: TxOptions): Promise<Map<string, User[]>> {
    return membersOfGroups(queryable(this.db, opts), groupIds);
  }

  async parentsOf(groupIds: readonly string[], opts?: TxOptions): Promise<Map<string, Group[]>> {
    return parentsOfGroups(queryable(this.db, opts), groupIds);
  }

  async childrenOf(groupIds: readonly string[], opts?: TxOptions): Promise<Map<string, Group[]>> {
    return childrenOfGroups(queryable(this.db, opts), groupIds);
  }

  /** @throws InvalidValue, AlreadyExists, NotFound (unknown parent), Conflict (cycle) */
  async create(input: GroupInput, actor: Actor, opts: GroupWriteOptions = {}): Promise<Group> {
    const write = this.validate(input, true, opts.allowYamlAttributes) as GroupWrite & { name: string };
    await this.checkGrants(actor, null, write, input.parents, opts);
    return inTransaction(this.db, opts, async (trx) => {
      const group = await insertGroup(trx, write);
      if (input.parents !== undefined) await this.replaceParents(trx, group.id, input.parents);
      await recordEvent(trx, actor, 'group_created', { type: 'group', id: group.id }, { name: group.name, changed: apiFieldNames(write) });
      return group;
    });
  }

  /** @throws NotFound, InvalidValue, AlreadyExists, Conflict, PreconditionFailed */
  async update(id: string, input: GroupInput, actor: Actor, opts: GroupWriteOptions = {}): Promise<Group> {
    const write = this.validate(input, false, opts.allowYamlAttributes);
    await this.rules.protectGroups(actor, [id], 'change', opts);
    await this.checkGrants(actor, id, write, input.parents, opts);
    return this.rules.lockedTransaction(opts, async (trx) => {
      const mayRemove = write.isSuperuser === false || input.parents !== undefined;
      const keep = mayRemove ? await this.rules.keepASuperuser(trx, actor, 'change this group', { type: 'group', id }) : null;
      const before = await findGroupById(trx, id);
      if (!before) throw new NotFound(`no group with id ${id}`);
      if (input.parents !== undefined) await this.replaceParents(trx, id, input.parents);
      const group = await updateGroup(trx, id, write, opts.ifVersion);
      await keep?.();
      await recordEvent(trx, actor, 'group_updated', { type: 'group', id }, { name: group.name, changed: { ...apiFieldNames(write), ...(input.parents !== undefined ? { parents: input.parents } : {}) } });
      return group;
    });
  }

  /** @throws NotFound, PreconditionFailed */
  async delete(id: string, actor: Actor, opts: GroupWriteOptions = {}): Promise<void> {
    await this.rules.protectGroups(actor, [id], 'delete', opts);
    await this.rules.lockedTransaction(opts, async (trx) => {
      const keep = await this.rules.keepASuperuser(trx, actor, 'delete this group', { type: 'group', id });
      const g = await findGroupById(trx, id);
      if (!g) throw new NotFound(`no group with id ${id}`);
      if (!(await deleteGroupRow(trx, id, opts.ifVersion))) throw new PreconditionFailed('the group was changed by someone else (version mismatch)');
      await keep();
      await recordEvent(trx, actor, 'group_deleted', { type: 'group', id }, { name: g.name });
    });
  }

  /**
   * Adds and removes user members and child groups in one transaction; bumps the group's version.
   * @throws NotFound (group or any member id), Conflict (a child group that would close a cycle)
   */
  async changeMembers(
    groupId: string,
    change: { addUsers?: readonly string[]; removeUsers?: readonly string[]; addGroups?: readonly string[]; removeGroups?: readonly string[]; replace?: boolean },
    actor: Actor,
    opts: GroupWriteOptions = {},
  ): Promise<Group> {
    await this.rules.protectGroups(actor, [groupId], 'change the members of', opts);
    await this.rules.protectUsers(actor, [...(change.addUsers ?? []), ...(change.removeUsers ?? [])], 'change the groups of', opts);
    await this.rules.protectGroups(actor, [...(change.addGroups ?? []), ...(change.removeGroups ?? [])], 'change the parents of', opts);
    const removes = !!change.replace || (change.removeUsers?.length ?? 0) > 0 || (change.removeGroups?.length ?? 0) > 0;
    return this.rules.lockedTransaction(opts, async (trx) => {
      const keep = removes ? await this.rules.keepASuperuser(trx, actor, 'remove these members', { type: 'group', id: groupId }) : null;
      const group = await findGroupById(trx, groupId);
      if (!group) throw new NotFound(`no group with id ${groupId}`);
      if (opts.ifVersion !== undefined && group.version !== opts.ifVersion) throw new PreconditionFailed('the group was changed by someone else (version mismatch)');
      const addUsers = [...new Set(change.addUsers ?? [])];
      const addGroups = [...new Set(change.addGroups ?? [])];
      if (addUsers.length > 0) {
        const found = await existingUserIds(trx, addUsers);
        const missing = addUsers.find((u) => !found.has(u));
        if (missing !== undefined) throw new NotFound(`no user with id ${missing}`);
      }
      if (addGroups.length > 0) {
        await lockGroupGraph(trx);
        const found = await findGroupsByIds(trx, addGroups);
        if (found.length !== addGroups.length) {
          const missing = addGroups.find((g) => !found.some((f) => f.id === g));
          throw new NotFound(`no group with id ${missing}`);
        }
        const ancestors = await ancestorIds(trx, [groupId]);
        for (const child of addGroups) {
          if (ancestors.has(child)) throw new Conflict(`adding group ${child} as a member of ${group.name} would create a cycle`);
        }
      }
      if (change.replace) {
        await clearMembers(trx, groupId);
        await clearChildGroups(trx, groupId);
      }
      await removeMembers(trx, groupId, change.removeUsers ?? []);
      await removeChildGroups(trx, groupId, change.removeGroups ?? []);
      await addMembers(trx, groupId, addUsers);
      await addChildGroups(trx, groupId, addGroups);
      await bumpGroupVersion(trx, groupId);
      await keep?.();
      await recordEvent(trx, actor, 'group_members_changed', { type: 'group', id: groupId }, {
        name: group.name, added_users: addUsers, removed_users: change.removeUsers ?? [], added_groups: addGroups,
        removed_groups: change.removeGroups ?? [], replaced: !!change.replace,
      });
      // The same change, seen from each user it touched, so it shows among that user's events.
      const seen = { group: group.name, group_id: groupId };
      await recordEventPerTarget(trx, actor, 'group_membership_added', addUsers.map((id) => ({ type: 'user', id })), seen);
      await recordEventPerTarget(trx, actor, 'group_membership_removed', (change.removeUsers ?? []).map((id) => ({ type: 'user', id })), seen);
      return (await findGroupById(trx, groupId))!;
    });
  }

  async memberIds(groupId: string, opts?: TxOptions): Promise<string[]> {
    return memberUserIds(queryable(this.db, opts), groupId);
  }

  async parentIdsOf(groupId: string, opts?: TxOptions): Promise<string[]> {
    return parentIds(queryable(this.db, opts), groupId);
  }

  /** Making a group superuser, or giving it a parent that grants superuser, is for superusers. */
  private async checkGrants(actor: Actor, id: string | null, write: GroupWrite, parents: unknown, opts: TxOptions): Promise<void> {
    const target = id ? { type: 'group', id } : null;
    if (write.isSuperuser === true) await this.rules.requireSuperuserTo(actor, 'make a group superuser', target, opts);
    if (Array.isArray(parents) && parents.every((p) => typeof p === 'string')) {
      await this.rules.protectGroups(actor, parents as string[], 'add a child to', opts);
    }
  }

  private async replaceParents(trx: Knex.Transaction, groupId: string, parents: unknown): Promise<void> {
    if (!Array.isArray(parents) || parents.some((p) => typeof p !== 'string')) throw InvalidValue.field('parents', 'must be a list of group ids');
    const unique = [...new Set(parents as string[])];
    await lockGroupGraph(trx);
    const found = await findGroupsByIds(trx, unique);
    if (found.length !== unique.length) {
      const missing = unique.find((p) => !found.some((f) => f.id === p));
      throw InvalidValue.field('parents', `no group with id ${missing}`);
    }
    if (unique.includes(groupId)) throw new Conflict('a group cannot be its own parent');
    for (const p of unique) {
      const ancestorsOfParent = await ancestorIds(trx, [p]);
      if (ancestorsOfParent.has(groupId)) throw new Conflict(`making ${p} a parent would create a cycle`);
    }
    await setParents(trx, groupId, unique);
  }

  private validate(input: GroupInput, creating: boolean, allowYaml = false): GroupWrite {
    const w: GroupWrite = {};
    const problems: Record<string, string> = {};
    const take = (fn: () => void) => {
      try { fn(); } catch (e) { if (e instanceof InvalidValue) Object.assign(problems, e.fields); else throw e; }
    };
    if (creating || input.name !== undefined) take(() => { w.name = validGroupName(input.name); });
    if (input.isSuperuser !== undefined) take(() => { w.isSuperuser = validBoolean(input.isSuperuser, 'is_superuser'); });
    if (input.attributes !== undefined) take(() => { w.attributes = validAttributes(input.attributes, allowYaml); });
    if (input.externalId !== undefined) {
      if (input.externalId !== null && typeof input.externalId !== 'string') problems.external_id = 'must be a string';
      else w.externalId = (input.externalId as string | null) || null;
    }
    if (Object.keys(problems).length > 0) throw new InvalidValue(Object.entries(problems).map(([k, v]) => `${k}: ${v}`).join('; '), problems);
    return w;
  }
}
