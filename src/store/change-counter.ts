/**
 * SQLite's directory change counter: one row (`directory_changes.n`) that every commit changing
 * what the directory answers moves on, by triggers on every table — but not the writes that
 * change no answer: the event log (`events`) and a user's `last_login` (set by the batched bind
 * events, src/store/batch-writes.ts, shown only in the console, which keeps nothing). So the
 * answers kept per database state (LDAP searches, SCIM reads, bind principals: SnapshotCache)
 * survive a steady stream of binds, on every process and instance, where SQLite's own
 * `data_version` moves with every commit.
 *
 * The triggers are made from the schema as it is (installChangeTriggers, after every migration):
 * a table or column added later is counted without anyone remembering to. Exempt is only what
 * is listed here; everything else counts.
 */
import type { Knex } from 'knex';
import type { Database } from './database.js';

/** Tables whose writes change no answer kept per database state. */
export const UNCOUNTED_TABLES: ReadonlySet<string> = new Set(['events', 'directory_changes', 'dirgate_migrations', 'dirgate_migrations_lock']);
/** Columns whose updates (alone) change no answer: table → columns. */
export const UNCOUNTED_COLUMNS: ReadonlyMap<string, ReadonlySet<string>> = new Map([['users', new Set(['last_login'])]]);

const BUMP = 'UPDATE directory_changes SET n = n + 1 WHERE id = 1;';
const PREFIX = 'dg_change_';

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The triggers the schema needs now: name → CREATE TRIGGER text. */
async function wantedTriggers(knex: Knex): Promise<Map<string, string>> {
  const tables = (await knex.raw("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) as Array<{ name: string }>;
  const out = new Map<string, string>();
  for (const { name } of tables) {
    if (UNCOUNTED_TABLES.has(name)) continue;
    const t = quote(name);
    out.set(`${PREFIX}${name}_insert`, `CREATE TRIGGER ${quote(`${PREFIX}${name}_insert`)} AFTER INSERT ON ${t} BEGIN ${BUMP} END`);
    out.set(`${PREFIX}${name}_delete`, `CREATE TRIGGER ${quote(`${PREFIX}${name}_delete`)} AFTER DELETE ON ${t} BEGIN ${BUMP} END`);
    const skip = UNCOUNTED_COLUMNS.get(name);
    let of = '';
    if (skip) {
      const columns = (await knex.raw(`PRAGMA table_info(${t})`)) as Array<{ name: string }>;
      of = ` OF ${columns.map((c) => c.name).filter((c) => !skip.has(c)).map(quote).join(', ')}`;
    }
    out.set(`${PREFIX}${name}_update`, `CREATE TRIGGER ${quote(`${PREFIX}${name}_update`)} AFTER UPDATE${of} ON ${t} BEGIN ${BUMP} END`);
  }
  return out;
}

/**
 * Makes the counting triggers match the schema (SQLite; nothing elsewhere): creates missing
 * ones, replaces changed ones, drops those of tables gone. Writes nothing when they match.
 */
export async function installChangeTriggers(db: Database): Promise<void> {
  if (db.dialect !== 'sqlite') return;
  const knex = db.knex;
  const hasCounter = (await knex.raw("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = 'directory_changes'")) as unknown[];
  if (hasCounter.length === 0) return;
  const wanted = await wantedTriggers(knex);
  const existing = new Map(((await knex.raw(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE '${PREFIX}%'`)) as Array<{ name: string; sql: string }>)
    .map((r) => [r.name, r.sql]));
  const stale = [...existing].filter(([name, sql]) => wanted.get(name) !== sql).map(([name]) => name);
  const missing = [...wanted].filter(([name, sql]) => existing.get(name) !== sql);
  if (stale.length === 0 && missing.length === 0) return;
  await db.transaction(async (trx) => {
    for (const name of stale) await trx.raw(`DROP TRIGGER IF EXISTS ${quote(name)}`);
    for (const [, sql] of missing) await trx.raw(sql);
    // Triggers replaced while others wrote: count that as a change, to be safe.
    await trx.raw(BUMP);
  });
}
