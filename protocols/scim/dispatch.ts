/**
 * One write operation on a resource by method and path, shared by the HTTP routes and Bulk.
 */
import type { Json } from './canonical.js';
import type { Preconditions, ScimContext, ScimResult, Unit } from './context.js';
import { ScimError, badRequest } from './errors.js';
import { createGroup, deleteGroup, patchGroup, replaceGroup } from './groups-resource.js';
import type { Projection } from './projection.js';
import { createUser, deleteUser, patchUser, replaceUser } from './users-resource.js';

export type WriteMethod = 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Endpoint = 'Users' | 'Groups';

/** Runs one write inside `unit`. @throws ScimError and dirgate errors */
export async function write(
  ctx: ScimContext, method: WriteMethod, endpoint: Endpoint, id: string | undefined, body: Json | undefined,
  pre: Preconditions, unit: Unit, projection?: Projection,
): Promise<ScimResult> {
  if (method === 'POST') {
    if (id !== undefined) throw new ScimError(405, `POST is not allowed on /${endpoint}/${id}`);
    return endpoint === 'Users' ? createUser(ctx, body, unit) : createGroup(ctx, body, unit);
  }
  if (id === undefined) throw new ScimError(405, `${method} needs a resource: /${endpoint}/{id}`);
  switch (method) {
    case 'PUT': return endpoint === 'Users' ? replaceUser(ctx, id, body, pre, unit) : replaceGroup(ctx, id, body, pre, unit);
    case 'PATCH': return endpoint === 'Users' ? patchUser(ctx, id, body, pre, unit) : patchGroup(ctx, id, body, pre, projection, unit);
    case 'DELETE': return endpoint === 'Users' ? deleteUser(ctx, id, pre, unit) : deleteGroup(ctx, id, pre, unit);
    default: throw badRequest('invalidSyntax', `unsupported method ${String(method)}`);
  }
}
