import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDirgateError } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import type { Outcome, PageContext, PageHandler, PageOutcome } from './context.js';
import { describeError } from './errors.js';
import { Layout, LiveRegion } from './layout.js';
import { loadNotifications, Notifications } from './notifications.js';
import { fragment, html, hxTarget, sendHtml, type Message } from './render.js';
import { clearCookie, cookiesOf, secureCookies, setCookie, type ConsoleAuth } from './session.js';

/** A one-request message carried over a redirect (a cookie, so any instance can show it). Never a secret. */
export const FLASH_COOKIE = 'dirgate_console_flash';

function takeFlash(req: Request, res: Response, services: Services): Message | undefined {
  const raw = cookiesOf(req)[FLASH_COOKIE];
  if (!raw) return undefined;
  clearCookie(res, FLASH_COOKIE, secureCookies(services));
  try {
    const m = JSON.parse(raw) as { t?: unknown; e?: unknown };
    return typeof m.t === 'string' ? { text: m.t.slice(0, 2000), error: m.e === true } : undefined;
  } catch {
    return undefined;
  }
}

/** Sends a page outcome: the fragment an htmx request targets, or the whole page. */
async function sendPage(c: PageContext, o: PageOutcome, flash: Message | undefined): Promise<void> {
  const message = o.message ?? flash;
  const status = o.status ?? 200;
  if (c.target) {
    const part = o.fragments?.[c.target];
    if (part) {
      sendHtml(c.res, status, fragment(<>{part}<LiveRegion message={message} oob /></>));
      return;
    }
    if (c.target === 'main') {
      sendHtml(c.res, status, fragment(<><title>{`${o.title} · dirgate`}</title>{o.body}<LiveRegion message={message} oob /></>));
      return;
    }
  }
  const n = await loadNotifications(c.services, c.auth);
  sendHtml(c.res, status, html(
    <Layout title={o.title} auth={c.auth} current={o.section} message={message} notifications={<Notifications {...n} auth={c.auth} />}>
      {o.body}
    </Layout>,
  ));
}

function sendRedirect(c: PageContext, to: string, message: Message | undefined, full: boolean): void {
  if (message) {
    setCookie(c.res, FLASH_COOKIE, JSON.stringify({ t: message.text, e: message.error === true }), { secure: secureCookies(c.services), maxAge: 60 });
  }
  if (c.req.get('hx-request') === 'true') {
    // htmx fetches the new page into <main> and pushes its URL (or, when the session changed, loads it whole).
    if (full) c.res.status(200).set('HX-Redirect', to).end();
    else c.res.status(200).set('HX-Location', JSON.stringify({ path: to, target: '#main' })).end();
    return;
  }
  c.res.redirect(303, to);
}

/** Sends an error as a page (whole or fragment) with the service's text in the live region. */
async function sendError(c: PageContext, e: unknown, log: Logger): Promise<void> {
  if (!isDirgateError(e)) {
    log.error({ err: e }, 'console handler failed');
  }
  const { status, text } = isDirgateError(e) ? describeError(e) : { status: 500, text: 'Something went wrong on the server; it has been logged.' };
  const body = <section class="error-page"><h1>{status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : 'Could not do that'}</h1><p>{text}</p></section>;
  if (c.target && c.target !== 'main') {
    // A fragment request (a list, a dialog): keep the page as it is (no swap), announce the error out of band.
    c.res.set('HX-Reswap', 'none');
    sendHtml(c.res, status, fragment(<LiveRegion message={{ text, error: true }} oob />));
    return;
  }
  await sendPage(c, { kind: 'page', title: 'Error', section: '', body, message: { text, error: true }, status }, undefined);
}

/** Wraps a page handler: builds its context, sends what it returns, turns errors into pages. */
export function handle(services: Services, log: Logger, fn: PageHandler) {
  return async (req: Request, res: Response): Promise<void> => {
    const auth = req.consoleAuth as ConsoleAuth;
    const c: PageContext = {
      services, req, res, auth, target: hxTarget(req),
      query: req.query as Record<string, unknown>,
      body: (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>,
      params: req.params as Record<string, string>,
    };
    try {
      const flash = req.method === 'GET' ? takeFlash(req, res, services) : undefined;
      const o: Outcome = await fn(c);
      if (o.kind === 'redirect') sendRedirect(c, o.to, o.message, o.full === true);
      else await sendPage(c, o, flash);
    } catch (e) {
      try {
        await sendError(c, e, log);
      } catch (e2) {
        log.error({ err: e2 }, 'console error page failed');
        if (!res.headersSent) res.status(500).type('text/plain').send('internal server error');
      }
    }
  };
}
