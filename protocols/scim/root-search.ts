/**
 * `POST /.search` at the root (RFC 7644 §3.4.3): Users then Groups, one page over both. A
 * filter naming an attribute only one resource type has matches nothing of the other type;
 * a filter neither type understands is an error.
 */
import { InvalidQuery } from '../../src/domain/errors.js';
import type { Validated } from '../../src/query/validate.js';
import { matchNothing } from '../../src/query/validate.js';
import type { Json } from './canonical.js';
import type { ScimContext, ScimResult } from './context.js';
import { groupsQuery, listGroupsPage } from './groups-resource.js';
import type { ListParams } from './list-params.js';
import { parseProjection } from './projection.js';
import { GROUP_TYPE, LIST_SCHEMA, USER_TYPE } from './schemas.js';
import { listUsersPage, usersQuery } from './users-resource.js';

function either(build: () => Validated): Validated | InvalidQuery {
  try {
    return build();
  } catch (e) {
    if (e instanceof InvalidQuery) return e;
    throw e;
  }
}

export async function rootSearch(ctx: ScimContext, params: ListParams, body: Json): Promise<ScimResult> {
  const u = either(() => usersQuery(ctx, params.filter));
  const g = either(() => groupsQuery(ctx, params.filter));
  if (u instanceof InvalidQuery && g instanceof InvalidQuery) throw u;
  const userParams = { ...params, projection: parseProjection(body.attributes, body.excludedAttributes, USER_TYPE) };
  const groupParams = { ...params, projection: parseProjection(body.attributes, body.excludedAttributes, GROUP_TYPE) };
  const users = await listUsersPage(ctx, userParams, u instanceof InvalidQuery ? matchNothing('users') : u);
  const remaining = params.count - users.resources.length;
  const groupOffset = Math.max(0, params.offset - users.total);
  const groups = await listGroupsPage(ctx, groupParams, g instanceof InvalidQuery ? matchNothing('groups') : g, remaining, groupOffset);
  const resources = [...users.resources, ...groups.resources];
  return {
    status: 200,
    body: { schemas: [LIST_SCHEMA], totalResults: users.total + groups.total, startIndex: params.startIndex, itemsPerPage: resources.length, Resources: resources },
  };
}
