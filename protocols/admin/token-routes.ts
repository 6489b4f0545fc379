import type { Router } from 'express';
import { InvalidValue, NotFound } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, pagedInMemory, pageRequest, stringParam } from './pagination.js';
import { NewTokenSchema, pageOf, TokenSchema, tokenJson } from './present.js';
import { defineRoute, type RouteContext } from './routes.js';

const MAX_DESCRIPTION = 1000;

/** `expires` of a new token: an ISO date-time in the future, or null/absent for none. @throws InvalidValue */
function parseExpiry(v: unknown): Date | null {
  if (v === undefined || v === null) return null;
  const d = typeof v === 'string' ? new Date(v) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw InvalidValue.field('expires', 'must be an ISO 8601 date-time');
  if (d.getTime() <= Date.now()) throw InvalidValue.field('expires', 'must be in the future');
  return d;
}

/** GET|POST /tokens, GET|DELETE /tokens/{id}: a user always manages its own API tokens. */
export function mountTokenRoutes(router: Router, services: Services): void {
  const ownToken = async (ctx: RouteContext): Promise<boolean> => {
    try {
      return (await services.auth.getToken(ctx.params.id)).userId === ctx.auth.user.id;
    } catch (e) {
      if (e instanceof NotFound) return false;
      throw e;
    }
  };

  defineRoute(router, {
    method: 'get', path: '/tokens', permission: 'self', tag: 'tokens',
    summary: "The caller's API tokens (with ?user=<id> another user's: credentials, so user.change on that user)",
    query: { user: { schema: { type: 'string' }, description: 'a user id; default the caller' }, ...PAGE_PARAMS },
    responseSchema: pageOf(TokenSchema),
    handler: async ({ query, auth }) => {
      const p = pageRequest(query);
      const userId = stringParam(query, 'user') ?? auth.user.id;
      if (userId !== auth.user.id) {
        const id = await services.access.resolveObjectId('user', userId);
        await services.access.requireOn(auth.actor, 'user.change', id ? { type: 'user', id } : null);
        if (!id) await services.users.get(userId);
        await services.rules.protectUsers(auth.actor, [id!], 'read the API tokens of');
      }
      return pagedInMemory((await services.auth.tokensOf(userId)).map(tokenJson), p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/tokens', permission: 'self', tag: 'tokens', status: 201,
    summary: 'Create an API token (for the caller, or with `user` for another user, which needs user.change); the key is shown once',
    requestSchema: {
      type: 'object', additionalProperties: false,
      properties: {
        description: { type: 'string', maxLength: MAX_DESCRIPTION },
        expires: { anyOf: [{ type: 'string', format: 'date-time' }, { type: 'null' }] },
        user: { type: 'string' },
      },
    },
    responseSchema: NewTokenSchema,
    handler: async ({ body, auth, actor }) => {
      const expiresAt = parseExpiry(body.expires);
      const userId = (body.user as string | undefined) ?? auth.user.id;
      if (userId !== auth.user.id) {
        const id = await services.access.resolveObjectId('user', userId);
        await services.access.requireOn(auth.actor, 'user.change', id ? { type: 'user', id } : null);
        try {
          await services.users.get(userId);
        } catch (e) {
          if (e instanceof NotFound) throw InvalidValue.field('user', `no user with id ${userId}`);
          throw e;
        }
      }
      const { key, token } = await services.auth.createToken(userId, { description: (body.description as string) ?? '', expiresAt }, actor);
      return { ...tokenJson(token), key };
    },
  });

  const tokenOwner = async (ctx: RouteContext) => {
    try {
      return [{ type: 'user' as const, ref: (await services.auth.getToken(ctx.params.id)).userId }];
    } catch (e) {
      if (e instanceof NotFound) return [];
      throw e;
    }
  };

  defineRoute(router, {
    method: 'get', path: '/tokens/:id', permission: 'user.change', self: ownToken, objects: tokenOwner, tag: 'tokens',
    summary: "One API token (another user's needs user.change on that user; own tokens need no permission)",
    responseSchema: TokenSchema,
    handler: async ({ params, auth }) => {
      const token = await services.auth.getToken(params.id);
      if (token.userId !== auth.user.id) await services.rules.protectUsers(auth.actor, [token.userId], 'read the API tokens of');
      return tokenJson(token);
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/tokens/:id', permission: 'user.change', self: ownToken, objects: tokenOwner, tag: 'tokens',
    summary: 'Delete an API token at once (own tokens need no permission)',
    handler: async ({ params, actor }) => {
      await services.auth.deleteToken(params.id, actor);
      return undefined;
    },
  });
}
