import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../src/services/index.js';
import { adminRouter } from './admin/router.js';
import { consoleRouter } from './console/router.js';
import { recoveryRouter } from './admin/recovery-pages.js';
import { scimRouter } from './scim/router.js';
import { httpRequests, instanceMetrics } from './metrics.js';

/** The one express app: /scim/v2, /api/v1, /recovery, /admin (the console), health and metrics. */
export function createHttpApp(services: Services, log: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', services.config.http.trustProxy);
  app.set('etag', false);

  app.use((req: Request, res: Response, next: NextFunction) => {
    const end = httpRequests.startTimer();
    res.on('finish', () => {
      const door = req.path.startsWith('/scim') ? 'scim' : req.path.startsWith('/api') ? 'admin' : 'other';
      end({ door, method: req.method, status: String(res.statusCode) });
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const reason = await services.health.notReady();
    if (reason) res.status(503).json({ status: 'unavailable', reason });
    else res.json({ status: 'ready' });
  });
  app.get('/metrics', async (_req, res) => {
    const { contentType, text } = await instanceMetrics();
    res.type(contentType).send(text);
  });

  app.use('/scim/v2', scimRouter(services, log));
  app.use('/api/v1', adminRouter(services, log));
  app.use('/recovery', recoveryRouter(services, log));
  app.use('/admin', consoleRouter(services, log));

  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  // Last resort: never a stack trace to the client.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    log.error({ err }, 'unhandled error');
    if (!res.headersSent) res.status(500).json({ error: 'internal server error' });
  });
  return app;
}
