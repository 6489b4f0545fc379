/**
 * Group membership changes from PATCH operations, composed in order into one delta (clear?,
 * add, remove) so they become a single `changeMembers` call: adds and removes of different
 * members by concurrent requests never overwrite each other.
 */
import type { Json } from './canonical.js';
import { canonicalValue } from './canonical.js';
import type { ScimContext, Unit } from './context.js';
import { badRequest } from './errors.js';
import { memberRefs } from './group-mapping.js';
import type { PatchOpName } from './patch.js';
import { matchesElement, memberIdsOf, type ScimPath } from './paths.js';

type MemberType = 'User' | 'Group' | undefined;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class MemberDelta {
  replace = false;
  readonly add = new Map<string, MemberType>();
  readonly remove = new Set<string>();

  get empty(): boolean {
    return !this.replace && this.add.size === 0 && this.remove.size === 0;
  }

  /**
   * Records one operation on `members`. `current` lists the members as SCIM elements; it is
   * only needed for a remove whose filter is more than `value eq "…"`.
   * @throws ScimError 400 invalidPath / invalidValue
   */
  apply(op: PatchOpName, path: ScimPath, value: unknown, current: readonly Json[]): void {
    if (path.sub) throw badRequest('invalidPath', `${path.text}: member sub-attributes cannot be changed; add or remove the member`);
    if (path.filter) {
      // Okta removes a member with `{"op":"remove","path":"members[value eq \"<id>\"]"}` (Microsoft Entra ID too).
      if (op !== 'remove') throw badRequest('invalidPath', `${path.text}: use remove with a members filter, then add`);
      const ids = memberIdsOf(path.filter) ?? current.filter((m) => matchesElement(path.filter!, m)).map((m) => String(m.value));
      this.removeIds(ids.map((id) => id.toLowerCase()));
      return;
    }
    const refs = memberRefs(canonicalValue(value, path.attr!, 'members'));
    if (op === 'add') {
      for (const r of refs) { this.add.set(r.id, r.type); this.remove.delete(r.id); }
    } else if (op === 'replace') {
      // Okta pushes a group's whole membership as `{"op":"replace","path":"members","value":[…]}`.
      this.replace = true;
      this.add.clear();
      this.remove.clear();
      for (const r of refs) this.add.set(r.id, r.type);
    } else if (refs.length > 0) {
      this.removeIds(refs.map((r) => r.id));
    } else {
      this.replace = true;
      this.add.clear();
      this.remove.clear();
    }
  }

  private removeIds(ids: readonly string[]): void {
    for (const id of ids) {
      this.add.delete(id);
      if (!this.replace) this.remove.add(id);
    }
  }

  /**
   * Writes the delta through `changeMembers`, telling users from groups by looking the ids up.
   * @throws ScimError 400 invalidValue for an id that is neither a user nor a group.
   */
  async commit(ctx: ScimContext, groupId: string, unit: Unit): Promise<void> {
    if (this.empty) return;
    const { users, groups } = await classify(ctx, this.add, unit);
    const removing = [...this.remove].filter((id) => UUID.test(id));
    await ctx.services.groups.changeMembers(groupId, {
      replace: this.replace, addUsers: users, addGroups: groups, removeUsers: removing, removeGroups: removing,
    }, ctx.actor, { unit });
  }
}

/** Splits member ids into user ids and group ids. @throws ScimError 400 invalidValue */
export async function classify(ctx: ScimContext, refs: ReadonlyMap<string, MemberType>, unit: Unit): Promise<{ users: string[]; groups: string[] }> {
  const ids = [...refs.keys()];
  if (ids.length === 0) return { users: [], groups: [] };
  const maybeUsers = ids.filter((id) => refs.get(id) !== 'Group');
  const users = new Set((await ctx.services.users.getMany(maybeUsers, { unit })).map((u) => u.id));
  const rest = ids.filter((id) => !users.has(id));
  const groups = new Set(rest.length ? (await ctx.services.groups.getMany(rest, { unit })).map((g) => g.id) : []);
  const missing = rest.find((id) => !groups.has(id));
  if (missing !== undefined) throw badRequest('invalidValue', `no user or group with id ${missing}`);
  return { users: [...users], groups: [...groups] };
}
