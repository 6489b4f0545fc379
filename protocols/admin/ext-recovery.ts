import type { Router } from 'express';
import type { Services } from '../../src/services/index.js';
import { defineRoute } from './routes.js';

const idParam = '/users/:id';

/** Password reset by an admin, recovery links and recovery emails. */
export function mountRecoveryRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'post', path: `${idParam}/set_password`, permission: 'user.set_password', tag: 'users',
    summary: "Set a user's password (the password policy applies; the user's other sessions are revoked)",
    requestSchema: {
      type: 'object', required: ['password'], additionalProperties: false,
      properties: { password: { type: 'string', minLength: 1, maxLength: 4096 } },
    },
    handler: async ({ params, body, actor }) => {
      await services.users.setPassword(params.id!, body.password, actor);
      return undefined;
    },
  });

  const linkResponse = {
    type: 'object', additionalProperties: false, required: ['link', 'expires'],
    properties: { link: { type: 'string', format: 'uri' }, expires: { type: 'string', format: 'date-time' } },
  };

  defineRoute(router, {
    method: 'post', path: `${idParam}/recovery`, permission: 'user.recovery', tag: 'users',
    summary: 'Create a single-use recovery link (older links of the user stop working)',
    responseSchema: linkResponse,
    handler: async ({ params, actor }) => {
      const link = await services.recovery.createLink(params.id!, actor);
      return { link: link.link, expires: link.expires.toISOString() };
    },
  });

  defineRoute(router, {
    method: 'post', path: `${idParam}/recovery_email`, permission: 'user.recovery', tag: 'users',
    summary: "Email a new recovery link to the user's address (400 without email, 502 when the SMTP server refuses)",
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['to', 'expires'],
      properties: { to: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
    },
    handler: async ({ params, actor }) => {
      const sent = await services.recovery.sendEmail(params.id!, actor);
      return { to: sent.to, expires: sent.expires.toISOString() };
    },
  });
}
