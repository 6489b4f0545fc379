import { createReadStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { isDirgateError } from '../../src/domain/errors.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import { parseOrdering } from '../../src/query/ordering.js';
import { CLI_ACTOR, Refused, type CliContext } from './context.js';
import { byteCounter, readCsvUsers, readLdif, type ImportRecord } from './import-files.js';
import { progressBar } from './progress.js';

/** `dirgate export` and `dirgate import`: CSV out, CSV or LDIF in, with progress on stderr. */
export function transferCommands(program: Command, ctx: CliContext): void {
  program.command('export')
    .description('the users matching a query as CSV (the background export\'s columns), streamed')
    .option('--search <query>', 'query language; all users when empty', '')
    .option('--ordering <fields>', 'e.g. username or -last_login,username (write --ordering=-x for a descending field)', '')
    .requiredOption('--out <file>', 'FILE.csv, or - for stdout')
    .action(async (o: { search: string; ordering: string; out: string }) => {
      const services = await ctx.services();
      const v = parseAdminQuery(o.search, 'users', services.config.query);
      const ordering = parseOrdering(o.ordering, 'users');
      const toStdout = o.out === '-';
      const part = `${o.out}.part`;
      const bar = progressBar('export', 'users');
      bar.start(await services.users.count(v), 0, { extra: '' });
      let rows = 0;
      try {
        rows = await services.exports.writeCsv(v, ordering, toStdout ? ctx.out : part, { onRows: (n) => bar.update(n) });
        if (!toStdout) await rename(part, o.out);
      } catch (e) {
        if (!toStdout) await rm(part, { force: true });
        throw e;
      } finally {
        bar.stop();
      }
      // Recorded once the file is in place, as the background export does.
      await services.exports.recordWritten(CLI_ACTOR, { search: o.search, ordering: o.ordering, row_count: rows, file: toStdout ? 'stdout' : o.out });
      ctx.err.write(`exported ${rows} user${rows === 1 ? '' : 's'}${toStdout ? '' : ` to ${o.out}`}\n`);
    });

  program.command('import <file>')
    .description('users from CSV, or users, groups and members from LDIF; each record its own transaction')
    .option('--format <format>', 'csv or ldif (default: from the file name)')
    .option('--no-update', 'skip users that already exist instead of updating them')
    .action(async (file: string, o: { format?: string; update: boolean }) => {
      const format = o.format ?? (/\.ldif$/i.test(file) ? 'ldif' : 'csv');
      if (format !== 'csv' && format !== 'ldif') throw new Refused('--format must be csv or ldif');
      let size: number;
      try {
        size = statSync(file).size;
      } catch {
        throw new Refused(`cannot read ${file}`);
      }
      const services = await ctx.services();
      const failed = await importRecords(ctx, services, file, format, size, o.update);
      if (failed) process.exitCode = 1;
    });
}

async function importRecords(
  ctx: CliContext, services: Awaited<ReturnType<CliContext['services']>>, file: string, format: 'csv' | 'ldif', size: number, update: boolean,
): Promise<number> {
  const bar = progressBar('import', 'bytes');
  let bytes = 0;
  const counts = { created: 0, updated: 0, skipped: 0, failed: 0, groups: 0 };
  const extra = () => ({ extra: ` | ${counts.created} created, ${counts.updated} updated, ${counts.failed} failed` });
  bar.start(size, 0, extra());
  const onBytes = (n: number) => { bytes += n; };
  const source: AsyncIterable<ImportRecord> = format === 'csv'
    ? readCsvUsers(createReadStream(file).pipe(byteCounter(onBytes)))
    : readLdif(file, onBytes);
  const groups: Array<Extract<ImportRecord, { kind: 'group' }>> = [];
  const problems: string[] = [];
  const report = (line: number, e: unknown) => {
    counts.failed++;
    if (!isDirgateError(e)) throw e;
    problems.push(`${file}:${line}: ${e.message}`);
  };
  let n = 0;
  for await (const rec of source) {
    if (rec.kind === 'group') {
      groups.push(rec);
      continue;
    }
    try {
      const existing = typeof rec.input.username === 'string' ? await services.users.findByUsername(rec.input.username) : null;
      if (existing && !update) counts.skipped++;
      else if (existing) {
        const { username: _ignored, ...change } = rec.input;
        await services.users.update(existing.id, change, CLI_ACTOR);
        counts.updated++;
      } else {
        await services.users.create(rec.input, CLI_ACTOR);
        counts.created++;
      }
    } catch (e) {
      report(rec.line, e);
    }
    if (++n % 50 === 0) bar.update(bytes, extra());
  }
  for (const g of groups) {
    try {
      const group = (await services.groups.findByName(g.name)) ?? (await services.groups.create({ name: g.name }, CLI_ACTOR));
      const ids: string[] = [];
      for (const username of g.members) {
        const u = await services.users.findByUsername(username);
        if (u) ids.push(u.id);
        else problems.push(`${file}:${g.line}: group ${g.name}: no user ${username}; membership skipped`);
      }
      if (ids.length) await services.groups.changeMembers(group.id, { addUsers: ids }, CLI_ACTOR);
      counts.groups++;
    } catch (e) {
      report(g.line, e);
    }
  }
  bar.update(size, extra());
  bar.stop();
  for (const p of problems) ctx.err.write(`${p}\n`);
  ctx.err.write(`imported ${file}: ${counts.created} created, ${counts.updated} updated, ${counts.skipped} skipped, ${counts.failed} failed${format === 'ldif' ? `, ${counts.groups} groups` : ''}\n`);
  return counts.failed;
}
