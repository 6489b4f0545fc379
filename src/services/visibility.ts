/**
 * Who sees what in the directory (DESIGN.md "LDAP tree"), written once: superusers and holders
 * of `ldap.search_full_directory` see every entry; any other signed-in user its own entry and
 * the groups it belongs to, directly or through child groups; nobody else any entry (an
 * anonymous LDAP client may read only the root DSE, which is no directory entry).
 */
import { compare, FALSE, hasMember, TRUE, type QueryNode } from '../query/ast.js';
import type { Entity } from '../domain/catalogue.js';
import { restrict, type Validated } from '../query/validate.js';

/** Who is looking, as the rule needs it; null for an anonymous client. */
export interface Viewer {
  readonly id: string;
  readonly username: string;
  /** Superuser, or holder of `ldap.search_full_directory` (directly, or via groups and their parents). */
  readonly fullAccess: boolean;
}

/** The entries of `entity` the viewer may see, as a query node. */
export function visibleTo(viewer: Viewer | null, entity: Entity): QueryNode {
  if (!viewer) return FALSE;
  if (viewer.fullAccess) return TRUE;
  switch (entity) {
    case 'users': return compare('id', 'eq', viewer.id);
    case 'groups': return hasMember({ entity: 'users', by: 'id', value: viewer.id }, true);
  }
}

/** `v`, narrowed to what the viewer may see. */
export function restrictToViewer(v: Validated, viewer: Viewer | null): Validated {
  const node = visibleTo(viewer, v.entity);
  return node.kind === 'true' ? v : restrict(v, node);
}
