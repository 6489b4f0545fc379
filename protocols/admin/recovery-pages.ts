import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { Gone, InvalidValue, NotFound, PermissionDenied, isDirgateError } from '../../src/domain/errors.js';
import type { Services } from '../../src/services/index.js';
import { escapeHtml } from '../../src/services/recovery.js';

/**
 * GET|POST /recovery: where a user who forgot their password asks for a recovery link (when
 * `recovery.self_service` is on). GET|POST /recovery/{token}: the page a recovery link opens. Plain HTML and CSS with no
 * script, so it works in any browser (and without JavaScript); every field has a label. Only
 * our own status pages leave here, never a stack trace.
 */
export function recoveryRouter(services: Services, log: Logger): Router {
  const router = Router();
  router.use((_req: Request, res: Response, next: NextFunction) => {
    // The token is in the URL: keep it out of caches and Referer headers.
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
    });
    next();
  });
  router.use(express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 }));

  router.get('/', async (_req: Request, res: Response) => {
    try {
      if (!(await services.selfRecovery.enabled())) {
        sendNotOffered(res);
        return;
      }
      sendPage(res, 200, 'Forgot your password?', requestFormBody(null));
    } catch (e) {
      await sendError(res, e, log, services);
    }
  });

  router.post('/', async (req: Request, res: Response) => {
    try {
      // The same page, after the same work, whoever the answer names (see SelfServiceRecovery).
      const outcome = await services.selfRecovery.request((req.body as Record<string, unknown> | undefined)?.identifier, req.ip ?? null);
      if (outcome === 'off') {
        sendNotOffered(res);
        return;
      }
      if (outcome === 'empty') {
        sendPage(res, 400, 'Forgot your password?', requestFormBody('Enter your username or email address.'));
        return;
      }
      const minutes = Math.max(1, Math.round(services.config.auth.recoveryTtl / 60));
      sendPage(res, 200, 'Check your email', `
<h1>Check your email</h1>
<p class="ok" role="status">If an account matches what you entered, an email with a link to set a new password is on its way.</p>
<p>The link works once, for ${minutes} minutes. If no email arrives within a few minutes, check your spam folder and what you typed, or ask your administrator.</p>`);
    } catch (e) {
      await sendError(res, e, log, services);
    }
  });

  router.get('/:token', async (req: Request, res: Response) => {
    const token = String(req.params.token);
    try {
      const { user } = await services.recovery.open(token, req.ip ?? null);
      const { 'password.min_length': min } = await services.settings.get();
      sendPage(res, 200, 'Set a new password', formBody(user.username, min, null));
    } catch (e) {
      await sendError(res, e, log, services);
    }
  });

  router.post('/:token', async (req: Request, res: Response) => {
    const token = String(req.params.token);
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      const user = await services.recovery.complete(token, body.password, body.password_confirm, req.ip ?? null);
      sendPage(res, 200, 'Password changed', `
<h1>Your password has been changed</h1>
<p class="ok" role="status">The new password for <strong>${escapeHtml(user.username)}</strong> is set. You can now sign in with it.</p>
<p>For your safety, every session of this account has been signed out, and this link no longer works.</p>`);
    } catch (e) {
      if (e instanceof InvalidValue) {
        try {
          const { user } = await services.recovery.open(token, req.ip ?? null);
          const { 'password.min_length': min } = await services.settings.get();
          sendPage(res, 400, 'Set a new password', formBody(user.username, min, describeInvalid(e)));
          return;
        } catch (inner) {
          await sendError(res, inner, log, services);
          return;
        }
      }
      await sendError(res, e, log, services);
    }
  });

  // Express 5 hands a malformed body (e.g. too large) to the error middleware.
  router.use(async (err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      sendPage(res, status, 'Bad request', '<h1>That request could not be read</h1><p>Go back and try again.</p>');
      return;
    }
    await sendError(res, err, log, services);
  });
  return router;
}

function describeInvalid(e: InvalidValue): string {
  const messages = Object.entries(e.fields).map(([field, problem]) => {
    if (field === 'password') return `The new password ${problem.replace(/^enter a new password$/, 'is required')}.`;
    if (field === 'password_confirm') return 'The two passwords are not the same.';
    return `${field}: ${problem}`;
  });
  return messages.length ? messages.join(' ') : e.message;
}

async function sendError(res: Response, e: unknown, log: Logger, services: Services): Promise<void> {
  if (e instanceof Gone || e instanceof NotFound) {
    const selfService = await services.selfRecovery.enabled().catch(() => false);
    const getNew = selfService
      ? `<a href="${escapeHtml(services.config.http.publicUrl)}/recovery">request a new link</a> or ask your administrator for one`
      : 'ask your administrator for a new one';
    if (e instanceof Gone) {
      sendPage(res, 410, 'Link no longer valid', `
<h1>This link can no longer be used</h1>
<p class="error" role="alert">${escapeHtml(capitalise(e.message))}.</p>
<p>Recovery links work once and only for a limited time. You can ${getNew}.</p>`);
    } else {
      sendPage(res, 404, 'Link not valid', `
<h1>This link is not valid</h1>
<p class="error" role="alert">Check that you copied the whole address from the message.</p>
<p>You can also ${getNew}.</p>`);
    }
    return;
  }
  if (e instanceof PermissionDenied) {
    sendPage(res, 403, 'Account deactivated', `
<h1>This account is deactivated</h1>
<p class="error" role="alert">Its password cannot be changed. Contact your administrator.</p>`);
    return;
  }
  const unavailable = isDirgateError(e) && e.code === 'unavailable';
  if (!unavailable) log.error({ err: e }, 'recovery page error');
  sendPage(res, unavailable ? 503 : 500, 'Something went wrong', `
<h1>Something went wrong</h1>
<p class="error" role="alert">Your password was not changed. Please try again in a moment.</p>`);
}

function sendNotOffered(res: Response): void {
  sendPage(res, 404, 'Password recovery not offered', `
<h1>Password recovery is not offered here</h1>
<p>Ask your administrator to reset your password or to send you a recovery link.</p>`);
}

function requestFormBody(error: string | null): string {
  return `
<h1>Forgot your password?</h1>
<p>Enter your username or the email address of your account. If it matches an account, we will email a link to set a new password.</p>
${error ? `<p class="error" id="form-error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="" novalidate>
  <div class="field">
    <label for="identifier">Username or email</label>
    <input id="identifier" name="identifier" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="320"${error ? ' aria-invalid="true" aria-describedby="form-error"' : ''} autofocus>
  </div>
  <button type="submit">Send recovery email</button>
</form>`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function formBody(username: string, minLength: number, error: string | null): string {
  const describedBy = error ? 'password-hint form-error' : 'password-hint';
  return `
<h1>Set a new password</h1>
<p>Choose a new password for <strong>${escapeHtml(username)}</strong>.</p>
${error ? `<p class="error" id="form-error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="" novalidate>
  <input type="text" name="username" value="${escapeHtml(username)}" autocomplete="username" readonly hidden>
  <div class="field">
    <label for="password">New password</label>
    <input id="password" name="password" type="password" autocomplete="new-password" required minlength="${minLength}" aria-describedby="${describedBy}"${error ? ' aria-invalid="true" autofocus' : ' autofocus'}>
    <p class="hint" id="password-hint">At least ${minLength} characters.</p>
  </div>
  <div class="field">
    <label for="password_confirm">Repeat the new password</label>
    <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required minlength="${minLength}">
  </div>
  <button type="submit">Set password</button>
</form>`;
}

const STYLE = `
:root { color-scheme: light dark; --accent: #1f5fbf; --error: #b00020; --ok: #1b7a35; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: Canvas; color: CanvasText; }
main { max-width: 28rem; margin: 4rem auto; padding: 2rem; border: 1px solid color-mix(in srgb, CanvasText 20%, transparent); border-radius: 8px; }
h1 { font-size: 1.5rem; margin-top: 0; }
.field { margin: 1rem 0; }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input[type=password], input[type=text] { width: 100%; padding: .6rem; font-size: 1rem; border: 1px solid #767676; border-radius: 4px; }
input:focus, button:focus { outline: 3px solid var(--accent); outline-offset: 2px; }
.hint { margin: .25rem 0 0; font-size: .9rem; opacity: .8; }
button { padding: .6rem 1.2rem; font-size: 1rem; border: 0; border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
.error { color: var(--error); font-weight: 600; }
.ok { color: var(--ok); font-weight: 600; }
@media (prefers-color-scheme: dark) { :root { --accent: #6ea8ff; --error: #ff7b8a; --ok: #6fdc8c; } button { color: #000; } }
`;

function sendPage(res: Response, status: number, title: string, body: string): void {
  res.status(status).type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)} · dirgate</title>
<style>${STYLE}</style>
</head>
<body>
<main>${body}
</main>
</body>
</html>
`);
}
