import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { isUuid, nowIso, toDate, type Queryable } from './rows.js';
import type { Database } from './database.js';

export type ExportStatus = 'pending' | 'running' | 'done' | 'failed';

/** An export job as stored. */
export interface ExportRecord {
  readonly id: string;
  readonly requesterId: string | null;
  readonly status: ExportStatus;
  readonly search: string;
  readonly ordering: string;
  readonly rowCount: number | null;
  readonly filePath: string | null;
  readonly error: string | null;
  readonly attempts: number;
  readonly lockedBy: string | null;
  readonly heartbeatAt: Date | null;
  readonly createdAt: Date;
  readonly startedAt: Date | null;
  readonly completedAt: Date | null;
}

function rowToExport(r: Record<string, unknown>): ExportRecord {
  return {
    id: String(r.id), requesterId: (r.requester_id as string | null) ?? null, status: r.status as ExportStatus,
    search: String(r.search ?? ''), ordering: String(r.ordering ?? ''),
    rowCount: r.row_count === null || r.row_count === undefined ? null : Number(r.row_count),
    filePath: (r.file_path as string | null) ?? null, error: (r.error as string | null) ?? null,
    attempts: Number(r.attempts ?? 0), lockedBy: (r.locked_by as string | null) ?? null,
    heartbeatAt: toDate(r.heartbeat_at), createdAt: toDate(r.created_at)!, startedAt: toDate(r.started_at),
    completedAt: toDate(r.completed_at),
  };
}

export async function insertExport(q: Queryable, e: { requesterId: string | null; search: string; ordering: string }): Promise<ExportRecord> {
  const id = randomUUID();
  await q('exports').insert({ id, requester_id: e.requesterId, status: 'pending', search: e.search, ordering: e.ordering, attempts: 0, created_at: nowIso() });
  return (await findExport(q, id))!;
}

export async function findExport(q: Queryable, id: string): Promise<ExportRecord | null> {
  if (!isUuid(id)) return null;
  const row = await q('exports').where({ id }).first();
  return row ? rowToExport(row) : null;
}

/** Newest first; `requesterId` limits the list to one user's exports. */
export async function listExports(q: Queryable, f: { requesterId?: string; limit: number; offset: number }): Promise<{ exports: ExportRecord[]; count: number }> {
  const base = () => (f.requesterId ? q('exports').where({ requester_id: f.requesterId }) : q('exports'));
  const countRow = await base().count<{ n: number }[]>({ n: '*' }).first();
  const rows = await base().orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'asc' }]).limit(f.limit).offset(f.offset);
  return { exports: rows.map(rowToExport), count: Number(countRow?.n ?? 0) };
}

export async function deleteExportRow(q: Queryable, id: string): Promise<boolean> {
  if (!isUuid(id)) return false;
  return (await q('exports').where({ id }).delete()) > 0;
}

/**
 * Takes the oldest pending job for `worker`. On PostgreSQL the row is locked with
 * `FOR UPDATE SKIP LOCKED`, so concurrent instances never take the same job; on SQLite the
 * single connection serialises claims and the conditional UPDATE does the rest.
 */
export async function claimNextExport(db: Database, worker: string): Promise<ExportRecord | null> {
  const dialect = db.dialect;
  // db.transaction: on SQLite a claim that meets another worker's write is run again, not failed.
  return db.transaction(async (trx) => {
    let query = trx('exports').where({ status: 'pending' }).orderBy('created_at', 'asc').orderBy('id', 'asc').first('id');
    if (dialect === 'pg') query = query.forUpdate().skipLocked();
    const row = await query;
    if (!row) return null;
    const now = nowIso();
    const n = await trx('exports').where({ id: row.id, status: 'pending' })
      .update({ status: 'running', locked_by: worker, heartbeat_at: now, started_at: now, attempts: trx.raw('attempts + 1'), error: null });
    if (n === 0) return null;
    return findExport(trx, String(row.id));
  });
}

/** Refreshes the lease; false when the job is no longer ours (taken back as stale, or deleted). */
export async function heartbeatExport(q: Queryable, id: string, worker: string): Promise<boolean> {
  return (await q('exports').where({ id, locked_by: worker, status: 'running' }).update({ heartbeat_at: nowIso() })) > 0;
}

/** Finishes a job this worker holds; false when it no longer holds it. */
export async function completeExport(q: Queryable, id: string, worker: string, r: { rowCount: number; filePath: string }): Promise<boolean> {
  return (await q('exports').where({ id, locked_by: worker, status: 'running' })
    .update({ status: 'done', row_count: r.rowCount, file_path: r.filePath, completed_at: nowIso(), locked_by: null, heartbeat_at: null })) > 0;
}

export async function failExport(q: Queryable, id: string, worker: string, error: string): Promise<boolean> {
  return (await q('exports').where({ id, locked_by: worker, status: 'running' })
    .update({ status: 'failed', error, completed_at: nowIso(), locked_by: null, heartbeat_at: null })) > 0;
}

/** Gives a job back (graceful shutdown): pending again, without counting the attempt. */
export async function releaseExport(q: Queryable, id: string, worker: string): Promise<boolean> {
  return (await q('exports').where({ id, locked_by: worker, status: 'running' })
    .update({ status: 'pending', locked_by: null, heartbeat_at: null, attempts: q.raw('case when attempts > 0 then attempts - 1 else 0 end') })) > 0;
}

/**
 * Running jobs whose worker stopped heartbeating (a crash, kill -9): those with attempts left
 * go back to pending; the rest are failed. Returns the failed ones (their requesters are told).
 */
export async function reapStaleExports(db: Database, staleAfterSeconds: number, maxAttempts: number): Promise<{ retried: number; failed: ExportRecord[] }> {
  const cutoff = new Date(Date.now() - staleAfterSeconds * 1000).toISOString();
  return db.transaction(async (trx) => {
    const stale = () => trx('exports').where({ status: 'running' })
      .andWhere((b) => b.where('heartbeat_at', '<', cutoff).orWhereNull('heartbeat_at'));
    const exhausted = (await stale().andWhere('attempts', '>=', maxAttempts).select('id')).map((r: { id: string }) => String(r.id));
    const failed: ExportRecord[] = [];
    for (const id of exhausted) {
      const n = await trx('exports').where({ id, status: 'running' }).andWhere((b) => b.where('heartbeat_at', '<', cutoff).orWhereNull('heartbeat_at'))
        .update({ status: 'failed', error: `the export was interrupted ${maxAttempts} times (no heartbeat for ${staleAfterSeconds} s)`, completed_at: nowIso(), locked_by: null, heartbeat_at: null });
      if (n > 0) failed.push((await findExport(trx, id))!);
    }
    const retried = await stale().andWhere('attempts', '<', maxAttempts).update({ status: 'pending', locked_by: null, heartbeat_at: null });
    return { retried, failed };
  });
}
