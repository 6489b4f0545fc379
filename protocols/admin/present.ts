import { groupShape, userShape } from '../../src/domain/shapes.js';
import type { ApiToken, DirEvent, Group, Role, Session, User } from '../../src/domain/types.js';
import { shapeFields, type FieldDef } from '../../src/domain/catalogue.js';
import type { Application, PolicyBinding } from '../../src/services/access.js';
import { TOKEN_KEY_PREFIX_LENGTH } from '../../src/services/auth.js';
import { defineComponent, type JsonSchema } from './routes.js';

/** JSON shapes of the admin API (DESIGN.md) and their schemas for the OpenAPI document. */

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);
const nullable = (schema: JsonSchema): JsonSchema => ({ anyOf: [schema, { type: 'null' }] });
const dateTime: JsonSchema = { type: 'string', format: 'date-time' };
const uuid: JsonSchema = { type: 'string', format: 'uuid' };

/** A catalogue field's JSON schema, as the admin API writes its value. */
function fieldSchema(def: FieldDef): JsonSchema {
  const base: JsonSchema = def.type === 'uuid' ? uuid
    : def.type === 'datetime' ? dateTime
      : def.type === 'boolean' ? { type: 'boolean' }
        : def.type === 'enum' ? { enum: [...(def.values ?? [])] }
          : def.type === 'json' ? { type: 'object' }
            : def.type === 'integer' ? { type: 'integer' } : { type: 'string' };
  return def.storage.kind === 'column' && def.storage.nullable ? nullable(base) : base;
}

/** The catalogue's user shape (userShape writes it). */
export const UserSchema = defineComponent('User', {
  type: 'object',
  additionalProperties: false,
  required: [...shapeFields('users').map((f) => f.name), 'locked_until'],
  properties: {
    ...Object.fromEntries(shapeFields('users').map((f) => [f.name, fieldSchema(f)])),
    locked_until: { ...nullable(dateTime), description: 'set while the account is locked after repeated failed sign-ins; POST /users/{id}/unlock clears it' },
  },
});

/**
 * Never a password or hash: only the catalogue's shape fields leave the server, and the lockout
 * state (admin API only; not a column of the export, which is the same shape otherwise).
 */
export function userJson(u: User): Record<string, unknown> {
  return { ...userShape(u), locked_until: u.lockedUntil && u.lockedUntil.getTime() > Date.now() ? u.lockedUntil.toISOString() : null };
}

export const GroupSchema = defineComponent('Group', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'is_superuser', 'parents', 'attributes'],
  properties: {
    id: uuid, name: { type: 'string' }, is_superuser: { type: 'boolean' },
    parents: { type: 'array', items: uuid }, attributes: { type: 'object' },
  },
});

export const groupJson = groupShape;

export const RoleSchema = defineComponent('Role', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'permissions'],
  properties: { id: uuid, name: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } } },
});

export function roleJson(r: Role) {
  return { id: r.id, name: r.name, permissions: [...r.permissions].sort() };
}

export const HeldRoleSchema = defineComponent('HeldRole', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'permissions', 'assigned', 'group'],
  properties: {
    id: uuid, name: { type: 'string' }, permissions: { type: 'array', items: { type: 'string' } },
    assigned: { type: 'boolean' },
    group: nullable({ type: 'object', required: ['id', 'name'], properties: { id: uuid, name: { type: 'string' } } }),
  },
});

export const SessionSchema = defineComponent('Session', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'user', 'client_ip', 'user_agent', 'created', 'expires', 'last_used', 'impersonator', 'current'],
  properties: {
    id: uuid, user: uuid, client_ip: nullable({ type: 'string' }), user_agent: nullable({ type: 'string' }),
    created: dateTime, expires: dateTime, last_used: nullable(dateTime), impersonator: nullable(uuid), current: { type: 'boolean' },
  },
});

export function sessionJson(s: Session, currentId: string | null) {
  return {
    id: s.id, user: s.userId, client_ip: s.clientIp, user_agent: s.userAgent, created: iso(s.createdAt)!,
    expires: iso(s.expiresAt)!, last_used: iso(s.lastUsedAt), impersonator: s.impersonatorId, current: s.id === currentId,
  };
}

const tokenProperties = {
  id: uuid, user: uuid, description: { type: 'string' },
  key_prefix: { type: 'string', maxLength: TOKEN_KEY_PREFIX_LENGTH, description: `the first ${TOKEN_KEY_PREFIX_LENGTH} characters of the key (dgt_ and 4 more), never more` },
  created: dateTime, expires: nullable(dateTime), last_used: nullable(dateTime),
};
export const TokenSchema = defineComponent('Token', {
  type: 'object',
  additionalProperties: false,
  required: Object.keys(tokenProperties),
  properties: tokenProperties,
});
export const NewTokenSchema = defineComponent('NewToken', {
  type: 'object',
  additionalProperties: false,
  required: [...Object.keys(tokenProperties), 'key'],
  properties: { ...tokenProperties, key: { type: 'string', description: 'shown once' } },
});

export function tokenJson(t: ApiToken) {
  return {
    id: t.id, user: t.userId, description: t.description, key_prefix: t.keyPrefix.slice(0, TOKEN_KEY_PREFIX_LENGTH), created: iso(t.createdAt)!,
    expires: iso(t.expiresAt), last_used: iso(t.lastUsedAt),
  };
}

export const EventSchema = defineComponent('Event', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'action', 'actor_id', 'actor_username', 'impersonator_id', 'impersonator_username', 'target_type', 'target_id', 'client_ip', 'context', 'created'],
  properties: {
    id: uuid, action: { type: 'string' }, actor_id: nullable({ type: 'string' }), actor_username: nullable({ type: 'string' }),
    impersonator_id: nullable({ type: 'string' }), impersonator_username: nullable({ type: 'string' }),
    target_type: nullable({ type: 'string' }), target_id: nullable({ type: 'string' }), client_ip: nullable({ type: 'string' }),
    context: { type: 'object' }, created: dateTime,
  },
});

export function eventJson(e: DirEvent) {
  return {
    id: e.id, action: e.action, actor_id: e.actorId, actor_username: e.actorUsername, impersonator_id: e.impersonatorId,
    impersonator_username: e.impersonatorUsername, target_type: e.targetType, target_id: e.targetId, client_ip: e.clientIp,
    context: e.context, created: iso(e.createdAt)!,
  };
}

export const ApplicationSchema = defineComponent('Application', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'slug', 'launch_url'],
  properties: { id: uuid, name: { type: 'string' }, slug: { type: 'string' }, launch_url: nullable({ type: 'string' }) },
});

export function applicationJson(a: Application) {
  return { id: a.id, name: a.name, slug: a.slug, launch_url: a.launchUrl };
}

export const BindingSchema = defineComponent('PolicyBinding', {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'application', 'user', 'group', 'order', 'enabled', 'negate'],
  properties: {
    id: uuid, application: uuid, user: nullable(uuid), group: nullable(uuid), order: { type: 'integer' },
    enabled: { type: 'boolean' }, negate: { type: 'boolean' },
  },
});

export function bindingJson(b: PolicyBinding) {
  return { id: b.id, application: b.applicationId, user: b.userId, group: b.groupId, order: b.order, enabled: b.enabled, negate: b.negate };
}

export const PaginationSchema = defineComponent('Pagination', {
  type: 'object',
  additionalProperties: false,
  required: ['count', 'page', 'page_size', 'next'],
  properties: {
    count: { type: 'integer', minimum: 0 }, page: { type: 'integer', minimum: 1 }, page_size: { type: 'integer', minimum: 1 },
    next: nullable({ type: 'integer', minimum: 2 }),
  },
});

/** `{results, pagination}` with `items` as the result schema. */
export function pageOf(items: JsonSchema): JsonSchema {
  return {
    type: 'object', additionalProperties: false, required: ['results', 'pagination'],
    properties: { results: { type: 'array', items }, pagination: PaginationSchema },
  };
}

/** `{results}` for unpaginated lists (a user's tabs). */
export function listOf(items: JsonSchema): JsonSchema {
  return { type: 'object', additionalProperties: false, required: ['results'], properties: { results: { type: 'array', items } } };
}
