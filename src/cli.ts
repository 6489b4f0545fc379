#!/usr/bin/env node
import { createReadStream, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Presets, SingleBar } from 'cli-progress';
import { ConfigError, loadConfig } from './config.js';
import { isDirgateError } from './domain/errors.js';
import type { Actor } from './domain/types.js';
import { parseAdminQuery } from './query/admin-query.js';
import { parseOrdering } from './query/ordering.js';
import { byteCounter, readCsvUsers, readLdif, type ImportRecord } from './cli-import.js';
import type { Services } from './services/index.js';
import { openServices } from './services/open.js';

const USAGE = `usage:
  dirgate export [--search QUERY] [--ordering=FIELDS] --out FILE.csv   (--out - writes to stdout;
                 write --ordering=-username, with "=", for a descending field)
  dirgate import FILE.csv|FILE.ldif [--format csv|ldif] [--no-update]

Works on the store named by DIRGATE_DATABASE_URL (or DIRGATE_CONFIG / config/default.yaml).
import: users are matched by username; existing ones are updated unless --no-update.
Progress goes to stderr; each imported record is its own transaction (a bad record is reported
with its line and skipped; the exit status is 1 when any was).`;

const CLI_ACTOR: Actor = Object.freeze({ userId: null, username: 'cli', clientIp: null });

class UsageError extends Error {}

function progressBar(label: string, unit: string): SingleBar {
  return new SingleBar({
    format: `${label} |{bar}| {percentage}% | {value}/{total} ${unit} | {eta_formatted} left{extra}`,
    hideCursor: true,
    stream: process.stderr,
    etaBuffer: 50,
    fps: 5,
  }, Presets.shades_classic);
}

/** `dirgate export`: the same CSV as the background export, streamed from a keyset cursor. */
async function exportUsers(services: Services, args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { search: { type: 'string', default: '' }, ordering: { type: 'string', default: '' }, out: { type: 'string' } }, strict: true });
  if (!values.out) throw new UsageError('export needs --out FILE.csv (or --out - for stdout)');
  const v = parseAdminQuery(values.search!, 'users', services.config.query);
  const ordering = parseOrdering(values.ordering!, 'users');
  const total = await services.users.count(v);
  const toStdout = values.out === '-';
  const part = `${values.out}.part`;
  const bar = progressBar('export', 'users');
  bar.start(total, 0, { extra: '' });
  let rows = 0;
  try {
    rows = await services.exports.writeCsv(v, ordering, toStdout ? process.stdout : part, { onRows: (n) => bar.update(n) });
    if (!toStdout) await rename(part, values.out);
  } catch (e) {
    if (!toStdout) await rm(part, { force: true });
    throw e;
  } finally {
    bar.stop();
  }
  await services.exports.recordWritten(CLI_ACTOR, { search: values.search!, ordering: values.ordering!, row_count: rows, file: toStdout ? 'stdout' : values.out });
  process.stderr.write(`exported ${rows} user${rows === 1 ? '' : 's'}${toStdout ? '' : ` to ${values.out}`}\n`);
  return 0;
}

/** `dirgate import`: users (CSV or LDIF) and, from LDIF, groups with their members. */
async function importFile(services: Services, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { format: { type: 'string' }, 'no-update': { type: 'boolean', default: false } }, strict: true });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError('import needs exactly one file');
  const format = values.format ?? (/\.ldif$/i.test(file) ? 'ldif' : 'csv');
  if (format !== 'csv' && format !== 'ldif') throw new UsageError('--format must be csv or ldif');
  const size = statSync(file).size;
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
      if (existing && values['no-update']) counts.skipped++;
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
  for (const p of problems) process.stderr.write(`${p}\n`);
  process.stderr.write(`imported ${file}: ${counts.created} created, ${counts.updated} updated, ${counts.skipped} skipped, ${counts.failed} failed${format === 'ldif' ? `, ${counts.groups} groups` : ''}\n`);
  return counts.failed > 0 ? 1 : 0;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command ? 0 : 2;
  }
  if (command !== 'export' && command !== 'import') throw new UsageError(`unknown command ${command}`);
  const config = loadConfig();
  const { services, close } = await openServices(config, { poolMax: 4 });
  try {
    return command === 'export' ? await exportUsers(services, rest) : await importFile(services, rest);
  } finally {
    await close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  if (e instanceof UsageError || (e as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`dirgate: ${(e as Error).message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  const message = e instanceof ConfigError || isDirgateError(e) ? e.message : (e as Error)?.message ?? String(e);
  process.stderr.write(`dirgate: ${message}\n`);
  process.exitCode = 1;
});
