/**
 * /Groups: get, list, create, replace (PUT), patch, delete. Members are users and child groups.
 */
import type { Group } from '../../src/domain/types.js';
import { parseScimFilter } from '../../src/query/scim-filter.js';
import { matchAll, type Validated } from '../../src/query/validate.js';
import { canonicalResource, isObject, type Json } from './canonical.js';
import type { Preconditions, ScimContext, ScimResult, Unit } from './context.js';
import { badRequest } from './errors.js';
import { groupInputFromScim, groupToScim, memberElements, memberRefs, type Members } from './group-mapping.js';
import { orderingFor, type ListParams } from './list-params.js';
import { classify, MemberDelta } from './members.js';
import { applyPatch, parsePatchRequest, type PatchOp } from './patch.js';
import { memberIdsOf, parsePath } from './paths.js';
import { project, wants, type Projection } from './projection.js';
import { checkIfMatch, etagOf, notModified } from './resource-meta.js';
import { GROUP_TYPE, LIST_SCHEMA } from './schemas.js';

async function membersOf(ctx: ScimContext, ids: readonly string[], unit?: Unit): Promise<Map<string, Members>> {
  const opts = unit ? { unit } : undefined;
  const [users, groups] = await Promise.all([ctx.services.groups.membersOf(ids, opts), ctx.services.groups.childrenOf(ids, opts)]);
  return new Map(ids.map((id) => [id, { users: users.get(id) ?? [], groups: groups.get(id) ?? [] }]));
}

async function render(ctx: ScimContext, groups: readonly Group[], projection: Projection, unit?: Unit): Promise<Json[]> {
  // Microsoft Entra ID reads groups with excludedAttributes=members: then members are not even loaded.
  const members = wants(projection, 'members') && groups.length > 0 ? await membersOf(ctx, groups.map((g) => g.id), unit) : undefined;
  return groups.map((g) => project(groupToScim(g, members?.get(g.id), ctx.base), projection));
}

async function written(ctx: ScimContext, status: number, group: Group, unit: Unit, projection: Projection = {}): Promise<ScimResult> {
  const [doc] = await render(ctx, [group], projection, unit);
  return { status, body: doc!, etag: etagOf(group), location: `${ctx.base}/Groups/${group.id}` };
}

export async function getGroup(ctx: ScimContext, id: string, projection: Projection, pre: Preconditions = {}, unit?: Unit): Promise<ScimResult> {
  const group = await ctx.services.groups.get(id, unit ? { unit } : undefined);
  if (notModified(pre.ifNoneMatch, group)) return { status: 304, etag: etagOf(group) };
  const [doc] = await render(ctx, [group], projection, unit);
  return { status: 200, body: doc!, etag: etagOf(group), location: `${ctx.base}/Groups/${group.id}` };
}

/** @throws InvalidQuery, LimitExceeded */
export function groupsQuery(ctx: ScimContext, filter: string | undefined): Validated {
  return filter === undefined ? matchAll('groups') : parseScimFilter(filter, 'groups', ctx.services.config.query);
}

export async function listGroupsPage(ctx: ScimContext, params: ListParams, v: Validated, limit = params.count, offset = params.offset): Promise<{ resources: Json[]; total: number }> {
  const ordering = orderingFor(params, 'groups');
  const { groups, total } = await ctx.services.groups.list(v, { limit, offset, ...(ordering ? { ordering } : {}) });
  return { resources: await render(ctx, groups, params.projection), total };
}

export async function listGroupsResponse(ctx: ScimContext, params: ListParams): Promise<ScimResult> {
  const { resources, total } = await listGroupsPage(ctx, params, groupsQuery(ctx, params.filter));
  return { status: 200, body: { schemas: [LIST_SCHEMA], totalResults: total, startIndex: params.startIndex, itemsPerPage: resources.length, Resources: resources } };
}

function resourceBody(body: unknown): Json {
  if (!isObject(body)) throw badRequest('invalidSyntax', 'the body must be a SCIM Group object');
  return canonicalResource(body, GROUP_TYPE);
}

function refsMap(value: unknown): Map<string, 'User' | 'Group' | undefined> {
  return new Map(memberRefs(value).map((r) => [r.id, r.type]));
}

export async function createGroup(ctx: ScimContext, body: unknown, unit: Unit): Promise<ScimResult> {
  const doc = resourceBody(body);
  let group = await ctx.services.groups.create(groupInputFromScim(doc), ctx.actor, { unit });
  const { users, groups } = await classify(ctx, refsMap(doc.members), unit);
  if (users.length || groups.length) {
    group = await ctx.services.groups.changeMembers(group.id, { addUsers: users, addGroups: groups }, ctx.actor, { unit });
  }
  return written(ctx, 201, group, unit);
}

/** `PUT /Groups/{id}`: the body's members replace the membership (none given: no members). */
export async function replaceGroup(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, unit: Unit): Promise<ScimResult> {
  const doc = resourceBody(body);
  const current = await ctx.services.groups.get(id, { unit });
  if (typeof doc.id === 'string' && doc.id.toLowerCase() !== current.id) throw badRequest('mutability', 'id is read-only and does not match the resource');
  checkIfMatch(pre.ifMatch, current);
  const input = groupInputFromScim(doc);
  let group = current;
  if (input.name !== current.name || input.externalId !== current.externalId) {
    group = await ctx.services.groups.update(id, input, ctx.actor, { unit, ...(pre.ifMatch ? { ifVersion: current.version } : {}) });
  }
  const { users, groups } = await classify(ctx, refsMap(doc.members), unit);
  group = await ctx.services.groups.changeMembers(id, { replace: true, addUsers: users, addGroups: groups }, ctx.actor, { unit });
  return written(ctx, 200, group, unit);
}

/**
 * `PATCH /Groups/{id}`. Answers 204 (as Microsoft Entra ID and Okta expect) unless the request
 * asks for attributes, so adding one member to a large group never reads the whole membership.
 */
export async function patchGroup(ctx: ScimContext, id: string, body: unknown, pre: Preconditions, projection: Projection | undefined, unit: Unit): Promise<ScimResult> {
  const ops = parsePatchRequest(body);
  const current = await ctx.services.groups.get(id, { unit });
  checkIfMatch(pre.ifMatch, current);
  // A members filter beyond `value eq "…"` is evaluated on the current members.
  const members = needsMemberList(ops) ? memberElements((await membersOf(ctx, [id], unit)).get(id)!, ctx.base) : [];
  const doc = groupToScim(current, undefined, ctx.base);
  const delta = new MemberDelta();
  applyPatch(doc, ops, GROUP_TYPE, (op, path, value) => {
    if (path.extension || path.attr?.name !== 'members') return false;
    delta.apply(op, path, value, members);
    return true;
  });
  return finishPatch(ctx, current, doc, delta, pre, projection, unit);
}

function needsMemberList(ops: readonly PatchOp[]): boolean {
  return ops.some((op) => {
    if (op.path === undefined) return false;
    const p = parsePath(op.path, GROUP_TYPE);
    return p.attr?.name === 'members' && p.filter !== undefined && memberIdsOf(p.filter) === undefined;
  });
}

async function finishPatch(ctx: ScimContext, current: Group, doc: Json, delta: MemberDelta, pre: Preconditions, projection: Projection | undefined, unit: Unit): Promise<ScimResult> {
  const input = groupInputFromScim(doc);
  let group = current;
  if (input.name !== current.name || input.externalId !== current.externalId) {
    group = await ctx.services.groups.update(current.id, input, ctx.actor, { unit, ...(pre.ifMatch ? { ifVersion: current.version } : {}) });
  }
  if (!delta.empty) {
    await delta.commit(ctx, current.id, unit);
    group = await ctx.services.groups.get(current.id, { unit });
  }
  if (!projection) return { status: 204, etag: etagOf(group), location: `${ctx.base}/Groups/${group.id}` };
  return written(ctx, 200, group, unit, projection);
}

export async function deleteGroup(ctx: ScimContext, id: string, pre: Preconditions, unit: Unit): Promise<ScimResult> {
  const current = await ctx.services.groups.get(id, { unit });
  checkIfMatch(pre.ifMatch, current);
  await ctx.services.groups.delete(id, ctx.actor, { unit, ...(pre.ifMatch ? { ifVersion: current.version } : {}) });
  return { status: 204 };
}
