import { PermissionDenied, Unauthenticated } from '../../../src/domain/errors.js';
import { redirect, type Outcome, type PageContext } from '../context.js';
import { clearCookie, cookiesOf, ORIGINAL_COOKIE, secureCookies, SESSION_COOKIE, setCookie } from '../session.js';

/** POST /admin/impersonation/stop: ends the impersonation session and gives the admin their own back. */
export async function stopImpersonation(c: PageContext): Promise<Outcome> {
  const { ctx } = c.auth;
  if (!ctx.impersonator) throw new PermissionDenied('this session is not an impersonation');
  const target = ctx.user;
  await c.services.impersonation.end(ctx);
  const secure = secureCookies(c.services);
  const original = cookiesOf(c.req)[ORIGINAL_COOKIE];
  clearCookie(c.res, ORIGINAL_COOKIE, secure);
  if (original) {
    try {
      const own = await c.services.auth.authenticateBearer(original);
      if (own.session && own.user.id === ctx.impersonator.id) {
        setCookie(c.res, SESSION_COOKIE, original, { secure, maxAge: Math.max(1, Math.floor((own.session.expiresAt.getTime() - Date.now()) / 1000)) });
        return redirect(`/admin/users/${target.id}`, { text: `Impersonation of ${target.username} ended.` }, true);
      }
    } catch (e) {
      if (!(e instanceof Unauthenticated)) throw e;
    }
  }
  clearCookie(c.res, SESSION_COOKIE, secure);
  return redirect('/admin/login', { text: 'Impersonation ended; sign in again.' }, true);
}
