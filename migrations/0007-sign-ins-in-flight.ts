import type { Knex } from 'knex';

/**
 * Sign-ins in flight (issue 15): the throttle and lockout counts keep the attempts whose password
 * is being checked apart from the failures, so that a burst of good sign-ins from one address (an
 * application server binding for many users at once) waits for its turn instead of being refused,
 * while a burst of guesses still checks at most the limit's number of passwords. `pending_at` is
 * the last reservation: reservations older than a minute belong to a process that died mid-check
 * and are dropped.
 */
export async function up(knex: Knex): Promise<void> {
  for (const table of ['auth_throttle', 'users']) {
    await knex.schema.alterTable(table, (t) => {
      t.integer(table === 'users' ? 'pending_logins' : 'pending').notNullable().defaultTo(0);
      t.timestamp(table === 'users' ? 'pending_logins_at' : 'pending_at', { useTz: true });
    });
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('auth_throttle', (t) => {
    t.dropColumn('pending');
    t.dropColumn('pending_at');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('pending_logins');
    t.dropColumn('pending_logins_at');
  });
}
