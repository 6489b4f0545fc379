import { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';

/** GET|POST /recovery/{token} (placeholder until the recovery issue lands). */
export function recoveryRouter(_services: Services, _log: Logger): Router {
  return Router();
}
