import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../../../src/services/index.js';
import { notificationsFragment } from '../notifications.js';
import { fragment, sendHtml } from '../render.js';
import type { ConsoleAuth } from '../session.js';

/** The Notifications region alone (htmx polls it); with `markRead`, marks every notification seen first. */
export function notificationsRegion(services: Services, markRead = false) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const auth = req.consoleAuth as ConsoleAuth;
      if (markRead) await services.notifications.markSeen(auth.ctx.user.id);
      if (req.get('hx-request') !== 'true') {
        res.redirect(303, req.get('referer')?.startsWith(services.config.http.publicUrl) ? req.get('referer')! : '/admin/users');
        return;
      }
      sendHtml(res, 200, fragment(await notificationsFragment(services, auth)));
    } catch (e) {
      next(e);
    }
  };
}
export const markNotificationsRead = (services: Services) => notificationsRegion(services, true);
