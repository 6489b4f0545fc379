import type { Router } from 'express';
import type { Services } from '../../src/services/index.js';
import { SETTINGS_SCHEMA } from '../../src/services/settings.js';
import { defineComponent, defineRoute } from './routes.js';

// The OpenAPI shape is derived from the one settings registry, so a new key is one edit.
const SettingsSchema = defineComponent('Settings', {
  type: 'object', additionalProperties: false,
  required: Object.keys(SETTINGS_SCHEMA),
  properties: Object.fromEntries(Object.entries(SETTINGS_SCHEMA).map(([k, s]) => [k, {
    type: s.type, description: s.description,
    ...(s.minimum !== undefined ? { minimum: s.minimum } : {}),
    ...(s.maximum !== undefined ? { maximum: s.maximum } : {}),
    ...(s.enum ? { enum: [...s.enum] } : {}),
  }])),
});

const SettingsSchemaSchema = defineComponent('SettingsSchema', {
  type: 'object',
  description: 'each setting key: its type, default, bounds and meaning',
  additionalProperties: {
    type: 'object', required: ['type', 'default', 'description'],
    properties: {
      type: { type: 'string', enum: ['boolean', 'integer', 'string'] },
      default: {}, description: { type: 'string' },
      minimum: { type: 'integer' }, maximum: { type: 'integer' }, enum: { type: 'array', items: { type: 'string' } },
    },
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
    method: 'get', path: '/settings/schema', permission: 'settings.change', tag: 'settings',
    summary: 'What each setting key means: type, default, bounds', responseSchema: SettingsSchemaSchema,
    handler: async () => services.settings.schema(),
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
