import { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';

/** The admin API at /api/v1 (placeholder until the admin API issue lands). */
export function adminRouter(_services: Services, _log: Logger): Router {
  const router = Router();
  return router;
}
