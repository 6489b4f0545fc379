import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { isDirgateError } from '../../../src/domain/errors.js';
import type { ExportRecord } from '../../../src/services/exports.js';
import type { Services } from '../../../src/services/index.js';
import { field, page, redirect, requirePermission, type Outcome, type PageContext } from '../context.js';
import { PostButton } from '../dialog.js';
import { describeError } from '../errors.js';
import { exportQuery } from '../export-query.js';
import { when } from '../format.js';
import { List } from '../list.js';
import { listState } from '../list-state.js';
import { sendHtml } from '../render.js';
import type { ConsoleAuth } from '../session.js';
import { usersState } from './users.js';

/** POST /admin/users/export: the query and ordering the dialog showed, queued as `POST /api/v1/users/export` does. */
export async function requestExport(c: PageContext): Promise<Outcome> {
  await requirePermission(c, 'user.export');
  const s = usersState(c.body);
  const search = exportQuery(s);
  const e = await c.services.exports.request({ search, ordering: s.ordering }, c.auth.ctx.actor);
  return redirect(`/admin/exports?highlight=${e.id}`, { text: 'Export queued: it runs in the background, and Notifications says when it is ready to download.' });
}

interface Row { readonly e: ExportRecord; readonly by: string }

/** GET /admin/exports (Events › Data Exports): yours, or everyone's with user.export. */
export async function exportsPage(c: PageContext): Promise<Outcome> {
  const s = listState(c.query, ['highlight'], '');
  const { exports, count } = await c.services.exports.list(c.auth.ctx.actor, { limit: s.pageSize, offset: (s.page - 1) * s.pageSize });
  const ids = [...new Set(exports.map((e) => e.requesterId).filter((x): x is string => !!x))];
  const names = new Map((await c.services.users.getMany(ids)).map((u) => [u.id, u.username]));
  const rows: Row[] = exports.map((e) => ({ e, by: e.requesterId ? names.get(e.requesterId) ?? '(deleted user)' : 'system' }));
  const highlight = field(c.query, 'highlight');
  const list = (
    <List<Row>
      id="exports-list" label="Data Exports" noun="exports" base="/admin/exports" state={s} rows={rows} total={count}
      columns={[
        { label: 'Requested by', cell: (r) => r.by },
        { label: 'Created', cell: (r) => <span class={r.e.id === highlight ? 'highlight' : undefined}>{when(r.e.createdAt)}</span> },
        { label: 'Status', cell: (r) => (r.e.status === 'failed' && r.e.error ? `failed: ${r.e.error}` : r.e.status) },
        { label: 'Query', cell: (r) => <code>{r.e.search || '(all users)'}</code> },
        { label: 'Ordering', cell: (r) => <code>{r.e.ordering || 'username'}</code> },
        { label: 'Rows', cell: (r) => (r.e.rowCount ?? '—') },
        {
          label: 'Actions', cell: (r) => (
            <div class="buttons">
              {r.e.status === 'done' ? <a class="btn btn-small" href={`/admin/exports/${r.e.id}/download`} download="">Download</a> : null}
              <PostButton action={`/admin/exports/${r.e.id}/delete`} label="Delete export" csrf={c.auth.csrf} danger />
            </div>
          ),
        },
      ]}
      empty="No exports yet. Export from the Users page."
    />
  );
  return page({ title: 'Data Exports', section: '/admin/exports', body: <section><h1>Data Exports</h1>{list}</section>, fragments: { 'exports-list': list } });
}

export async function deleteExport(c: PageContext): Promise<Outcome> {
  await c.services.exports.delete(c.params.id!, c.auth.ctx.actor);
  return redirect('/admin/exports', { text: 'Export deleted.' });
}

/** GET /admin/exports/:id/download: the requester or a holder of user.export (the service decides). */
export function downloadExport(services: Services, log: Logger) {
  return async (req: Request, res: Response): Promise<void> => {
    const auth = req.consoleAuth as ConsoleAuth;
    try {
      const file = await services.exports.download(String(req.params.id), auth.ctx.actor);
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Length': String(file.size),
        'Content-Disposition': `attachment; filename="${file.filename}"`,
        'Cache-Control': 'no-store',
      });
      await pipeline(createReadStream(file.path), res);
    } catch (e) {
      if (res.headersSent) return;
      if (!isDirgateError(e)) log.error({ err: e }, 'console export download failed');
      const { status, text } = isDirgateError(e) ? describeError(e) : { status: 500, text: 'The download failed.' };
      sendHtml(res, status, `<!doctype html><title>Download</title><p>${text.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`)}</p><p><a href="/admin/exports">Data Exports</a></p>`);
    }
  };
}
