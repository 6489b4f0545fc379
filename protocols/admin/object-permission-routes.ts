import type { Router } from 'express';
import type { Services } from '../../src/services/index.js';
import type { ObjectPermission } from '../../src/services/access.js';
import { roleIdOf } from './lookups.js';
import { PAGE_PARAMS, pagedInMemory, pageRequest } from './pagination.js';
import { pageOf } from './present.js';
import { defineComponent, defineRoute, type JsonSchema } from './routes.js';

const ObjectPermissionSchema = defineComponent('ObjectPermission', {
  type: 'object', additionalProperties: false,
  required: ['id', 'role', 'permission', 'object_type', 'object_id', 'object_name', 'created'],
  properties: {
    id: { type: 'string' },
    role: { type: 'object', additionalProperties: false, required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    permission: { type: 'string' }, object_type: { enum: ['user', 'group'] }, object_id: { type: 'string' },
    object_name: { type: 'string' }, created: { type: 'string', format: 'date-time' },
  },
});

const PermissionHolderSchema = defineComponent('PermissionHolder', {
  type: 'object', additionalProperties: false, required: ['role', 'permission', 'scope'],
  properties: {
    role: { type: 'object', additionalProperties: false, required: ['id', 'name'], properties: { id: { type: 'string' }, name: { type: 'string' } } },
    permission: { type: 'string' },
    scope: { enum: ['object', 'global'], description: 'object: on this one user; global: on every user' },
  },
});

const GrantBody: JsonSchema = {
  type: 'object', additionalProperties: false, required: ['permission', 'object_type', 'object_id'],
  properties: {
    permission: { type: 'string', description: 'user.view, user.change, user.set_password, user.recovery, user.impersonate, user.delete (users); group.view, group.change, group.delete (groups)' },
    object_type: { enum: ['user', 'group'] },
    object_id: { type: 'string', description: 'the user or group, by id or by name' },
  },
};

function objectPermissionJson(p: ObjectPermission) {
  return {
    id: p.id, role: { id: p.roleId, name: p.roleName }, permission: p.permission, object_type: p.objectType,
    object_id: p.objectId, object_name: p.objectName, created: p.createdAt.toISOString(),
  };
}

/** A role's permissions on single users and groups, and who may do what on one user. */
export function mountObjectPermissionRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/roles/:id/object_permissions', permission: 'role.view', tag: 'roles',
    summary: "The role's permissions on single users and groups",
    query: PAGE_PARAMS,
    responseSchema: pageOf(ObjectPermissionSchema),
    handler: async ({ params, query }) => {
      const grants = await services.roles.objectPermissions(await roleIdOf(services, params.id, 'id').catch(() => params.id!));
      return pagedInMemory(grants.map(objectPermissionJson), pageRequest(query));
    },
  });

  defineRoute(router, {
    method: 'post', path: '/roles/:id/object_permissions', permission: 'role.change', tag: 'roles', status: 201,
    summary: 'Let the role hold a permission on one user or group (you must hold it on that object; a superuser object takes a superuser)',
    requestSchema: GrantBody,
    responseSchema: ObjectPermissionSchema,
    handler: async ({ params, body, actor }) => objectPermissionJson(await services.roles.grantOnObject(
      await roleIdOf(services, params.id, 'id').catch(() => params.id!),
      { permission: body.permission, objectType: body.object_type, objectId: body.object_id }, actor,
    )),
  });

  defineRoute(router, {
    method: 'delete', path: '/roles/:id/object_permissions', permission: 'role.change', tag: 'roles',
    summary: 'Take a permission on one user or group from the role (the body names it, as for POST)',
    requestSchema: GrantBody,
    handler: async ({ params, body, actor }) => {
      await services.roles.revokeOnObject(
        await roleIdOf(services, params.id, 'id').catch(() => params.id!),
        { permission: body.permission, objectType: body.object_type, objectId: body.object_id }, actor,
      );
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'get', path: '/users/:id/permissions', permission: 'user.view', tag: 'roles',
    summary: 'Who may do what on this user: roles holding a user permission on this one user (scope object) or on every user (scope global); superusers may do everything',
    query: PAGE_PARAMS,
    responseSchema: pageOf(PermissionHolderSchema),
    handler: async ({ params, query }) => {
      const { grants, global } = await services.roles.permissionsOn('user', params.id!);
      const rows = [
        ...grants.map((g) => ({ role: { id: g.roleId, name: g.roleName }, permission: g.permission, scope: 'object' as const })),
        ...global.map((g) => ({ role: { id: g.roleId, name: g.roleName }, permission: g.permission, scope: 'global' as const })),
      ];
      return pagedInMemory(rows, pageRequest(query));
    },
  });
}
