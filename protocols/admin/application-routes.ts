import type { Router } from 'express';
import { InvalidValue, NotFound } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { existingGroupId, existingUserId } from './lookups.js';
import { PAGE_PARAMS, paged, pagedInMemory, pageRequest, stringParam } from './pagination.js';
import { ApplicationSchema, applicationJson, BindingSchema, bindingJson, pageOf } from './present.js';
import { defineRoute, type JsonSchema } from './routes.js';

const APP_FIELDS: Record<string, JsonSchema> = {
  name: { type: 'string' },
  slug: { type: 'string' },
  launch_url: { anyOf: [{ type: 'string', maxLength: 2048 }, { type: 'null' }] },
};
const BINDING_FLAGS: Record<string, JsonSchema> = {
  order: { type: 'integer' }, enabled: { type: 'boolean' }, negate: { type: 'boolean' },
};

/** Applications, their policy bindings and the access check (authentik's rule: no bindings = open). */
export function mountApplicationRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/applications', permission: 'application.view', tag: 'applications',
    summary: 'Applications, ordered by slug', query: PAGE_PARAMS,
    responseSchema: pageOf(ApplicationSchema),
    handler: async ({ query }) => {
      const p = pageRequest(query);
      const { applications, count } = await services.access.listApplications({ limit: p.limit, offset: p.offset });
      return paged(applications.map(applicationJson), count, p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/applications', permission: 'application.change', tag: 'applications', status: 201,
    summary: 'Create an application',
    requestSchema: { type: 'object', additionalProperties: false, required: ['name', 'slug'], properties: APP_FIELDS },
    responseSchema: ApplicationSchema,
    handler: async ({ body, actor }) => applicationJson(await services.access.createApplication({ name: body.name, slug: body.slug, launchUrl: body.launch_url }, actor)),
  });

  defineRoute(router, {
    method: 'get', path: '/applications/:slug', permission: 'application.view', tag: 'applications',
    summary: 'One application', responseSchema: ApplicationSchema,
    handler: async ({ params }) => applicationJson(await services.access.getApplication(params.slug)),
  });

  defineRoute(router, {
    method: 'patch', path: '/applications/:slug', permission: 'application.change', tag: 'applications',
    summary: 'Change name, slug or launch URL',
    requestSchema: { type: 'object', additionalProperties: false, properties: APP_FIELDS },
    responseSchema: ApplicationSchema,
    handler: async ({ params, body, actor }) => applicationJson(await services.access.updateApplication(params.slug, { name: body.name, slug: body.slug, launchUrl: body.launch_url }, actor)),
  });

  defineRoute(router, {
    method: 'delete', path: '/applications/:slug', permission: 'application.change', tag: 'applications',
    summary: 'Delete an application and its bindings',
    handler: async ({ params, actor }) => {
      await services.access.deleteApplication(params.slug, actor);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'get', path: '/applications/:slug/bindings', permission: 'application.view', tag: 'applications',
    summary: 'Policy bindings of an application, in evaluation order', query: PAGE_PARAMS,
    responseSchema: pageOf(BindingSchema),
    handler: async ({ params, query }) => pagedInMemory((await services.access.listBindings(params.slug)).map(bindingJson), pageRequest(query)),
  });

  defineRoute(router, {
    method: 'post', path: '/applications/:slug/bindings', permission: 'application.change', tag: 'applications', status: 201,
    summary: 'Bind a user or a group (exactly one) to an application',
    requestSchema: { type: 'object', additionalProperties: false, properties: { user: { type: 'string' }, group: { type: 'string' }, ...BINDING_FLAGS } },
    responseSchema: BindingSchema,
    handler: async ({ params, body, actor }) => {
      // A user or a group may be named by id or by name; the service gets ids.
      const named = { ...body };
      if (typeof body.user === 'string') named.user = await existingUserId(services, body.user);
      if (typeof body.group === 'string') named.group = await existingGroupId(services, body.group);
      return bindingJson(await services.access.createBinding(params.slug, named, actor));
    },
  });

  const bindingOf = async (slug: string, id: string) => {
    const b = (await services.access.listBindings(slug)).find((x) => x.id === id);
    if (!b) throw new NotFound(`no binding with id ${id} on application ${slug}`);
    return b;
  };

  defineRoute(router, {
    method: 'patch', path: '/applications/:slug/bindings/:id', permission: 'application.change', tag: 'applications',
    summary: 'Change the order, enabled or negate flags of a binding',
    requestSchema: { type: 'object', additionalProperties: false, properties: BINDING_FLAGS },
    responseSchema: BindingSchema,
    handler: async ({ params, body, actor }) => {
      await bindingOf(params.slug, params.id);
      return bindingJson(await services.access.updateBinding(params.id, body as { order?: number; enabled?: boolean; negate?: boolean }, actor));
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/applications/:slug/bindings/:id', permission: 'application.change', tag: 'applications',
    summary: 'Delete a binding',
    handler: async ({ params, actor }) => {
      await bindingOf(params.slug, params.id);
      await services.access.deleteBinding(params.id, actor);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'get', path: '/applications/:slug/check_access', permission: 'application.view', tag: 'applications',
    summary: 'Whether a user may use the application, with the reasons when not',
    query: { user: { schema: { type: 'string' }, required: true, description: 'a user id or username' } },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['passing', 'messages'],
      properties: { passing: { type: 'boolean' }, messages: { type: 'array', items: { type: 'string' } } },
    },
    handler: async ({ params, query }) => {
      const user = stringParam(query, 'user');
      if (!user) throw InvalidValue.field('user', 'is required');
      await services.access.getApplication(params.slug);
      return services.access.checkAccess(params.slug, await existingUserId(services, user));
    },
  });
}
