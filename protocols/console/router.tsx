import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';
import { serveAsset } from './assets.js';
import { csrfMatches, submittedCsrf } from './csrf.js';
import { Layout } from './layout.js';
import { doLogin, doLogout, showLogin } from './pages/login.js';
import { mountPages } from './pages/index.js';
import { html, sendHtml } from './render.js';
import { securityHeaders } from './security-headers.js';
import { consoleSession } from './session.js';

/** Signed-out browsers go to the sign-in page (htmx gets HX-Redirect so the whole page changes). */
function requireSignedIn(req: Request, res: Response, next: NextFunction): void {
  if (req.consoleAuth) {
    next();
    return;
  }
  const target = req.method === 'GET' ? `/admin/login?next=${encodeURIComponent(req.originalUrl)}` : '/admin/login';
  if (req.get('hx-request') === 'true') res.status(200).set('HX-Redirect', target).end();
  else res.redirect(303, target);
}

/** Every state-changing request carries the session's CSRF token (header or `_csrf` field). */
function checkCsrf(req: Request, res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  if (req.consoleAuth && csrfMatches(req.consoleAuth.csrf, submittedCsrf(req))) {
    next();
    return;
  }
  const text = 'Refused: this request did not carry the console\u2019s CSRF token. Reload the page and try again.';
  sendHtml(res, 403, html(
    <Layout title="Refused" auth={req.consoleAuth ?? null} message={{ text, error: true }}>
      <section class="error-page"><h1>Refused</h1><p>{text}</p></section>
    </Layout>,
  ));
}

/** The web console at /admin: a door like the others, calling the services only. */
export function consoleRouter(services: Services, log: Logger): Router {
  const router = Router();
  router.use(securityHeaders);
  router.get('/assets/:name', serveAsset);
  router.use(express.urlencoded({ extended: false, limit: '1mb', parameterLimit: 20_000 }));
  router.use(consoleSession(services));
  router.get('/login', showLogin(services));
  router.post('/login', doLogin(services, log));
  router.use(requireSignedIn);
  router.use(checkCsrf);
  router.post('/logout', doLogout(services));
  router.get('/', (_req, res) => res.redirect(303, '/admin/users'));
  mountPages(router, services, log);
  return router;
}
