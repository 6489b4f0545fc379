/**
 * /Users: get, list, create, replace (PUT), patch, delete. Writes run inside the caller's
 * transaction, so a request with one bad PATCH operation changes nothing.
 */
import { PreconditionFailed } from '../../src/domain/errors.js';
import type { User } from '../../src/domain/types.js';
import type { GroupRef } from '../../src/services/listing.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { matchAll, type Validated } from '../../src/query/validate.js';
import { canonicalResource, isObject, type Json } from './canonical.js';
import type { Preconditions, ScimContext, ScimResult, Unit } from './context.js';
import { badRequest } from './errors.js';
import { orderingFor, type ListParams } from './list-params.js';
import { applyPatch, parsePatchRequest } from './patch.js';
import { project, wants, type Projection } from './projection.js';
import { checkIfMatch, etagOf, notModified } from './resource-meta.js';
import { LIST_SCHEMA, USER_TYPE } from './schemas.js';
import { userChanges, userInputFromScim, userToScim } from './user-mapping.js';

/** How often a PATCH re-reads and re-applies after losing a race with another writer. */
const PATCH_ATTEMPTS = 5;

async function render(ctx: ScimContext, users: readonly User[], projection: Projection, unit?: Unit): Promise<Json[]> {
  const groups = wants(projection, 'groups') && users.length > 0
    ? await ctx.services.users.groupsOf(users.map((u) => u.id), unit ? { unit } : undefined)
    : undefined;
  return shape(ctx, users, groups, projection);
}

function shape(ctx: ScimContext, users: readonly User[], groups: ReadonlyMap<string, readonly GroupRef[]> | undefined, projection: Projection): Json[] {
  return users.map((u) => project(userToScim(u, groups ? groups.get(u.id) ?? [] : undefined, ctx.base), projection));
}

function written(ctx: ScimContext, status: number, doc: Json, user: User): ScimResult {
  return { status, body: doc, etag: etagOf(user), location: `${ctx.base}/Users/${user.id}` };
}

export async function getUser(ctx: ScimContext, id: string, projection: Projection, pre: Preconditions = {}, unit?: Unit): Promise<ScimResult> {
  const user = await ctx.services.users.get(id, unit ? { unit } : undefined);
  if (notModified(pre.ifNoneMatch, user)) return { status: 304, etag: etagOf(user) };
  const [doc] = await render(ctx, [user], projection, unit);
  return { status: 200, body: doc!, etag: etagOf(user), location: `${ctx.base}/Users/${user.id}` };
}

/** The validated query for a Users filter (all users without one). @throws InvalidQuery, LimitExceeded */
export function usersQuery(ctx: ScimContext, filter: string | undefined): Validated {
  return filter === undefined ? matchAll('users') : parseScimFilter(filter, 'users', ctx.services.config.query);
}

export async function listUsersPage(ctx: ScimContext, params: ListParams, v: Validated, limit = params.count, offset = params.offset): Promise<{ resources: Json[]; total: number }> {
  const ordering = orderingFor(params, 'users');
  const opts = { limit, offset, ...(ordering ? { ordering } : {}) };
  if (wants(params.projection, 'groups')) {
    // The page and its users' groups in one statement.
    const { users, total, groups } = await ctx.services.users.listWithGroups(v, opts);
    return { resources: shape(ctx, users, groups, params.projection), total };
  }
  const { users, total } = await ctx.services.users.list(v, opts);
  return { resources: shape(ctx, users, undefined, params.projection), total };
}

export async function listUsersResponse(ctx: ScimContext, params: ListParams): Promise<ScimResult> {
  const { resources, total } = await listUsersPage(ctx, params, usersQuery(ctx, params.filter));
  return { status: 200, body: { schemas: [LIST_SCHEMA], totalResults: total, startIndex: params.startIndex, itemsPerPage: resources.length, Resources: resources } };
}

/** The ListResponse of a page read with its bearer check (router.ts `foldedUsersList`). */
export function listedUsersResponse(ctx: ScimContext, params: ListParams, page: { users: readonly User[]; total: number; groups: ReadonlyMap<string, readonly GroupRef[]> }): ScimResult {
  const resources = shape(ctx, page.users, page.groups, params.projection);
  return { status: 200, body: { schemas: [LIST_SCHEMA], totalResults: page.total, startIndex: params.startIndex, itemsPerPage: resources.length, Resources: resources } };
}

function resourceBody(body: unknown): Json {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a SCIM User object');
  return canonicalResource(body, USER_TYPE);
}

/** `POST /Users`. Okta sends `groups: []` and a `password`; both are fine (groups is read-only). */
export async function createUser(ctx: ScimContext, body: unknown, unit: Unit): Promise<ScimResult> {
  const input = userInputFromScim(resourceBody(body), null);
  const user = await ctx.services.users.create(input, ctx.actor, { unit });
  const [doc] = await render(ctx, [user], {}, unit);
  return written(ctx, 201, doc!, user);
}

/** `PUT /Users/{id}`: replaces what the body can set; id and meta are read-only. Okta sends PUT for every update. */
export async function replaceUser(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, unit: Unit): Promise<ScimResult> {
  const doc = resourceBody(body);
  const current = await ctx.services.users.get(id, { unit });
  if (typeof doc.id === 'string' && doc.id.toLowerCase() !== current.id) throw badRequest('mutability', 'id is read-only and does not match the resource');
  checkIfMatch(pre.ifMatch, current);
  const changes = userChanges(current, userInputFromScim(doc, current));
  const user = Object.keys(changes).length === 0 ? current
    : await ctx.services.users.update(id, changes, ctx.actor, { unit, ...(pre.ifMatch ? { ifVersion: current.version } : {}) });
  const [out] = await render(ctx, [user], {}, unit);
  return written(ctx, 200, out!, user);
}

/**
 * `PATCH /Users/{id}`: the operations are applied to the user's SCIM document, which is then
 * written back like a PUT. Without `If-Match`, losing a race with another writer re-reads and
 * re-applies, so concurrent PATCHes never overwrite each other.
 */
export async function patchUser(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, unit: Unit): Promise<ScimResult> {
  const ops = parsePatchRequest(body);
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.services.users.get(id, { unit });
    checkIfMatch(pre.ifMatch, current);
    const doc = userToScim(current, undefined, ctx.base);
    applyPatch(doc, ops, USER_TYPE);
    const changes = userChanges(current, userInputFromScim(doc, current, 'patch'));
    try {
      const user = Object.keys(changes).length === 0 ? current
        : await ctx.services.users.update(id, changes, ctx.actor, { unit, ifVersion: current.version });
      const [out] = await render(ctx, [user], {}, unit);
      return written(ctx, 200, out!, user);
    } catch (e) {
      if (!(e instanceof PreconditionFailed) || pre.ifMatch || attempt >= PATCH_ATTEMPTS) throw e;
    }
  }
}

export async function deleteUser(ctx: ScimContext, id: string, pre: Preconditions, unit: Unit): Promise<ScimResult> {
  const current = await ctx.services.users.get(id, { unit });
  checkIfMatch(pre.ifMatch, current);
  await ctx.services.users.delete(id, ctx.actor, { unit, ...(pre.ifMatch ? { ifVersion: current.version } : {}) });
  return { status: 204 };
}
