/**
 * Group ↔ SCIM Group: displayName ↔ name (unique ignoring case), externalId ↔ external_id,
 * members ↔ direct user members and child groups (nested groups: a child group is a member).
 */
import type { GroupInput } from '../../src/services/groups.js';
import type { Group, User } from '../../src/domain/types.js';
import type { Json } from './canonical.js';
import { badRequest } from './errors.js';
import { meta } from './resource-meta.js';
import { GROUP_SCHEMA } from './schemas.js';

export interface Members {
  readonly users: readonly User[];
  readonly groups: readonly Group[];
}

export function memberElements(members: Members, base: string): Json[] {
  return [
    ...members.users.map((u) => ({ value: u.id, $ref: `${base}/Users/${u.id}`, display: u.username, type: 'User' })),
    ...members.groups.map((g) => ({ value: g.id, $ref: `${base}/Groups/${g.id}`, display: g.name, type: 'Group' })),
  ];
}

/** The SCIM representation of a group; `members` omitted when not loaded. */
export function groupToScim(group: Group, members: Members | undefined, base: string): Json {
  const doc: Json = { schemas: [GROUP_SCHEMA], id: group.id };
  if (group.externalId) doc.externalId = group.externalId;
  doc.displayName = group.name;
  if (members) doc.members = memberElements(members, base);
  doc.meta = meta('Group', group, `${base}/Groups/${group.id}`);
  return doc;
}

/** The domain input for a canonical SCIM Group (members are handled separately). @throws ScimError */
export function groupInputFromScim(doc: Json): GroupInput & { name: string } {
  const name = doc.displayName;
  if (typeof name !== 'string' || name.trim() === '') throw badRequest('invalidValue', 'displayName is required');
  const externalId = doc.externalId;
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string') throw badRequest('invalidValue', 'externalId must be a string');
  return { name, externalId: (externalId as string | undefined) ?? null };
}

/** The member ids (and their declared types) of a canonical `members` value. @throws ScimError */
export function memberRefs(value: unknown): Array<{ id: string; type?: 'User' | 'Group' }> {
  if (value === null || value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((m, i) => {
    const v = (m as Json | null)?.value;
    if (typeof v !== 'string' || v === '') throw badRequest('invalidValue', `members[${i}].value must be a member id`);
    const t = (m as Json).type;
    const type = typeof t === 'string' && /^(user|group)$/i.test(t) ? (t.toLowerCase() === 'user' ? 'User' : 'Group') : undefined;
    return type ? { id: v.toLowerCase(), type } : { id: v.toLowerCase() };
  });
}
