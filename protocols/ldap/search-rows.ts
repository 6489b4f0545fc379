/**
 * The rows of a search: pages of user or group entries read through the directory service
 * (which narrows them to what the viewer may see), each row with its keyset position and its
 * SearchResultEntry encoding. Member and group names are read only when the requested
 * attributes need them.
 */
import type { Ordering } from '../../src/query/ordering.js';
import type { Validated } from '../../src/query/validate.js';
import type { KeysetPosition, Viewer } from '../../src/services/directory.js';
import type { Dit } from './dit.js';
import { groupEntry, userEntry, wants, type Selection } from './entries.js';
import { encodeEntry } from './responses.js';
import type { Entity } from './search-plan.js';
import type { LdapContext } from './session.js';

/** What the entries of one search look like on the wire. */
export interface EntryShape {
  readonly messageId: number;
  readonly selection: Selection;
  readonly typesOnly: boolean;
}

/** One row read, not yet encoded (a merge may never send it). */
export interface EntryRow {
  readonly key: KeysetPosition;
  readonly seq: number;
  encode(): Buffer;
}

export interface PageRead {
  readonly viewer: Viewer;
  readonly query: Validated;
  readonly ordering: Ordering;
  readonly after: KeysetPosition | null;
  readonly limit: number;
  /** Let the statement check the viewer itself (see DirectoryPage.checkViewer). */
  readonly checkViewer: boolean;
}

/** Up to `limit` rows of `entity` after `after`, as the viewer may see them. @throws Unavailable */
export async function readRows(ctx: LdapContext, shape: EntryShape, entity: Entity, p: PageRead): Promise<EntryRow[]> {
  const { directory } = ctx.services;
  const sel = shape.selection;
  const page = { ordering: p.ordering, limit: p.limit, after: p.after, checkViewer: p.checkViewer };
  const entry = (dn: string, attrs: Parameters<typeof encodeEntry>[2]) => encodeEntry(shape.messageId, dn, attrs, shape.typesOnly);
  const dit: Dit = ctx.dit;
  if (entity === 'users') {
    const records = await directory.users(p.viewer, p.query, { ...page, memberOf: wants(sel, 'memberof'), superuser: wants(sel, 'dirgatesuperuser') });
    return records.map((r) => ({
      key: r.key, seq: r.user.seq,
      encode: () => entry(dit.userDn(r.user.username), userEntry(dit, r.user, r.memberOf ?? [], r.superuser === true, sel)),
    }));
  }
  const memberDns = wants(sel, 'member') || wants(sel, 'uniquemember');
  const records = await directory.groups(p.viewer, p.query, {
    ...page, memberUsers: memberDns || wants(sel, 'memberuid'), memberGroups: memberDns, parents: wants(sel, 'memberof'),
  });
  return records.map((r) => ({
    key: r.key, seq: r.group.seq,
    encode: () => entry(dit.groupDn(r.group.name), groupEntry(dit, r.group, r.memberUsers ?? [], r.memberGroups ?? [], r.parents ?? [], sel)),
  }));
}
