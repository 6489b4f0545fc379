import type { Knex } from 'knex';

/**
 * SQLite: a counter of the commits that change what the directory answers (src/store/change-counter.ts),
 * so answers kept per database state survive the writes that change none of them — the batched
 * bind events and last_login. Its triggers are made from the schema as it stands after every
 * migration (installChangeTriggers), not here. PostgreSQL reads its own snapshot instead.
 */
export async function up(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'better-sqlite3') return;
  await knex.schema.createTable('directory_changes', (t) => {
    t.integer('id').primary();
    t.integer('n').notNullable();
  });
  await knex('directory_changes').insert({ id: 1, n: 0 });
}

export async function down(knex: Knex): Promise<void> {
  if (knex.client.config.client !== 'better-sqlite3') return;
  await knex.raw("select 'drop trigger ' || name from sqlite_master where type = 'trigger' and name like 'dg_change_%'").then(async (rows: Array<Record<string, string>>) => {
    for (const r of rows) await knex.raw(Object.values(r)[0]!);
  });
  await knex.schema.dropTable('directory_changes');
}
