/**
 * Orderings (`ordering=-username,email`) for offset and keyset pagination. Every ordering ends
 * with `seq`, unique and never NULL, so pages are stable. NULLs sort last ascending and first
 * descending on both dialects (PostgreSQL's default, spelled out for SQLite), so a descending
 * ordering is exactly the reverse of the ascending one.
 */
import { InvalidQuery } from '../domain/errors.js';
import { ENTITY_TABLE, orderFields, sortColumnOf } from '../domain/catalogue.js';
import type { Entity } from '../domain/catalogue.js';
import type { SqlFragment } from './sql-text.js';

export interface OrderKey {
  /** The name asked for (`username`), or `seq` for the final tiebreaker. */
  readonly field: string;
  /** The column ordered by (the shadow column for case-insensitive text). */
  readonly column: string;
  readonly desc: boolean;
  readonly nullable: boolean;
}

export interface Ordering {
  readonly entity: Entity;
  readonly keys: readonly OrderKey[];
}

type Orderable = Readonly<Record<string, { column: string; nullable: boolean }>>;

/** The catalogue's orderable fields, each with the column it sorts by. */
const orderable = (entity: Entity): Orderable => Object.fromEntries(orderFields(entity).map((f) => [f.name, sortColumnOf(f)]));

const ORDERABLE: Readonly<Record<Entity, Orderable>> = { users: orderable('users'), groups: orderable('groups') };

const SEQ: OrderKey = Object.freeze({ field: 'seq', column: 'seq', desc: false, nullable: false });

/** Field names an entity can be ordered by. */
export function orderableFields(entity: Entity): readonly string[] {
  return Object.keys(ORDERABLE[entity]);
}

/**
 * Parses `-username,email` (a `-` means descending); empty text orders by `seq` only.
 * @throws InvalidQuery naming the field and its 1-based column.
 */
export function parseOrdering(text: string, entity: Entity): Ordering {
  const keys: OrderKey[] = [];
  const seen = new Set<string>();
  let offset = 0;
  for (const raw of text.split(',')) {
    const trimmed = raw.trim();
    const column = offset + raw.indexOf(trimmed) + 1;
    offset += raw.length + 1;
    if (trimmed === '') {
      if (text.trim() === '') continue;
      throw new InvalidQuery(`empty ordering field at column ${column}`, column);
    }
    const desc = trimmed.startsWith('-');
    const name = desc ? trimmed.slice(1).trim() : trimmed.replace(/^\+/, '').trim();
    const def = Object.prototype.hasOwnProperty.call(ORDERABLE[entity], name) ? ORDERABLE[entity][name] : undefined;
    if (!def) {
      throw new InvalidQuery(`cannot order by "${name}" at column ${column}; use one of ${orderableFields(entity).join(', ')}`, column);
    }
    if (seen.has(name)) continue;
    seen.add(name);
    keys.push(Object.freeze({ field: name, column: def.column, desc, nullable: def.nullable }));
  }
  keys.push(SEQ);
  return Object.freeze({ entity, keys: Object.freeze(keys) });
}

/** `ORDER BY` list (without the keywords). */
export function compileOrderBy(o: Ordering, alias?: string): string {
  const a = alias ?? ENTITY_TABLE[o.entity];
  return o.keys.map((k) => {
    const nulls = k.nullable ? (k.desc ? ' NULLS FIRST' : ' NULLS LAST') : '';
    return `${a}.${k.column} ${k.desc ? 'DESC' : 'ASC'}${nulls}`;
  }).join(', ');
}

/**
 * The rows strictly after `lastRow` (a raw row as the store returned it) in ordering `o`,
 * for keyset pagination: `(k1 after) OR (k1 same AND k2 after) OR …`.
 * @throws InvalidQuery when `lastRow` lacks a key column.
 */
export function keysetAfter(o: Ordering, lastRow: Readonly<Record<string, unknown>>, alias?: string): SqlFragment {
  const a = alias ?? ENTITY_TABLE[o.entity];
  const bindings: unknown[] = [];
  const alternatives: string[] = [];
  const prefix: string[] = [];
  const prefixBindings: unknown[] = [];
  for (const k of o.keys) {
    if (!(k.column in lastRow)) throw new InvalidQuery(`keyset row lacks column "${k.column}"`);
    const value = lastRow[k.column];
    const c = `${a}.${k.column}`;
    let after: string | undefined;
    const afterBindings: unknown[] = [];
    if (value === null || value === undefined) {
      if (k.desc) after = `${c} IS NOT NULL`;
    } else if (k.desc) {
      after = `${c} < ?`;
      afterBindings.push(value);
    } else {
      after = k.nullable ? `(${c} > ? OR ${c} IS NULL)` : `${c} > ?`;
      afterBindings.push(value);
    }
    if (after !== undefined) {
      alternatives.push(prefix.length ? `(${[...prefix, after].join(' AND ')})` : after);
      bindings.push(...prefixBindings, ...afterBindings);
    }
    if (value === null || value === undefined) {
      prefix.push(`${c} IS NULL`);
    } else {
      prefix.push(`${c} = ?`);
      prefixBindings.push(value);
    }
  }
  return { sql: alternatives.length ? `(${alternatives.join(' OR ')})` : '1 = 0', bindings };
}
