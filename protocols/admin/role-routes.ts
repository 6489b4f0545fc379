import type { Router } from 'express';
import { PERMISSIONS } from '../../src/domain/permissions.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, paged, pageRequest, stringParam } from './pagination.js';
import { pageOf, RoleSchema, roleJson } from './present.js';
import { defineRoute, type JsonSchema } from './routes.js';

const ROLE_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string' },
  permissions: { type: 'array', maxItems: 100, items: { type: 'string' }, description: `any of ${PERMISSIONS.join(', ')}` },
};

/** Roles: CRUD with permissions validated against the known names. */
export function mountRoleRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/roles', permission: 'role.view', tag: 'roles',
    summary: 'Roles, ordered by name; ?search= matches names containing the text',
    query: { search: { schema: { type: 'string' } }, ...PAGE_PARAMS },
    responseSchema: pageOf(RoleSchema),
    handler: async ({ query }) => {
      const p = pageRequest(query);
      const { roles, count } = await services.roles.list({ limit: p.limit, offset: p.offset, search: stringParam(query, 'search') || undefined });
      return paged(roles.map(roleJson), count, p);
    },
  });

  defineRoute(router, {
    method: 'get', path: '/permissions', permission: 'role.view', tag: 'roles',
    summary: 'Every permission name a role may hold',
    responseSchema: { type: 'object', additionalProperties: false, required: ['permissions'], properties: { permissions: { type: 'array', items: { type: 'string' } } } },
    handler: async () => ({ permissions: [...PERMISSIONS] }),
  });

  defineRoute(router, {
    method: 'post', path: '/roles', permission: 'role.add', tag: 'roles', status: 201,
    summary: 'Create a role',
    requestSchema: { type: 'object', additionalProperties: false, required: ['name'], properties: ROLE_FIELDS },
    responseSchema: RoleSchema,
    handler: async ({ body, actor }) => roleJson(await services.roles.create({ name: body.name, permissions: body.permissions }, actor)),
  });

  defineRoute(router, {
    method: 'get', path: '/roles/:id', permission: 'role.view', tag: 'roles',
    summary: 'One role',
    responseSchema: RoleSchema,
    handler: async ({ params }) => roleJson(await services.roles.get(params.id)),
  });

  defineRoute(router, {
    method: 'patch', path: '/roles/:id', permission: 'role.change', tag: 'roles',
    summary: 'Rename a role or replace its permissions',
    requestSchema: { type: 'object', additionalProperties: false, properties: ROLE_FIELDS },
    responseSchema: RoleSchema,
    handler: async ({ params, body, actor }) => roleJson(await services.roles.update(params.id, { name: body.name, permissions: body.permissions }, actor)),
  });

  defineRoute(router, {
    method: 'delete', path: '/roles/:id', permission: 'role.delete', tag: 'roles',
    summary: 'Delete a role (its assignments go with it)',
    handler: async ({ params, actor }) => {
      await services.roles.delete(params.id, actor);
      return undefined;
    },
  });
}
