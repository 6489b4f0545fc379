import { shapeFields } from './catalogue.js';
import type { Group, User } from './types.js';

/**
 * The public shapes of a user and a group, as every door that speaks JSON writes them (admin API,
 * command line `--json`, export notifications): never a password or a hash.
 */
export function userShape(u: User): Record<string, unknown> {
  const record = u as unknown as Readonly<Record<string, unknown>>;
  return Object.fromEntries(USER_SHAPE.map((f) => {
    const v = record[f.doors.shape!.property];
    return [f.name, v instanceof Date ? v.toISOString() : v ?? null];
  }));
}

/** The catalogue's user shape (DESIGN.md "Shapes"): the fields, in order, that leave the server. */
const USER_SHAPE = shapeFields('users');

export function groupShape(g: Group, parents: readonly string[]) {
  return { id: g.id, name: g.name, is_superuser: g.isSuperuser, parents: [...parents], attributes: g.attributes };
}
