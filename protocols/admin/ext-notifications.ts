import type { Router } from 'express';
import type { NotificationRecord } from '../../src/services/notifications.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, boolParam, paged, pageRequest } from './pagination.js';
import { pageOf } from './present.js';
import { defineComponent, defineRoute } from './routes.js';

export const NotificationSchema = defineComponent('Notification', {
  type: 'object', additionalProperties: false,
  required: ['id', 'title', 'body', 'link', 'seen', 'created'],
  properties: {
    id: { type: 'string', format: 'uuid' }, title: { type: 'string' }, body: { type: 'string' },
    link: { anyOf: [{ type: 'string' }, { type: 'null' }] }, seen: { type: 'boolean' }, created: { type: 'string', format: 'date-time' },
  },
});

export function notificationJson(n: NotificationRecord) {
  return { id: n.id, title: n.title, body: n.body, link: n.link, seen: n.seen, created: n.createdAt.toISOString() };
}

/** The caller's notifications (an export is ready) and marking them seen. */
export function mountNotificationRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/notifications', permission: 'self', tag: 'notifications',
    query: { ...PAGE_PARAMS, seen: { schema: { type: 'boolean' }, description: 'only seen (true) or unseen (false) ones' } },
    summary: 'Your notifications, newest first',
    responseSchema: pageOf(NotificationSchema),
    handler: async ({ query, auth }) => {
      const p = pageRequest(query);
      const seen = boolParam(query, 'seen');
      const { notifications, count } = await services.notifications.list(auth.user.id, { seen, limit: p.limit, offset: p.offset });
      return paged(notifications.map(notificationJson), count, p);
    },
  });

  defineRoute(router, {
    method: 'post', path: '/notifications/mark_seen', permission: 'self', tag: 'notifications',
    summary: 'Mark your notifications seen: the given ids, or all of them',
    requestSchema: {
      type: 'object', additionalProperties: false,
      properties: { ids: { type: 'array', items: { type: 'string' }, maxItems: 1000 } },
    },
    responseSchema: { type: 'object', required: ['marked'], properties: { marked: { type: 'integer' } } },
    handler: async ({ body, auth }) => ({ marked: await services.notifications.markSeen(auth.user.id, body.ids as string[] | undefined) }),
  });

  defineRoute(router, {
    method: 'post', path: '/notifications/:id/seen', permission: 'self', tag: 'notifications',
    summary: 'Mark one of your notifications seen',
    responseSchema: NotificationSchema,
    handler: async ({ params, auth }) => {
      await services.notifications.get(auth.user.id, params.id!);
      await services.notifications.markSeen(auth.user.id, [params.id!]);
      return notificationJson(await services.notifications.get(auth.user.id, params.id!));
    },
  });
}
