import type { Router } from 'express';
import { InvalidValue } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { UserSchema, userJson } from './present.js';
import { defineRoute } from './routes.js';

/** POST /auth/login, POST /auth/logout, GET /me. */
export function mountAuthRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'post', path: '/auth/login', permission: null, tag: 'auth',
    summary: 'Create a session from a username and password (throttled like LDAP binds). An account with TOTP also sends `code`; '
      + 'an expired password (or one an admin set, with password.change_after_reset) is replaced by `new_password`. '
      + 'A 401 carries `reason`: invalid_credentials, throttled, mfa_required, mfa_failed, password_expired, password_change_required.',
    requestSchema: {
      type: 'object', required: ['username', 'password'], additionalProperties: false,
      properties: {
        username: { type: 'string', maxLength: 1024 }, password: { type: 'string', maxLength: 4096 },
        code: { type: 'string', maxLength: 64, description: 'the TOTP code (or a recovery code) when the account has TOTP' },
        new_password: { type: 'string', maxLength: 4096, description: 'replaces an expired password (the password policy applies)' },
      },
    },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['token', 'expires'],
      properties: { token: { type: 'string' }, expires: { type: 'string', format: 'date-time' } },
    },
    handler: async ({ req, body }) => {
      const r = await services.auth.login(body.username, body.password, { clientIp: req.ip ?? null, userAgent: req.get('user-agent') ?? null }, {
        code: body.code, newPassword: body.new_password,
      });
      return { token: r.token, expires: r.expires.toISOString() };
    },
  });

  defineRoute(router, {
    method: 'post', path: '/auth/logout', permission: 'self', tag: 'auth',
    summary: 'End the session this request came through',
    handler: async ({ auth, actor }) => {
      if (!auth.session) throw InvalidValue.field('authorization', 'logout ends a session; this request used an API token');
      await services.auth.logout(auth.session.id, actor);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'get', path: '/me', permission: 'self', tag: 'auth',
    summary: 'The caller, the impersonating admin when this is an impersonation session, and the global permissions the caller holds (all of them for a superuser)',
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['user', 'original', 'permissions'],
      properties: {
        user: UserSchema, original: { anyOf: [UserSchema, { type: 'null' }] },
        permissions: { type: 'array', items: { type: 'string' }, description: 'effective global permissions; permissions on single objects are not listed' },
      },
    },
    handler: async ({ auth }) => {
      const me = await services.impersonation.whoAmI(auth);
      return { user: userJson(me.user), original: me.original ? userJson(me.original) : null, permissions: me.permissions };
    },
  });
}
