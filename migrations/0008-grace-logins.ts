import type { Knex } from 'knex';

/**
 * Grace logins (issue 15, draft-behera-ldap-password-policy-10 §8.1.2.3 pwdGraceUseTime): how
 * many LDAP binds an expired password has had since it expired, counted on the user row in one
 * statement so concurrent binds and several instances never get more than `password.grace_logins`.
 * Setting a password starts it over.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.integer('grace_logins_used').notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('grace_logins_used');
  });
}
