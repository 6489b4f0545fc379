import { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';

/** SCIM 2.0 at /scim/v2 (placeholder until the SCIM issue lands). */
export function scimRouter(_services: Services, _log: Logger): Router {
  const router = Router();
  return router;
}
