import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { Unauthenticated } from '../../../src/domain/errors.js';
import type { ClientInfo } from '../../../src/services/auth.js';
import type { Services } from '../../../src/services/index.js';
import { csrfMatches, newLoginCsrf, submittedCsrf } from '../csrf.js';
import { Csrf, Layout } from '../layout.js';
import { html, sendHtml, type Message } from '../render.js';
import { clearCookie, cookiesOf, LOGIN_CSRF_COOKIE, ORIGINAL_COOKIE, secureCookies, SESSION_COOKIE, setCookie } from '../session.js';

/** Only a console path may be the place to return to after sign-in (no open redirect). */
export function safeNext(v: unknown): string {
  return typeof v === 'string' && /^\/admin(\/[^/\\][^\\]*)?$/.test(v) && !v.startsWith('/admin/login') ? v : '/admin/users';
}

interface FormState {
  readonly username?: string;
  readonly next: string;
  readonly askCode?: boolean;
  readonly message?: Message;
}

function LoginForm({ csrf, s }: { csrf: string; s: FormState }) {
  return (
    <section class="login">
      <h1>Sign in to dirgate</h1>
      <form method="post" action="/admin/login" class="form">
        <Csrf token={csrf} />
        <input type="hidden" name="next" value={s.next} />
        <div class="field">
          <label for="login-username">Username</label>
          <input id="login-username" name="username" autocomplete="username" required value={s.username ?? ''} autofocus={!s.username} />
        </div>
        <div class="field">
          <label for="login-password">Password</label>
          <input id="login-password" name="password" type="password" autocomplete="current-password" required autofocus={!!s.username && !s.askCode} />
        </div>
        {s.askCode ? (
          <div class="field">
            <label for="login-code">Code</label>
            <input id="login-code" name="code" inputMode="numeric" autocomplete="one-time-code" required autofocus />
          </div>
        ) : null}
        <button type="submit" class="btn btn-primary">Sign in</button>
      </form>
    </section>
  );
}

function sendForm(res: Response, services: Services, status: number, s: FormState): void {
  const csrf = newLoginCsrf();
  setCookie(res, LOGIN_CSRF_COOKIE, csrf, { secure: secureCookies(services), maxAge: 3600 });
  sendHtml(res, status, html(<Layout title="Sign in" auth={null} message={s.message}><LoginForm csrf={csrf} s={s} /></Layout>));
}

/** The security work adds TOTP: the login call then takes the code too (an extra argument is harmless before). */
type LoginWithCode = (username: unknown, password: unknown, client: ClientInfo, opts?: { code?: unknown }) => ReturnType<Services['auth']['login']>;

/** GET /admin/login */
export function showLogin(services: Services) {
  return (req: Request, res: Response): void => {
    if (req.consoleAuth) {
      res.redirect(303, safeNext(req.query.next));
      return;
    }
    sendForm(res, services, 200, { next: safeNext(req.query.next) });
  };
}

/** POST /admin/login: the same login (throttling, events, TOTP) as `POST /api/v1/auth/login`. */
export function doLogin(services: Services, log: Logger) {
  return async (req: Request, res: Response): Promise<void> => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const username = typeof body.username === 'string' ? body.username : '';
    if (!csrfMatches(cookiesOf(req)[LOGIN_CSRF_COOKIE] ?? '', submittedCsrf(req))) {
      sendForm(res, services, 403, { next, username, message: { text: 'The sign-in form expired; please sign in again.', error: true } });
      return;
    }
    const code = typeof body.code === 'string' && body.code !== '' ? body.code : undefined;
    try {
      const login = services.auth.login.bind(services.auth) as LoginWithCode;
      const r = await login(username, body.password, { clientIp: req.ip ?? null, userAgent: req.get('user-agent') ?? null }, { code });
      const secure = secureCookies(services);
      clearCookie(res, LOGIN_CSRF_COOKIE, secure);
      clearCookie(res, ORIGINAL_COOKIE, secure);
      setCookie(res, SESSION_COOKIE, r.token, { secure, maxAge: Math.max(1, Math.floor((r.expires.getTime() - Date.now()) / 1000)) });
      res.redirect(303, next);
    } catch (e) {
      if (!(e instanceof Unauthenticated)) {
        log.error({ err: e }, 'console sign-in failed');
        sendForm(res, services, 500, { next, username, message: { text: 'Sign-in is not possible right now.', error: true } });
        return;
      }
      // The service says so when the account has an authenticator and no (or a wrong) code came.
      const askCode = code !== undefined || /\bcode\b/i.test(e.message);
      sendForm(res, services, 401, { next, username, askCode, message: { text: e.message, error: true } });
    }
  };
}

/** POST /admin/logout: ends the session (and the admin's own one behind an impersonation). */
export function doLogout(services: Services) {
  return async (req: Request, res: Response): Promise<void> => {
    const auth = req.consoleAuth;
    const secure = secureCookies(services);
    if (auth?.ctx.session) {
      await services.auth.logout(auth.ctx.session.id, auth.ctx.actor);
      const original = cookiesOf(req)[ORIGINAL_COOKIE];
      if (original) {
        try {
          const o = await services.auth.authenticateBearer(original);
          if (o.session) await services.auth.logout(o.session.id, o.actor);
        } catch (e) {
          if (!(e instanceof Unauthenticated)) throw e;
        }
      }
    }
    clearCookie(res, SESSION_COOKIE, secure);
    clearCookie(res, ORIGINAL_COOKIE, secure);
    if (req.get('hx-request') === 'true') res.status(200).set('HX-Redirect', '/admin/login').end();
    else res.redirect(303, '/admin/login');
  };
}
