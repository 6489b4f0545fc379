import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDirgateError } from '../../../src/domain/errors.js';
import { describeFields } from '../../../src/query/admin-query.js';
import { parseAdminQuery } from '../../../src/query/admin-query.js';
import type { Services } from '../../../src/services/index.js';
import { describeError } from '../errors.js';
import type { ConsoleAuth } from '../session.js';

const MAX_VALUES = 12;

function json(res: Response, status: number, body: unknown): void {
  res.status(status).set('Cache-Control', 'no-store').json(body);
}

/** GET /admin/search/fields?entity=users|groups: what `GET /api/v1/search/fields` describes. */
export function searchFields() {
  return (req: Request, res: Response): void => {
    const entity = req.query.entity === 'groups' ? 'groups' : 'users';
    json(res, 200, describeFields(entity));
  };
}

/** Values for the query box: folders, group names and role names starting with `prefix`. */
export function searchValues(services: Services, log: Logger) {
  return async (req: Request, res: Response): Promise<void> => {
    const auth = req.consoleAuth as ConsoleAuth;
    const field = typeof req.query.field === 'string' ? req.query.field : '';
    const prefix = typeof req.query.prefix === 'string' ? req.query.prefix.slice(0, 200) : '';
    const lower = prefix.toLowerCase();
    try {
      let values: string[] = [];
      if (field === 'path') {
        await services.access.require(auth.ctx.actor, 'user.view');
        values = (await services.users.pathCounts()).map((r) => r.path).filter((p) => p.toLowerCase().startsWith(lower));
      } else if (field === 'groups.name' || field === 'parent.name') {
        await services.access.require(auth.ctx.actor, 'group.view');
        const v = parseAdminQuery(prefix ? `name startswith ${JSON.stringify(prefix)}` : '', 'groups', services.config.query);
        const { groups } = await services.groups.list(v, { limit: MAX_VALUES, offset: 0 });
        values = groups.map((g) => g.name);
      } else if (field === 'roles.name') {
        await services.access.require(auth.ctx.actor, 'role.view');
        const { roles } = await services.roles.list({ limit: 200, offset: 0 });
        values = roles.map((r) => r.name).filter((n) => n.toLowerCase().startsWith(lower));
      }
      json(res, 200, { field, values: values.slice(0, MAX_VALUES) });
    } catch (e) {
      if (isDirgateError(e)) {
        json(res, describeError(e).status, { field, values: [], error: e.message });
        return;
      }
      log.error({ err: e }, 'console value look-up failed');
      json(res, 500, { field, values: [] });
    }
  };
}
