import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';
import { mountAccountSecurityRoutes } from './ext-account-security.js';
import { mountExportRoutes } from './ext-exports.js';
import { mountImpersonationRoutes } from './ext-impersonation.js';
import { mountNotificationRoutes } from './ext-notifications.js';
import { mountRecoveryRoutes } from './ext-recovery.js';

/**
 * Recovery, impersonation, export and notification endpoints (the admin extension issue).
 * The admin router calls this once while building /api/v1; every route goes through the
 * registrar, so it gets the permission check, the OpenAPI entry and the permission matrix.
 */
export function mountExtensions(router: Router, services: Services, _log: Logger): void {
  mountRecoveryRoutes(router, services);
  mountImpersonationRoutes(router, services);
  mountExportRoutes(router, services);
  mountNotificationRoutes(router, services);
  mountAccountSecurityRoutes(router, services);
}
