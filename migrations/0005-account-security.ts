import type { Knex } from 'knex';

/** Settings renamed to the dotted keys of DESIGN.md (values kept). */
const RENAMED_SETTINGS: ReadonlyArray<readonly [string, string]> = [
  ['impersonation', 'impersonation.enabled'],
  ['impersonation_require_reason', 'impersonation.require_reason'],
  ['unique_email', 'users.unique_email'],
  ['password_min_length', 'password.min_length'],
  ['login_throttle_window', 'login.throttle_window'],
  ['login_throttle_count', 'login.throttle_count'],
];

/**
 * Account security (issue 15): lockout state on the user row (counted in the database so every
 * instance agrees), password history as hashes, TOTP secrets with the last accepted time step
 * (replay guard), and one-time recovery codes stored as hashes.
 */
export async function up(knex: Knex): Promise<void> {
  const ts = (t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, name: string) => t.timestamp(name, { useTz: true });
  for (const [from, to] of RENAMED_SETTINGS) {
    const taken = await knex('settings').where({ key: to }).first();
    if (taken) await knex('settings').where({ key: from }).delete();
    else await knex('settings').where({ key: from }).update({ key: to });
  }

  await knex.schema.alterTable('users', (t) => {
    t.integer('failed_logins').notNullable().defaultTo(0);
    ts(t, 'locked_until');
    // Set when someone else set the password (an admin reset): the user must choose a new one.
    t.boolean('password_must_change').notNullable().defaultTo(false);
  });

  await knex.schema.createTable('password_history', (t) => {
    t.increments('seq').primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('password_hash').notNullable();
    ts(t, 'created_at').notNullable();
    t.index(['user_id', 'seq']);
  });

  await knex.schema.alterTable('mfa_authenticators', (t) => {
    t.text('secret');
    t.bigInteger('last_step');
  });

  // An application whose bindings decide LDAP access may set its own mfa.ldap_bind (null: the global setting).
  await knex.schema.alterTable('applications', (t) => {
    t.string('mfa_ldap_bind', 16);
  });

  await knex.schema.createTable('mfa_recovery_codes', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('code_hash', 64).notNullable().unique();
    ts(t, 'created_at').notNullable();
    ts(t, 'used_at');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('mfa_recovery_codes');
  await knex.schema.dropTableIfExists('password_history');
  await knex.schema.alterTable('applications', (t) => {
    t.dropColumn('mfa_ldap_bind');
  });
  await knex.schema.alterTable('mfa_authenticators', (t) => {
    t.dropColumn('secret');
    t.dropColumn('last_step');
  });
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('failed_logins');
    t.dropColumn('locked_until');
    t.dropColumn('password_must_change');
  });
  for (const [from, to] of RENAMED_SETTINGS) await knex('settings').where({ key: to }).update({ key: from });
}
