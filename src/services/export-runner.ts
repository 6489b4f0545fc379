import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { SYSTEM_ACTOR } from '../domain/types.js';
import { parseAdminQuery } from '../query/admin-query.js';
import { parseOrdering } from '../query/ordering.js';
import type { Database } from '../store/database.js';
import {
  claimNextExport, completeExport, failExport, heartbeatExport, reapStaleExports, releaseExport, type ExportRecord,
} from '../store/exports-store.js';
import { recordEvent } from './events.js';
import { writeUsersCsv } from './export-csv.js';
import type { NotificationService } from './notifications.js';

/** A job that ran this often without finishing (crashes) is failed instead of retried. */
export const MAX_EXPORT_ATTEMPTS = 3;

export interface ExportRunnerOptions {
  /** How often an idle runner looks for work (ms); `wake()` starts it at once. */
  readonly pollMs?: number;
}

class LeaseLost extends Error {}

/**
 * Runs export jobs outside the request. Jobs live in the `exports` table, so they survive a
 * restart and any number of instances share them: a claim takes one pending row
 * (`FOR UPDATE SKIP LOCKED` on PostgreSQL), a heartbeat keeps the lease, and a running job whose
 * heartbeat stopped for `exports.stale_after` seconds (kill -9, power loss) is put back to
 * pending, or failed after MAX_EXPORT_ATTEMPTS. Each instance runs one job at a time.
 */
export class ExportRunner {
  readonly worker = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private running = false;
  private loopDone: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  /** A wake() that arrived while the loop was busy: look again before sleeping. */
  private woken = false;
  private current: AbortController | null = null;
  private lastReap = 0;
  private readonly pollMs: number;

  constructor(
    private readonly db: Database,
    private readonly config: Config,
    private readonly notifications: NotificationService,
    private readonly log: Logger,
    opts: ExportRunnerOptions = {},
  ) {
    this.pollMs = opts.pollMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /** Looks for work now (a job was just queued on this instance). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /** Stops taking jobs; a job in progress is given back as pending for another instance. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.current?.abort();
    this.wake();
    await this.loopDone;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let job: ExportRecord | null = null;
      this.woken = false;
      try {
        await this.reapIfDue();
        job = await claimNextExport(this.db, this.worker);
      } catch (err) {
        this.log.warn({ err }, 'export runner: cannot reach the job table');
      }
      if (job) {
        await this.run(job);
        continue;
      }
      if (this.woken) {
        this.woken = false;
        continue;
      }
      await new Promise<void>((resolveWait) => {
        const t = setTimeout(done, this.pollMs);
        function done() {
          clearTimeout(t);
          resolveWait();
        }
        this.wakeUp = done;
      });
      this.wakeUp = null;
    }
  }

  private async reapIfDue(): Promise<void> {
    const every = Math.max(1000, (this.config.exports.staleAfter * 1000) / 2);
    if (Date.now() - this.lastReap < every) return;
    this.lastReap = Date.now();
    const { retried, failed } = await reapStaleExports(this.db, this.config.exports.staleAfter, MAX_EXPORT_ATTEMPTS);
    if (retried > 0) this.log.warn({ retried }, 'export runner: took back interrupted exports');
    for (const job of failed) {
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, SYSTEM_ACTOR, 'export_failed', { type: 'export', id: job.id }, { error: job.error, attempts: job.attempts });
        if (job.requesterId) {
          await this.notifications.notify(trx, job.requesterId, { title: 'Your user export failed', body: job.error ?? '', link: this.exportUrl(job.id) });
        }
      });
    }
  }

  private exportUrl(id: string): string {
    // A person opens the link in a browser: the console's Data Exports page, not the API (which answers 401 there).
    return `${this.config.http.publicUrl}/admin/exports?highlight=${encodeURIComponent(id)}`;
  }

  /** Writes the CSV to a temporary file, renames it into place, then records the result. */
  private async run(job: ExportRecord): Promise<void> {
    const abort = new AbortController();
    this.current = abort;
    const dir = resolve(this.config.exports.dir);
    const finalPath = join(dir, `${job.id}.csv`);
    const partPath = `${finalPath}.${randomBytes(4).toString('hex')}.part`;
    const beatEvery = Math.max(200, Math.floor((this.config.exports.staleAfter * 1000) / 3));
    let leaseLost = false;
    const beat = setInterval(() => {
      heartbeatExport(this.db.knex, job.id, this.worker).then((ok) => {
        if (!ok) {
          leaseLost = true;
          abort.abort(new LeaseLost('the export was taken back or deleted'));
        }
      }, (err: unknown) => this.log.warn({ err, export: job.id }, 'export runner: heartbeat failed'));
    }, beatEvery);
    const started = Date.now();
    try {
      await this.db.transaction(async (trx) => {
        await recordEvent(trx, SYSTEM_ACTOR, 'export_started', { type: 'export', id: job.id }, { worker: this.worker, attempt: job.attempts });
      });
      const v = parseAdminQuery(job.search, 'users', this.config.query);
      const ordering = parseOrdering(job.ordering, 'users');
      await mkdir(dir, { recursive: true });
      await this.removeLeftovers(dir, job.id);
      const rowCount = await writeUsersCsv(this.db, v, ordering, partPath, { signal: abort.signal });
      await rename(partPath, finalPath);
      const finished = await this.db.transaction(async (trx) => {
        if (!(await completeExport(trx, job.id, this.worker, { rowCount, filePath: finalPath }))) return false;
        await recordEvent(trx, SYSTEM_ACTOR, 'export_completed', { type: 'export', id: job.id }, {
          worker: this.worker, row_count: rowCount, seconds: (Date.now() - started) / 1000,
        });
        if (job.requesterId) {
          await this.notifications.notify(trx, job.requesterId, {
            title: 'Your user export is ready',
            body: `${rowCount} user${rowCount === 1 ? '' : 's'} exported${job.search ? ` matching ${job.search}` : ''}.`,
            link: this.exportUrl(job.id),
          });
        }
        return true;
      });
      if (!finished) await rm(finalPath, { force: true });
      this.log.info({ export: job.id, rows: rowCount, ms: Date.now() - started }, finished ? 'export finished' : 'export finished after its lease was lost; discarded');
    } catch (err) {
      await rm(partPath, { force: true }).catch(() => undefined);
      if (leaseLost) {
        this.log.warn({ export: job.id }, 'export runner: lease lost; stopped');
      } else if (!this.running && abort.signal.aborted) {
        await releaseExport(this.db.knex, job.id, this.worker).catch(() => undefined);
        this.log.info({ export: job.id }, 'export runner: stopping; export given back');
      } else {
        await this.fail(job, err);
      }
    } finally {
      clearInterval(beat);
      this.current = null;
    }
  }

  /** Partial files of earlier, interrupted attempts at this job (a crashed instance cannot clean up). */
  private async removeLeftovers(dir: string, id: string): Promise<void> {
    for (const name of await readdir(dir)) {
      if (name.startsWith(`${id}.csv.`) && name.endsWith('.part')) await rm(join(dir, name), { force: true });
    }
  }

  private async fail(job: ExportRecord, err: unknown): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    this.log.error({ err, export: job.id }, 'export failed');
    try {
      await this.db.transaction(async (trx) => {
        if (!(await failExport(trx, job.id, this.worker, message))) return;
        await recordEvent(trx, SYSTEM_ACTOR, 'export_failed', { type: 'export', id: job.id }, { worker: this.worker, error: message });
        if (job.requesterId) {
          await this.notifications.notify(trx, job.requesterId, { title: 'Your user export failed', body: message, link: this.exportUrl(job.id) });
        }
      });
    } catch (e) {
      this.log.error({ err: e, export: job.id }, 'export runner: cannot record the failure; the stale sweep will retry it');
    }
  }
}
