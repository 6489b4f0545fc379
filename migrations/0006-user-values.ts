import type { Knex } from 'knex';
import { userElements, elementColumns } from '../src/domain/multi-valued.js';

/**
 * One row per element of a user's multi-valued attributes (emails, phoneNumbers, addresses, …),
 * with each searchable sub-attribute lowercased, so that SCIM's "a filter matches when any value
 * does" (`emails.value eq …`, `emails[type eq "home"]`) is an index lookup at 1M users instead of a
 * scan of every user's JSON. The elements themselves stay in `users.attributes`, kept as sent;
 * these rows are derived from them (and the `email` column) by the store on every write.
 */
export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  await knex.schema.createTable('user_values', (t) => {
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('attr', 32).notNullable();
    t.integer('position').notNullable();
    for (const c of ['value_ci', 'display_ci', 'type_ci', 'formatted_ci', 'street_address_ci', 'locality_ci', 'region_ci', 'postal_code_ci', 'country_ci']) t.text(c);
    t.boolean('is_primary').notNullable().defaultTo(false);
    t.primary(['user_id', 'attr', 'position']);
    t.index(['attr', 'type_ci']);
  });
  // `emails.value eq` / `sw`: on PostgreSQL text_pattern_ops serves both equality and prefixes.
  if (pg) await knex.raw('create index user_values_attr_value_ci on user_values (attr, value_ci text_pattern_ops)');
  else await knex.raw('create index user_values_attr_value_ci on user_values (attr, value_ci)');

  // Backfill in keyset batches, so a large directory never sits in memory at once.
  let after = 0;
  for (;;) {
    const users = await knex('users').where('seq', '>', after).orderBy('seq').limit(1000).select('seq', 'id', 'email', 'attributes');
    if (users.length === 0) break;
    const rows: Record<string, unknown>[] = [];
    for (const u of users) {
      const attributes = typeof u.attributes === 'string' ? JSON.parse(u.attributes) : (u.attributes ?? {});
      for (const { attr, position, element } of userElements(u.email ?? null, attributes)) {
        const cols = elementColumns(element);
        rows.push({ user_id: u.id, attr, position, ...cols, is_primary: pg ? cols.is_primary : cols.is_primary ? 1 : 0 });
      }
    }
    for (let i = 0; i < rows.length; i += 200) await knex('user_values').insert(rows.slice(i, i + 200));
    after = Number(users[users.length - 1].seq);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('user_values');
}
