import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';

/**
 * Recovery, impersonation, export and notification endpoints (the admin extension issue).
 * The admin router calls this once while building /api/v1.
 */
export function mountExtensions(_router: Router, _services: Services, _log: Logger): void {
  // filled in by the recovery/impersonation/export work
}
