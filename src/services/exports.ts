import { rm, stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import type { Config } from '../config.js';
import { Conflict, Gone, InvalidQuery, InvalidValue, NotFound } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import { parseAdminQuery } from '../query/admin-query.js';
import { parseOrdering, type Ordering } from '../query/ordering.js';
import type { Validated } from '../query/validate.js';
import type { Database } from '../store/database.js';
import {
  deleteExportRow, findExport, insertExport, listExports, type ExportRecord,
} from '../store/exports-store.js';
import type { AccessService } from './access.js';
import { recordEvent } from './events.js';
import { writeUsersCsv } from './export-csv.js';

export type { ExportRecord };

export { EXPORT_COLUMNS, userCsvRecord } from './export-csv.js';

/** An export's ordering; a bad one is reported under `ordering`, not `search`. @throws InvalidValue */
function orderingOf(text: string): Ordering {
  try {
    return parseOrdering(text, 'users');
  } catch (e) {
    if (e instanceof InvalidQuery) throw new InvalidValue(e.message, { ordering: e.message });
    throw e;
  }
}

/**
 * User exports as background jobs: the request is checked and queued here; the job runner
 * (export-runner.ts) writes the CSV. Exports are visible to their requester and to holders of
 * `user.export`.
 */
export class ExportService {
  /** Called after a job is queued, so this instance's runner starts at once instead of at its next poll. */
  onQueued: (() => void) | null = null;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly access: AccessService,
  ) {}

  /**
   * Queues an export. The search and ordering are parsed now, so a query that does not parse is
   * a 400 at request time rather than a failed job. Records `export_requested`.
   * @throws InvalidQuery, LimitExceeded, InvalidValue
   */
  async request(input: { search?: unknown; ordering?: unknown }, actor: Actor): Promise<ExportRecord> {
    const search = input.search ?? '';
    const ordering = input.ordering ?? '';
    if (typeof search !== 'string') throw InvalidValue.field('search', 'must be a string');
    if (typeof ordering !== 'string') throw InvalidValue.field('ordering', 'must be a string');
    parseAdminQuery(search, 'users', this.config.query);
    orderingOf(ordering);
    const record = await this.db.transaction(async (trx) => {
      const e = await insertExport(trx, { requesterId: actor.userId, search, ordering });
      await recordEvent(trx, actor, 'export_requested', { type: 'export', id: e.id }, { search, ordering });
      return e;
    });
    this.onQueued?.();
    return record;
  }

  /** Newest first: every export for holders of `user.export`, else the caller's own. */
  async list(actor: Actor, page: { limit: number; offset: number }): Promise<{ exports: ExportRecord[]; count: number }> {
    const all = await this.access.hasPermission(actor.userId, 'user.export');
    if (!all && !actor.userId) return { exports: [], count: 0 };
    return listExports(this.db.knex, { requesterId: all ? undefined : actor.userId!, ...page });
  }

  /** @throws NotFound, PermissionDenied (neither the requester nor a holder of `user.export`) */
  async get(id: string, actor: Actor): Promise<ExportRecord> {
    const e = await findExport(this.db.knex, id);
    if (!e) throw new NotFound(`no export with id ${id}`);
    if (e.requesterId !== actor.userId || !actor.userId) await this.access.require(actor, 'user.export');
    return e;
  }

  /**
   * The finished file to stream; records `export_downloaded`.
   * @throws NotFound, PermissionDenied, Conflict (not finished), Gone (file missing)
   */
  async download(id: string, actor: Actor): Promise<{ export: ExportRecord; path: string; size: number; filename: string }> {
    const e = await this.get(id, actor);
    if (e.status !== 'done' || !e.filePath) throw new Conflict(`the export is ${e.status}${e.status === 'failed' && e.error ? `: ${e.error}` : ''}; there is nothing to download`);
    let size: number;
    try {
      size = (await stat(e.filePath)).size;
    } catch {
      throw new Gone('the export file is no longer on disk');
    }
    await this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, 'export_downloaded', { type: 'export', id }, { row_count: e.rowCount });
    });
    return { export: e, path: e.filePath, size, filename: `users-${e.createdAt.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}.csv` };
  }

  /** Removes the file and the record; records `export_deleted`. @throws NotFound, PermissionDenied */
  async delete(id: string, actor: Actor): Promise<void> {
    const e = await this.get(id, actor);
    await this.db.transaction(async (trx) => {
      if (!(await deleteExportRow(trx, id))) throw new NotFound(`no export with id ${id}`);
      await recordEvent(trx, actor, 'export_deleted', { type: 'export', id }, { status: e.status, row_count: e.rowCount });
    });
    if (e.filePath) await rm(e.filePath, { force: true });
  }

  /**
   * Writes the users matching `v` as the export CSV straight to `out` (the command line's
   * `dirgate export`, no job); returns the row count. Constant memory.
   */
  async writeCsv(v: Validated, ordering: Ordering, out: string | Writable, opts: { onRows?: (total: number) => void } = {}): Promise<number> {
    return writeUsersCsv(this.db, v, ordering, out, opts);
  }

  /** Records `users_exported` for a file written by `writeCsv`, once it is in place. */
  async recordWritten(actor: Actor, context: { search: string; ordering: string; row_count: number; file: string }): Promise<void> {
    await this.db.transaction(async (trx) => {
      await recordEvent(trx, actor, 'users_exported', null, context);
    });
  }

  /** The admin API's export shape. */
  static toJson(e: ExportRecord): Record<string, unknown> {
    return {
      id: e.id, status: e.status, search: e.search, ordering: e.ordering, row_count: e.rowCount,
      created: e.createdAt.toISOString(), completed: e.completedAt ? e.completedAt.toISOString() : null,
      requester: e.requesterId, error: e.error,
    };
  }
}


