import type { Router } from 'express';
import type { UserInput } from '../../src/services/users.js';
import type { Services } from '../../src/services/index.js';
import { USER_TYPES } from '../../src/domain/types.js';
import { UserSchema, userJson } from './present.js';
import { defineRoute, type JsonSchema } from './routes.js';
import { mountUserListRoutes } from './user-list-routes.js';

const attributesSchema: JsonSchema = {
  anyOf: [{ type: 'object' }, { type: 'string' }, { type: 'null' }],
  description: 'a JSON object, or a YAML string that parses to one',
};

const userFields: Record<string, JsonSchema> = {
  username: { type: 'string' },
  name: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  email: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  path: { anyOf: [{ type: 'string' }, { type: 'null' }] },
  type: { enum: [...USER_TYPES] },
  is_active: { type: 'boolean' },
  attributes: attributesSchema,
};

/** The JSON body (snake_case) as the service's input. */
function userInput(body: Record<string, unknown>): UserInput {
  const input: UserInput = {};
  if ('username' in body) input.username = body.username;
  if ('name' in body) input.name = body.name;
  if ('email' in body) input.email = body.email;
  if ('path' in body) input.path = body.path;
  if ('type' in body) input.type = body.type;
  if ('is_active' in body) input.isActive = body.is_active;
  if ('attributes' in body) input.attributes = body.attributes;
  if ('password' in body) input.password = body.password;
  return input;
}

/** Users: list, folders, create, get, PATCH (incl. deactivation), delete, bulk delete (set_password lives in ext-recovery.ts). */
export function mountUserRoutes(router: Router, services: Services): void {
  mountUserListRoutes(router, services);

  defineRoute(router, {
    method: 'post', path: '/users', permission: 'user.add', tag: 'users', status: 201,
    summary: 'Create a user (username unique ignoring case; optional password; attributes as JSON or YAML)',
    requestSchema: {
      type: 'object', additionalProperties: false, required: ['username'],
      properties: { ...userFields, password: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
    },
    responseSchema: UserSchema,
    handler: async ({ body, actor }) => userJson(await services.users.create(userInput(body), actor, { allowYamlAttributes: true })),
  });

  defineRoute(router, {
    method: 'post', path: '/users/bulk_delete', permission: 'user.delete', tag: 'users',
    summary: 'Delete all the given users or none (one transaction; an unknown id fails the whole request)',
    objects: async ({ body }) => (Array.isArray(body.ids) ? body.ids.filter((i): i is string => typeof i === 'string').map((ref) => ({ type: 'user' as const, ref })) : []),
    requestSchema: {
      type: 'object', additionalProperties: false, required: ['ids'],
      properties: { ids: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'string' } } },
    },
    responseSchema: { type: 'object', additionalProperties: false, required: ['deleted'], properties: { deleted: { type: 'integer' } } },
    handler: async ({ body, actor }) => ({ deleted: await services.users.bulkDelete(body.ids as string[], actor) }),
  });

  defineRoute(router, {
    method: 'get', path: '/users/:id', permission: 'user.view', tag: 'users',
    summary: 'One user',
    responseSchema: UserSchema,
    handler: async ({ params }) => userJson(await services.users.get(params.id)),
  });

  defineRoute(router, {
    method: 'patch', path: '/users/:id', permission: 'user.change', tag: 'users',
    summary: 'Change fields; {"is_active": false} deactivates (sessions revoked, every door closed at once), true reactivates. '
      + '`attributes` replaces the whole object with Content-Type application/json, and is merged into the stored one '
      + '(RFC 7396: keys merge, null removes a key) with Content-Type application/merge-patch+json',
    requestSchema: { type: 'object', additionalProperties: false, properties: userFields },
    requestContentTypes: ['application/json', 'application/merge-patch+json'],
    responseSchema: UserSchema,
    handler: async ({ req, params, body, actor }) => userJson(await services.users.update(params.id, userInput(body), actor, {
      allowYamlAttributes: true,
      mergeAttributes: req.is('application/merge-patch+json') === 'application/merge-patch+json',
    })),
  });

  defineRoute(router, {
    method: 'delete', path: '/users/:id', permission: 'user.delete', tag: 'users',
    summary: 'Delete a user',
    handler: async ({ params, actor }) => {
      await services.users.delete(params.id, actor);
      return undefined;
    },
  });
}
