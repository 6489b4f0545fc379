import type { Group, User } from './types.js';

/**
 * The public shapes of a user and a group, as every door that speaks JSON writes them (admin API,
 * command line `--json`, export notifications): never a password or a hash.
 */
export function userShape(u: User) {
  return {
    id: u.id, username: u.username, name: u.name, email: u.email, path: u.path, type: u.type,
    is_active: u.isActive, attributes: u.attributes, last_login: u.lastLogin ? u.lastLogin.toISOString() : null,
    date_joined: u.createdAt.toISOString(),
  };
}

export function groupShape(g: Group, parents: readonly string[]) {
  return { id: g.id, name: g.name, is_superuser: g.isSuperuser, parents: [...parents], attributes: g.attributes };
}
