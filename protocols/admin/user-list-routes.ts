import type { Router } from 'express';
import { pathTree } from '../../src/domain/folders.js';
import { InvalidValue } from '../../src/domain/errors.js';
import { describeFields } from '../../src/query/admin-query.js';
import { compare, or } from '../../src/query/ast.js';
import { restrict } from '../../src/query/validate.js';
import { validPath } from '../../src/domain/validation.js';
import type { Services } from '../../src/services/index.js';
import { boolParam, PAGE_PARAMS, paged, pageRequest, stringParam } from './pagination.js';
import { pageOf, UserSchema, userJson } from './present.js';
import { defineComponent, defineRoute } from './routes.js';
import { parseSearch, searchParams } from './search.js';

const PathNodeSchema = defineComponent('PathNode', {
  type: 'object', additionalProperties: false, required: ['name', 'path', 'count', 'total', 'children'],
  properties: {
    name: { type: 'string' }, path: { type: 'string' }, count: { type: 'integer' }, total: { type: 'integer' },
    children: { type: 'array', items: { $ref: '#/components/schemas/PathNode' } },
  },
});


const FieldsSchema = defineComponent('SearchFields', {
  type: 'object', required: ['entity', 'fields', 'operators'],
  properties: {
    entity: { enum: ['users', 'groups'] },
    fields: {
      type: 'array',
      items: {
        type: 'object', required: ['name', 'type', 'operators', 'examples'],
        properties: { name: { type: 'string' }, type: { type: 'string' }, description: { type: 'string' }, operators: { type: 'array', items: { type: 'string' } }, examples: { type: 'array', items: { type: 'string' } }, aliases: { type: 'array', items: { type: 'string' } } },
      },
    },
    operators: { type: 'array' },
    values: { type: 'array' },
    combinators: { type: 'array', items: { type: 'string' } },
    ordering: { type: 'array', items: { type: 'string' }, description: 'fields the ordering parameter accepts' },
    plain_text: { type: 'string' },
  },
});

/** GET /users (search, ordering, folder, pages), GET /users/paths, GET /search/fields. */
export function mountUserListRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/users', permission: 'user.view', tag: 'users',
    summary: 'Users, filtered by the query language, ordered, paged, optionally in one folder',
    query: {
      ...searchParams('users'), ...PAGE_PARAMS,
      path: { schema: { type: 'string' }, description: 'list only this folder' },
      subfolders: { schema: { type: 'boolean', default: false }, description: 'with path: include its subfolders' },
    },
    responseSchema: pageOf(UserSchema),
    handler: async ({ query, actor }) => {
      const p = pageRequest(query);
      let { v, ordering } = parseSearch(services, query, 'users');
      // A holder of user.view on single users sees exactly those: the restriction is part of the query.
      const scope = await services.access.listScope(actor, 'user.view');
      const folder = stringParam(query, 'path');
      const subfolders = boolParam(query, 'subfolders') ?? false;
      if (folder !== undefined) {
        const path = validPath(folder);
        if (folder === '') throw InvalidValue.field('path', 'must not be empty');
        v = restrict(v, subfolders ? or(compare('path', 'eq', path), compare('path', 'startswith', `${path}/`)) : compare('path', 'eq', path));
      }
      const { users, total } = scope.kind === 'none' ? { users: [], total: 0 }
        : await services.users.list(v, { ordering, limit: p.limit, offset: p.offset, ...(scope.kind === 'some' ? { only: scope.only } : {}) });
      return paged(users.map(userJson), total, p);
    },
  });

  defineRoute(router, {
    method: 'get', path: '/users/paths', permission: 'user.view', objects: 'global', tag: 'users',
    summary: 'The folder tree of user paths, with direct and total counts',
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['paths', 'tree'],
      properties: {
        paths: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['path', 'count'], properties: { path: { type: 'string' }, count: { type: 'integer' } } } },
        tree: { type: 'array', items: PathNodeSchema },
      },
    },
    handler: async () => {
      const rows = await services.users.pathCounts();
      return { paths: rows, tree: pathTree(rows) };
    },
  });

  defineRoute(router, {
    method: 'get', path: '/search/fields', permission: 'self', tag: 'search',
    summary: 'Fields, operators and example values of the query language, for an auto-complete box',
    query: { entity: { schema: { enum: ['users', 'groups'], default: 'users' } } },
    responseSchema: FieldsSchema,
    handler: async ({ query }) => {
      const entity = stringParam(query, 'entity') ?? 'users';
      if (entity !== 'users' && entity !== 'groups') throw InvalidValue.field('entity', 'must be users or groups');
      return describeFields(entity);
    },
  });
}
