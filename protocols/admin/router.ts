import express, { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';
import { bearerAuthentication } from './authenticate.js';
import { notFoundHandler, problemHandler } from './errors.js';
import { mountExtensions } from './extensions.js';
import { openApiDocument } from './openapi.js';
import { attachServices, defineRoute, routesOf } from './routes.js';
import { mountApplicationRoutes } from './application-routes.js';
import { mountAuthRoutes } from './auth-routes.js';
import { mountEventRoutes } from './event-routes.js';
import { mountGroupRoutes } from './group-routes.js';
import { mountObjectPermissionRoutes } from './object-permission-routes.js';
import { mountRoleRoutes } from './role-routes.js';
import { mountSettingsRoutes } from './settings-routes.js';
import { mountTokenRoutes } from './token-routes.js';
import { mountUserDetailRoutes } from './user-detail-routes.js';
import { mountUserRoutes } from './user-routes.js';

/** The admin API at /api/v1: bearer authentication, then every route through the registrar. */
export function adminRouter(services: Services, log: Logger): Router {
  const router = Router();
  attachServices(router, services);
  // application/merge-patch+json (RFC 7396) is JSON too: PATCH /users/{id} merges attributes with it.
  router.use(express.json({ limit: '1mb', strict: false, type: ['application/json', 'application/merge-patch+json'] }));
  router.use(bearerAuthentication(services));

  mountAuthRoutes(router, services);
  mountTokenRoutes(router, services);
  // Extensions first among /users routes: their fixed paths (/users/export) must win over /users/:id.
  mountExtensions(router, services, log);
  mountUserRoutes(router, services);
  mountUserDetailRoutes(router, services);
  mountGroupRoutes(router, services);
  mountRoleRoutes(router, services);
  mountObjectPermissionRoutes(router, services);
  mountApplicationRoutes(router, services);
  mountSettingsRoutes(router, services);
  mountEventRoutes(router, services);

  defineRoute(router, {
    method: 'get', path: '/schema', permission: null, tag: 'schema',
    summary: 'This OpenAPI 3.1 document, generated from the route table',
    responseSchema: { type: 'object', required: ['openapi', 'paths'] },
    handler: async () => openApiDocument(routesOf(router)),
  });

  router.use(notFoundHandler);
  router.use(problemHandler(log));
  return router;
}
