import type { Router } from 'express';
import { PermissionDenied } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { UserSchema, userJson } from './present.js';
import { defineRoute } from './routes.js';

/** TOTP enrolment at /me, and unlocking a locked account (issue 15). */
export function mountAccountSecurityRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'post', path: '/me/mfa/totp', permission: 'self', tag: 'auth',
    summary: 'Begin a TOTP enrolment: the otpauth:// URI and its QR code (SVG). It counts once confirmed with a first code.',
    requestSchema: { type: 'object', additionalProperties: false, properties: { name: { type: 'string', maxLength: 100 } } },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['id', 'uri', 'qr_svg'],
      properties: { id: { type: 'string', format: 'uuid' }, uri: { type: 'string' }, qr_svg: { type: 'string' } },
    },
    handler: async ({ auth, body }) => {
      // An impersonating admin must not plant a second factor on someone else's account.
      if (auth.impersonator) throw new PermissionDenied('a second factor cannot be enrolled while impersonating');
      const r = await services.mfa.beginTotp(auth.user, body.name);
      return { id: r.id, uri: r.uri, qr_svg: r.qrSvg };
    },
  });

  defineRoute(router, {
    method: 'post', path: '/me/mfa/totp/confirm', permission: 'self', tag: 'auth',
    summary: 'Confirm the enrolment with the current code; returns one-time recovery codes (shown once)',
    requestSchema: { type: 'object', required: ['code'], additionalProperties: false, properties: { code: { type: 'string', maxLength: 16 } } },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['recovery_codes'],
      properties: { recovery_codes: { type: 'array', items: { type: 'string' } } },
    },
    handler: async ({ auth, body, actor }) => {
      if (auth.impersonator) throw new PermissionDenied('a second factor cannot be enrolled while impersonating');
      const r = await services.mfa.confirmTotp(auth.user, body.code, actor);
      return { recovery_codes: r.recoveryCodes };
    },
  });

  defineRoute(router, {
    method: 'put', path: '/applications/:slug/mfa', permission: 'application.change', tag: 'applications',
    summary: 'The application\'s own mfa.ldap_bind (off, optional, required; null follows the setting), used when it is the application whose bindings decide LDAP access',
    requestSchema: {
      type: 'object', required: ['ldap_bind'], additionalProperties: false,
      properties: { ldap_bind: { anyOf: [{ enum: ['off', 'optional', 'required'] }, { type: 'null' }] } },
    },
    responseSchema: {
      type: 'object', additionalProperties: false, required: ['ldap_bind'],
      properties: { ldap_bind: { anyOf: [{ enum: ['off', 'optional', 'required'] }, { type: 'null' }] } },
    },
    handler: async ({ params, body, actor }) => ({ ldap_bind: await services.mfa.setApplicationLdapMode(params.slug!, body.ldap_bind, actor) }),
  });

  defineRoute(router, {
    method: 'post', path: '/users/:id/unlock', permission: 'user.change', tag: 'users',
    summary: 'Unlock an account locked after repeated failed sign-ins (lockout.threshold); records account_unlocked',
    responseSchema: UserSchema,
    handler: async ({ params, actor }) => userJson(await services.auth.unlock(params.id!, actor, services.access)),
  });
}
