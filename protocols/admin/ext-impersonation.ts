import type { Router } from 'express';
import type { Services } from '../../src/services/index.js';
import { defineRoute } from './routes.js';

/** POST /users/{id}/impersonate and POST /auth/impersonate_end (GET /me lives with the auth routes). */
export function mountImpersonationRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'post', path: '/users/:id/impersonate', permission: 'user.impersonate', tag: 'auth',
    summary: 'Get a session that acts as the user; events made through it name both people',
    requestSchema: {
      type: 'object', additionalProperties: false,
      properties: { reason: { type: 'string', maxLength: 1000 } },
    },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['token', 'expires'],
      properties: { token: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
    },
    handler: async ({ req, params, body, auth }) => {
      const r = await services.impersonation.start(auth, params.id!, body.reason, { clientIp: req.ip ?? null, userAgent: req.get('user-agent') ?? null });
      return { token: r.token, expires: r.expires.toISOString() };
    },
  });

  defineRoute(router, {
    method: 'post', path: '/auth/impersonate_end', permission: 'self', tag: 'auth',
    summary: 'End the impersonation session this request came through',
    handler: async ({ auth }) => {
      await services.impersonation.end(auth);
      return undefined;
    },
  });
}
