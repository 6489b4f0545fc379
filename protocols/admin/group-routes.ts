import type { Router } from 'express';
import { Conflict, InvalidValue } from '../../src/domain/errors.js';
import type { Group } from '../../src/domain/types.js';
import type { GroupInput } from '../../src/services/groups.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, paged, pagedInMemory, pageRequest } from './pagination.js';
import { GroupSchema, groupJson, pageOf, RoleSchema, roleJson, UserSchema, userJson } from './present.js';
import { defineRoute, type JsonSchema } from './routes.js';
import { parseSearch, searchParams } from './search.js';
import { existingGroupId, existingUserId, roleIdOf } from './lookups.js';

export const GROUP_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string' },
  is_superuser: { type: 'boolean' },
  parents: { type: 'array', maxItems: 1000, items: { type: 'string' }, description: 'parent groups by id or name (replaces the set)' },
  attributes: { anyOf: [{ type: 'object' }, { type: 'string' }, { type: 'null' }], description: 'a JSON object, or a YAML string' },
};

export function groupInput(body: Record<string, unknown>): GroupInput {
  const input: GroupInput = {};
  if ('name' in body) input.name = body.name;
  if ('is_superuser' in body) input.isSuperuser = body.is_superuser;
  if ('parents' in body) input.parents = body.parents;
  if ('attributes' in body) input.attributes = body.attributes;
  return input;
}

/** `parents` may name groups by id or by name; the service gets ids. @throws InvalidValue */
async function withParentIds(services: Services, input: GroupInput): Promise<GroupInput> {
  if (!Array.isArray(input.parents) || input.parents.some((p) => typeof p !== 'string')) return input;
  const parents = await Promise.all((input.parents as string[]).map((p) => existingGroupId(services, p, 'parents')));
  return { ...input, parents };
}

/** The issue asks for group cycles to be refused with 400, naming `parents`. */
export function rethrowCycle(e: unknown, field = 'parents'): never {
  if (e instanceof Conflict && !e.rule) throw new InvalidValue(e.message, { [field]: e.message });
  throw e;
}

/** Groups as JSON, each with its parent ids. */
export async function groupsJson(services: Services, groups: readonly Group[]) {
  const parents = await services.groups.parentsOf(groups.map((g) => g.id));
  return groups.map((g) => groupJson(g, (parents.get(g.id) ?? []).map((p) => p.id).sort()));
}

/** Groups: list (query language), CRUD with parents, members, roles. */
export function mountGroupRoutes(router: Router, services: Services): void {
  const one = async (id: string) => (await groupsJson(services, [await services.groups.get(id)]))[0];

  defineRoute(router, {
    method: 'get', path: '/groups', permission: 'group.view', tag: 'groups',
    summary: 'Groups, filtered by the query language (group fields), ordered and paged',
    query: { ...searchParams('groups'), ...PAGE_PARAMS },
    responseSchema: pageOf(GroupSchema),
    handler: async ({ query, actor }) => {
      const p = pageRequest(query);
      const { v, ordering } = parseSearch(services, query, 'groups');
      const scope = await services.access.listScope(actor, 'group.view');
      const { groups, total } = scope.kind === 'none' ? { groups: [], total: 0 }
        : await services.groups.list(v, { ordering, limit: p.limit, offset: p.offset, ...(scope.kind === 'some' ? { only: scope.only } : {}) });
      return paged(await groupsJson(services, groups), total, p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/groups', permission: 'group.add', tag: 'groups', status: 201,
    summary: 'Create a group (name unique ignoring case; parents refused when they would close a cycle)',
    requestSchema: { type: 'object', additionalProperties: false, required: ['name'], properties: GROUP_FIELDS },
    responseSchema: GroupSchema,
    handler: async ({ body, actor }) => {
      const g = await services.groups.create(await withParentIds(services, groupInput(body)), actor, { allowYamlAttributes: true }).catch((e) => rethrowCycle(e));
      return one(g.id);
    },
  });

  defineRoute(router, {
    method: 'get', path: '/groups/:id', permission: 'group.view', tag: 'groups',
    summary: 'One group',
    responseSchema: GroupSchema,
    handler: async ({ params }) => one(params.id),
  });

  defineRoute(router, {
    method: 'patch', path: '/groups/:id', permission: 'group.change', tag: 'groups',
    summary: 'Change name, is_superuser, parents (a cycle is refused with 400) or attributes',
    requestSchema: { type: 'object', additionalProperties: false, properties: GROUP_FIELDS },
    responseSchema: GroupSchema,
    handler: async ({ params, body, actor }) => {
      await services.groups.update(params.id, await withParentIds(services, groupInput(body)), actor, { allowYamlAttributes: true }).catch((e) => rethrowCycle(e));
      return one(params.id);
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/groups/:id', permission: 'group.delete', tag: 'groups',
    summary: 'Delete a group (members and child groups stay)',
    handler: async ({ params, actor }) => {
      await services.groups.delete(params.id, actor);
      return undefined;
    },
  });

  mountMemberRoutes(router, services, one);
  mountGroupRoleRoutes(router, services);
}

function mountMemberRoutes(router: Router, services: Services, one: (id: string) => Promise<unknown>): void {
  const userBody: JsonSchema = { type: 'object', additionalProperties: false, required: ['user'], properties: { user: { type: 'string' } } };

  defineRoute(router, {
    method: 'get', path: '/groups/:id/members', permission: 'group.view', tag: 'groups',
    summary: 'Direct user members of a group',
    query: PAGE_PARAMS,
    responseSchema: pageOf(UserSchema),
    handler: async ({ params, query }) => {
      const p = pageRequest(query);
      await services.groups.get(params.id);
      const users = (await services.groups.membersOf([params.id])).get(params.id) ?? [];
      users.sort((a, b) => a.username.localeCompare(b.username));
      return pagedInMemory(users.map(userJson), p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/groups/:id/add_user', permission: 'group.change', tag: 'groups',
    summary: 'Add a user to the group',
    requestSchema: userBody,
    responseSchema: GroupSchema,
    handler: async ({ params, body, actor }) => {
      await services.groups.get(params.id);
      const user = await existingUserId(services, body.user);
      await services.groups.changeMembers(params.id, { addUsers: [user] }, actor);
      return one(params.id);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/groups/:id/remove_user', permission: 'group.change', tag: 'groups',
    summary: 'Remove a user from the group',
    requestSchema: userBody,
    responseSchema: GroupSchema,
    handler: async ({ params, body, actor }) => {
      await services.groups.get(params.id);
      const user = await existingUserId(services, body.user);
      await services.groups.changeMembers(params.id, { removeUsers: [user] }, actor);
      return one(params.id);
    },
  });
}

function mountGroupRoleRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/groups/:id/roles', permission: 'group.view', tag: 'roles',
    summary: 'Roles assigned to the group (its members and child groups inherit them)',
    query: PAGE_PARAMS,
    responseSchema: pageOf(RoleSchema),
    handler: async ({ params, query }) => pagedInMemory((await services.roles.rolesOfGroup(params.id)).map(roleJson), pageRequest(query)),
  });

  defineRoute(router, {
    method: 'post', path: '/groups/:id/roles', permission: 'role.assign', tag: 'roles',
    summary: 'Assign a role to the group',
    requestSchema: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: { type: 'string' } } },
    handler: async ({ params, body, actor }) => {
      await services.groups.get(params.id);
      await services.roles.assign({ groupId: params.id }, await roleIdOf(services, body.role), true, actor);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/groups/:id/roles/:role', permission: 'role.assign', tag: 'roles',
    summary: 'Unassign a role from the group',
    handler: async ({ params, actor }) => {
      await services.roles.assign({ groupId: params.id }, params.role, false, actor);
      return undefined;
    },
  });
}
