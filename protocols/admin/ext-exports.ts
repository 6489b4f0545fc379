import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Router } from 'express';
import { ExportService } from '../../src/services/exports.js';
import type { Services } from '../../src/services/index.js';
import { PAGE_PARAMS, paged, pageRequest } from './pagination.js';
import { defineComponent, defineRoute } from './routes.js';
import { pageOf } from './present.js';

const dateTime = { type: 'string', format: 'date-time' };
const nullable = (s: Record<string, unknown>) => ({ anyOf: [s, { type: 'null' }] });

export const ExportSchema = defineComponent('Export', {
  type: 'object', additionalProperties: false,
  required: ['id', 'status', 'search', 'ordering', 'row_count', 'created', 'completed'],
  properties: {
    id: { type: 'string', format: 'uuid' }, status: { enum: ['pending', 'running', 'done', 'failed'] },
    search: { type: 'string' }, ordering: { type: 'string' }, row_count: nullable({ type: 'integer' }),
    created: dateTime, completed: nullable(dateTime), requester: nullable({ type: 'string' }), error: nullable({ type: 'string' }),
  },
});

/**
 * Background CSV exports. Listing, status, download and delete are open to any caller: the
 * service shows a caller its own exports, and everyone's to holders of `user.export` (403 for
 * someone else's export otherwise).
 */
export function mountExportRoutes(router: Router, services: Services): void {
  defineRoute(router, {
    method: 'post', path: '/users/export', permission: 'user.export', tag: 'exports', status: 202,
    summary: 'Queue a CSV export of the users matching a search (400 at once when the search does not parse)',
    requestSchema: {
      type: 'object', additionalProperties: false,
      properties: { search: { type: 'string', maxLength: 65536 }, ordering: { type: 'string', maxLength: 1024 } },
    },
    responseSchema: ExportSchema,
    handler: async ({ body, actor }) => ExportService.toJson(await services.exports.request(body, actor)),
  });

  defineRoute(router, {
    method: 'get', path: '/exports', permission: 'self', tag: 'exports', query: PAGE_PARAMS,
    summary: 'Past exports, newest first (all of them for holders of user.export, else your own)',
    responseSchema: pageOf(ExportSchema),
    handler: async ({ query, actor }) => {
      const p = pageRequest(query);
      const { exports, count } = await services.exports.list(actor, { limit: p.limit, offset: p.offset });
      return paged(exports.map((e) => ExportService.toJson(e)), count, p);
    },
  });

  defineRoute(router, {
    method: 'get', path: '/exports/:id', permission: 'self', tag: 'exports',
    summary: "An export's status",
    responseSchema: ExportSchema,
    handler: async ({ params, actor }) => ExportService.toJson(await services.exports.get(params.id!, actor)),
  });

  defineRoute(router, {
    method: 'get', path: '/exports/:id/download', permission: 'self', tag: 'exports',
    summary: 'The CSV file (to its requester or holders of user.export)',
    status: 200,
    responseContent: { 'text/csv': { type: 'string', description: 'header row, then one row per user (EXPORT_COLUMNS)' } },
    handler: async ({ params, actor, res }) => {
      const file = await services.exports.download(params.id!, actor);
      res.status(200).set({
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Length': String(file.size),
        'Content-Disposition': `attachment; filename="${file.filename}"`,
        'Cache-Control': 'no-store',
        'X-Content-Type-Options': 'nosniff',
      });
      await pipeline(createReadStream(file.path), res);
      return undefined;
    },
  });

  defineRoute(router, {
    method: 'delete', path: '/exports/:id', permission: 'self', tag: 'exports',
    summary: 'Delete the file and the record',
    handler: async ({ params, actor }) => {
      await services.exports.delete(params.id!, actor);
      return undefined;
    },
  });
}
