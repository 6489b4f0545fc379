import type { Router } from 'express';
import type { Services } from '../../src/services/index.js';
import { defineComponent, defineRoute } from './routes.js';

const SettingsSchema = defineComponent('Settings', {
  type: 'object', additionalProperties: false,
  required: [
    'impersonation', 'impersonation_require_reason', 'unique_email', 'password_min_length', 'login_throttle_window', 'login_throttle_count',
    'recovery.self_service', 'recovery.limit_window', 'recovery.limit_per_address', 'recovery.limit_per_account',
  ],
  properties: {
    impersonation: { type: 'boolean' },
    impersonation_require_reason: { type: 'boolean' },
    unique_email: { type: 'boolean' },
    password_min_length: { type: 'integer', minimum: 1, maximum: 1024 },
    login_throttle_window: { type: 'integer', minimum: 1, maximum: 86400, description: 'seconds' },
    login_throttle_count: { type: 'integer', minimum: 1, maximum: 100000, description: 'failures per window before refusing' },
    'recovery.self_service': { type: 'boolean', description: 'users may ask for a recovery email at /recovery; needs an SMTP server' },
    'recovery.limit_window': { type: 'integer', minimum: 1, maximum: 86400, description: 'seconds over which self-service requests are counted' },
    'recovery.limit_per_address': { type: 'integer', minimum: 1, maximum: 100000, description: 'self-service requests per client address per window' },
    'recovery.limit_per_account': { type: 'integer', minimum: 1, maximum: 100000, description: 'self-service recovery emails per account per window' },
  },
});

/** GET|PATCH /settings: run-time settings shared by every instance; each change is an event. */
export function mountSettingsRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/settings', permission: 'settings.change', tag: 'settings',
    summary: 'Current settings', responseSchema: SettingsSchema,
    handler: async () => services.settings.get(),
  });

  defineRoute(router, {
    method: 'patch', path: '/settings', permission: 'settings.change', tag: 'settings',
    summary: 'Change some settings (unknown keys and bad values are refused, each named)',
    // Validated by the service so that every bad key is named in one 400.
    requestSchema: { type: 'object' },
    responseSchema: SettingsSchema,
    handler: async ({ body, actor }) => services.settings.update(body, actor),
  });
}
