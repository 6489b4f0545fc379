import type { Router } from 'express';
import { InvalidValue } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, paged, pageRequest, stringParam, type PageRequest } from './pagination.js';
import { EventSchema, eventJson, pageOf } from './present.js';
import { defineRoute, type QueryParam } from './routes.js';

export const EVENT_FILTER_PARAMS: Readonly<Record<string, QueryParam>> = {
  action: { schema: { type: 'string' }, description: 'exact action, e.g. login_failed' },
  since: { schema: { type: 'string', format: 'date-time' }, description: 'events at or after this time' },
  until: { schema: { type: 'string', format: 'date-time' }, description: 'events before this time' },
  ...PAGE_PARAMS,
};

function dateParam(query: Record<string, unknown>, name: string): Date | undefined {
  const v = stringParam(query, name);
  if (v === undefined || v === '') return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw InvalidValue.field(name, 'must be an ISO 8601 date or date-time');
  return d;
}

/** Lists events (newest first) with the action/date filters of the query string. @throws InvalidValue */
export async function listEventsPage(services: Services, query: Record<string, unknown>, userId: string | undefined, p: PageRequest) {
  const action = stringParam(query, 'action');
  if (action !== undefined && action.length > 64) throw InvalidValue.field('action', 'must be at most 64 characters');
  const since = dateParam(query, 'since');
  const until = dateParam(query, 'until');
  if (since && until && since.getTime() > until.getTime()) throw InvalidValue.field('until', 'must not be before since');
  const { events, count } = await services.events.list({ userId, action: action || undefined, since, until, limit: p.limit, offset: p.offset });
  return paged(events.map(eventJson), count, p);
}

/** GET /events: the append-only audit trail (no write routes exist). */
export function mountEventRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'get', path: '/events', permission: 'event.view', tag: 'events',
    summary: 'Events, newest first, filtered by user (actor or target), action and date range',
    query: { user: { schema: { type: 'string' }, description: 'a user id: events it did or that were done to it' }, ...EVENT_FILTER_PARAMS },
    responseSchema: pageOf(EventSchema),
    handler: async ({ query }) => {
      const user = stringParam(query, 'user');
      return listEventsPage(services, query, user || undefined, pageRequest(query));
    },
  });
}
