/**
 * Server-side sorting (RFC 2891, request 1.2.840.113556.1.4.473, response …474) on the
 * attributes backed by an indexed column: uid/cn (username), displayName (name), mail (email)
 * for users, cn for groups. Sorting runs in SQL, so paging and sorting combine.
 */
import { ldapSortNames, sortColumnOf, type Entity } from '../../src/domain/catalogue.js';
import { BerReader, BerWriter } from './ber.js';
import { CONTROL } from './root-dse.js';
import type { ResponseControl } from './responses.js';

export interface SortKey {
  readonly attribute: string;
  readonly reverse: boolean;
}

/** @throws BerError when the control value is malformed. */
export function decodeSortControl(value: Buffer | null): SortKey[] {
  if (!value) return [];
  const list = new BerReader(value).readSequence();
  const keys: SortKey[] = [];
  while (list.hasMore()) {
    const k = list.readSequence();
    const attribute = k.readString();
    let reverse = false;
    while (k.hasMore()) {
      const tag = k.peekTag();
      if (tag === 0x80) k.readString(0x80); // orderingRule: we sort by the field's own rule
      else if (tag === 0x81) reverse = k.readBool(0x81);
      else k.skip();
    }
    keys.push({ attribute, reverse });
  }
  return keys;
}

/** Sort attribute (lowercase) → catalogue field: the catalogue's `ldapSort` names. */
const sortTable = (entity: Entity): Readonly<Record<string, string>> =>
  Object.fromEntries([...ldapSortNames(entity)].map(([a, f]) => [a, f.name]));
const USER_SORT = sortTable('users');
const GROUP_SORT = sortTable('groups');

/**
 * The ordering text (`-username,email`) for an entity, or the first attribute we cannot sort on.
 * Attributes that only the other entity has are skipped: the entity's entries all lack them, and
 * a search over both kinds merges the two orderings (search.ts).
 */
export function orderingFor(keys: readonly SortKey[], entity: 'users' | 'groups'): { ordering: string } | { unsupported: string } {
  const parts: string[] = [];
  for (const k of keys) {
    const a = k.attribute.toLowerCase();
    if (!Object.hasOwn(USER_SORT, a) && !Object.hasOwn(GROUP_SORT, a)) return { unsupported: k.attribute };
    const table = entity === 'users' ? USER_SORT : GROUP_SORT;
    const field = Object.hasOwn(table, a) ? table[a] : undefined;
    if (field) parts.push(`${k.reverse ? '-' : ''}${field}`);
  }
  return { ordering: parts.join(',') };
}

/**
 * The column (the ordering's key column, as the database sorts it) behind a sort attribute for
 * an entity, or undefined when entries of that entity lack the attribute (they then sort as
 * entries without a value: after all others, before them when reversed, as NULLs do).
 */
export function sortColumn(attribute: string, entity: 'users' | 'groups'): string | undefined {
  const a = attribute.toLowerCase();
  const table = entity === 'users' ? USER_SORT_COLUMN : GROUP_SORT_COLUMN;
  return Object.hasOwn(table, a) ? table[a] : undefined;
}
const sortColumns = (entity: Entity): Readonly<Record<string, string>> =>
  Object.fromEntries([...ldapSortNames(entity)].map(([a, f]) => [a, sortColumnOf(f).column]));
const USER_SORT_COLUMN = sortColumns('users');
const GROUP_SORT_COLUMN = sortColumns('groups');

export function sortResponse(code: number, attribute?: string): ResponseControl {
  const w = new BerWriter(32);
  w.startSequence();
  w.writeEnum(code);
  if (attribute) w.writeString(attribute, 0x80);
  w.endSequence();
  return { oid: CONTROL.SORT_RESPONSE, value: Buffer.from(w.toBuffer()) };
}
