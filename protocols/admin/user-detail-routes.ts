import type { Router } from 'express';
import { NotFound } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import type { ArtifactKind } from '../../src/services/user-artifacts.js';
import { EVENT_FILTER_PARAMS, listEventsPage } from './event-routes.js';
import { groupInput, groupsJson, GROUP_FIELDS, rethrowCycle } from './group-routes.js';
import { existingGroupId, roleIdOf } from './lookups.js';
import { boolParam, PAGE_PARAMS, pagedInMemory, pageRequest } from './pagination.js';
import {
  EventSchema, GroupSchema, HeldRoleSchema, pageOf, roleJson, SessionSchema, sessionJson,
} from './present.js';
import { defineComponent, defineRoute, type JsonSchema, type RouteContext } from './routes.js';

const DeletedSchema: JsonSchema = { type: 'object', additionalProperties: false, required: ['deleted'], properties: { deleted: { type: 'integer' } } };
const idsBody: JsonSchema = {
  type: 'object', additionalProperties: false, required: ['ids'],
  properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string' } } },
};
const nullable = (s: JsonSchema): JsonSchema => ({ anyOf: [s, { type: 'null' }] });
const AppRef: JsonSchema = nullable({ type: 'object', required: ['id', 'slug', 'name'], properties: { id: { type: 'string' }, slug: { type: 'string' }, name: { type: 'string' } } });
const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** The caller is the user of the path (`/users/{id}/…`): own sessions need no permission. */
const isSelf = (ctx: RouteContext): boolean => ctx.params.id === ctx.auth.user.id;

/** The seed's user tabs: sessions, groups, roles, events, consents, refresh tokens, MFA authenticators. */
export function mountUserDetailRoutes(router: Router, services: Services): void {
  mountSessionRoutes(router, services);
  mountGroupTab(router, services);
  mountRoleTab(router, services);
  defineRoute(router, {
    method: 'get', path: '/users/:id/events', permission: 'event.view', tag: 'users',
    summary: 'Events the user did or that were done to the user, newest first',
    query: EVENT_FILTER_PARAMS,
    responseSchema: pageOf(EventSchema),
    handler: async ({ params, query }) => {
      const p = pageRequest(query);
      await services.users.get(params.id);
      return listEventsPage(services, query, params.id, p);
    },
  });
  mountArtifactTabs(router, services);
}

function mountSessionRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/users/:id/sessions', permission: 'user.change', self: isSelf, tag: 'sessions',
    summary: "A user's sessions: credentials, so user.change on the user (own sessions need no permission); `current` marks the caller's",
    query: PAGE_PARAMS,
    responseSchema: pageOf(SessionSchema),
    handler: async ({ params, query, auth, actor }) => {
      const p = pageRequest(query);
      await services.users.get(params.id);
      if (params.id !== auth.user.id) await services.rules.protectUsers(actor, [params.id], 'read the sessions of');
      const sessions = await services.auth.sessionsOf(params.id);
      return pagedInMemory(sessions.map((s) => sessionJson(s, auth.session?.id ?? null)), p);
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/users/:id/sessions', permission: 'user.change', self: isSelf, tag: 'sessions',
    summary: "End all of a user's sessions",
    responseSchema: DeletedSchema,
    handler: async ({ params, actor }) => {
      await services.users.get(params.id);
      return { deleted: await services.auth.revokeSessions(params.id, undefined, actor) };
    },
  });

  defineRoute(router, {
    method: 'post', path: '/users/:id/sessions/bulk_delete', permission: 'user.change', self: isSelf, tag: 'sessions',
    summary: "End several of a user's sessions",
    requestSchema: idsBody,
    responseSchema: DeletedSchema,
    handler: async ({ params, body, actor }) => {
      await services.users.get(params.id);
      return { deleted: await services.auth.revokeSessions(params.id, body.ids as string[], actor) };
    },
  });

  const ownSession = async (ctx: RouteContext): Promise<boolean> => {
    try {
      return (await services.auth.getSession(ctx.params.id)).userId === ctx.auth.user.id;
    } catch (e) {
      if (e instanceof NotFound) return false;
      throw e;
    }
  };
  const sessionOwner = async (ctx: RouteContext) => {
    try {
      return [{ type: 'user' as const, ref: (await services.auth.getSession(ctx.params.id)).userId }];
    } catch (e) {
      if (e instanceof NotFound) return [];
      throw e;
    }
  };
  defineRoute(router, {
    method: 'delete', path: '/sessions/:id', permission: 'user.change', self: ownSession, objects: sessionOwner, tag: 'sessions',
    summary: 'End one session at once (own sessions need no permission)',
    handler: async ({ params, actor }) => {
      const s = await services.auth.getSession(params.id);
      await services.auth.revokeSessions(s.userId, [s.id], actor);
      return undefined;
    },
  });
}

function mountGroupTab(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/users/:id/groups', permission: 'user.view', tag: 'users',
    summary: "A user's direct groups",
    query: PAGE_PARAMS,
    responseSchema: pageOf(GroupSchema),
    handler: async ({ params, query }) => {
      const p = pageRequest(query);
      await services.users.get(params.id);
      const groups = (await services.users.groupsOf([params.id])).get(params.id) ?? [];
      groups.sort((a, b) => a.name.localeCompare(b.name));
      return pagedInMemory(await groupsJson(services, groups), p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/users/:id/groups', permission: 'group.change', tag: 'users',
    summary: 'Add the user to an existing group (group.change on that group)',
    objects: async ({ body }) => (typeof body.group === 'string' ? [{ type: 'group' as const, ref: body.group }] : []),
    requestSchema: { type: 'object', additionalProperties: false, required: ['group'], properties: { group: { type: 'string' } } },
    responseSchema: GroupSchema,
    handler: async ({ params, body, actor }) => {
      await services.users.get(params.id);
      const group = await services.groups.changeMembers(await existingGroupId(services, body.group), { addUsers: [params.id] }, actor);
      return (await groupsJson(services, [group]))[0];
    },
  });

  defineRoute(router, {
    method: 'post', path: '/users/:id/groups/create', permission: 'group.add', tag: 'users', status: 201,
    summary: 'Create a group and add the user to it, in one transaction',
    requestSchema: { type: 'object', additionalProperties: false, required: ['name'], properties: GROUP_FIELDS },
    responseSchema: GroupSchema,
    handler: async ({ params, body, actor }) => {
      const group = await services.units.run(async (unit) => {
        await services.users.get(params.id, { unit });
        const created = await services.groups.create(groupInput(body), actor, { unit, allowYamlAttributes: true }).catch(rethrowCycle);
        return services.groups.changeMembers(created.id, { addUsers: [params.id] }, actor, { unit });
      });
      return (await groupsJson(services, [group]))[0];
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/users/:id/groups/:group', permission: 'group.change', tag: 'users',
    summary: 'Remove the user from a group (group.change on that group)',
    objects: async ({ params }) => [{ type: 'group' as const, ref: params.group! }],
    handler: async ({ params, actor }) => {
      await services.users.get(params.id);
      const members = await services.groups.memberIds(params.group).catch(() => [] as string[]);
      if (!members.includes(params.id)) {
        await services.groups.get(params.group);
        throw new NotFound(`the user is not a direct member of group ${params.group}`);
      }
      await services.groups.changeMembers(params.group, { removeUsers: [params.id] }, actor);
      return undefined;
    },
  });
}

function mountRoleTab(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/users/:id/roles', permission: 'user.view', tag: 'roles',
    summary: "A user's roles; with ?inherited=true also those of its groups and their parents, each marked assigned or inherited (with the group)",
    query: { inherited: { schema: { type: 'boolean', default: false } }, ...PAGE_PARAMS },
    responseSchema: pageOf(HeldRoleSchema),
    handler: async ({ params, query }) => {
      const p = pageRequest(query);
      const held = await services.access.rolesOf(params.id, boolParam(query, 'inherited') ?? false);
      return pagedInMemory(held.map((h) => ({ ...roleJson(h.role), assigned: h.assigned, group: h.group ? { id: h.group.id, name: h.group.name } : null })), p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/users/:id/roles', permission: 'role.assign', tag: 'roles',
    summary: 'Assign a role to the user',
    requestSchema: { type: 'object', additionalProperties: false, required: ['role'], properties: { role: { type: 'string' } } },
    handler: async ({ params, body, actor }) => {
      await services.users.get(params.id);
      await services.roles.assign({ userId: params.id }, await roleIdOf(services, body.role), true, actor);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/users/:id/roles/:role', permission: 'role.assign', tag: 'roles',
    summary: 'Unassign a role from the user',
    handler: async ({ params, actor }) => {
      await services.roles.assign({ userId: params.id }, params.role, false, actor);
      return undefined;
    },
  });
}

const ARTIFACTS: ReadonlyArray<{ kind: ArtifactKind; label: string; schema: JsonSchema; list: (s: Services, userId: string) => Promise<unknown[]> }> = [
  {
    kind: 'consents', label: 'explicit consents',
    schema: defineComponent('Consent', {
      type: 'object', additionalProperties: false, required: ['id', 'user', 'application', 'permissions', 'expires', 'created'],
      properties: { id: { type: 'string' }, user: { type: 'string' }, application: AppRef, permissions: { type: 'string' }, expires: nullable({ type: 'string', format: 'date-time' }), created: { type: 'string', format: 'date-time' } },
    }),
    list: async (s, userId) => (await s.artifacts.consentsOf(userId)).map((c) => ({
      id: c.id, user: c.userId, application: c.application, permissions: c.permissions, expires: iso(c.expiresAt), created: iso(c.createdAt),
    })),
  },
  {
    kind: 'oauth_refresh_tokens', label: 'OAuth refresh tokens',
    schema: defineComponent('RefreshToken', {
      type: 'object', additionalProperties: false, required: ['id', 'user', 'application', 'scope', 'revoked', 'expires', 'created'],
      properties: { id: { type: 'string' }, user: { type: 'string' }, application: AppRef, scope: { type: 'string' }, revoked: { type: 'boolean' }, expires: nullable({ type: 'string', format: 'date-time' }), created: { type: 'string', format: 'date-time' } },
    }),
    list: async (s, userId) => (await s.artifacts.refreshTokensOf(userId)).map((t) => ({
      id: t.id, user: t.userId, application: t.application, scope: t.scope, revoked: t.revoked, expires: iso(t.expiresAt), created: iso(t.createdAt),
    })),
  },
  {
    kind: 'mfa_authenticators', label: 'MFA authenticators',
    schema: defineComponent('MfaAuthenticator', {
      type: 'object', additionalProperties: false, required: ['id', 'user', 'type', 'name', 'confirmed', 'created', 'last_used'],
      properties: { id: { type: 'string' }, user: { type: 'string' }, type: { type: 'string' }, name: { type: 'string' }, confirmed: { type: 'boolean' }, created: { type: 'string', format: 'date-time' }, last_used: nullable({ type: 'string', format: 'date-time' }) },
    }),
    list: async (s, userId) => (await s.artifacts.mfaAuthenticatorsOf(userId)).map((m) => ({
      id: m.id, user: m.userId, type: m.type, name: m.name, confirmed: m.confirmed, created: iso(m.createdAt), last_used: iso(m.lastUsedAt),
    })),
  },
];

function mountArtifactTabs(router: Router, services: Services): void {
  for (const a of ARTIFACTS) {
    defineRoute(router, {
      method: 'get', path: `/users/:id/${a.kind}`, permission: 'user.view', tag: 'users',
      summary: `The user's ${a.label}`,
      query: PAGE_PARAMS,
      responseSchema: pageOf(a.schema),
      handler: async ({ params, query }) => pagedInMemory(await a.list(services, params.id), pageRequest(query)),
    });
    defineRoute(router, {
      method: 'delete', path: `/users/:id/${a.kind}/:item`, permission: 'user.change', tag: 'users',
      summary: `Delete one of the user's ${a.label}`,
      handler: async ({ params, actor }) => {
        await services.artifacts.delete(a.kind, params.id, [params.item], actor);
        return undefined;
      },
    });
    defineRoute(router, {
      method: 'delete', path: `/users/:id/${a.kind}`, permission: 'user.change', tag: 'users',
      summary: `Delete all the user's ${a.label}`,
      responseSchema: DeletedSchema,
      handler: async ({ params, actor }) => ({ deleted: await services.artifacts.delete(a.kind, params.id, undefined, actor) }),
    });
  }
}
