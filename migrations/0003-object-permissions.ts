import type { Knex } from 'knex';

/**
 * Permissions a role holds on one object (authentik's object permissions), and the lock row
 * that serialises every change which could leave the directory without an active superuser.
 *
 * An object permission names a user or a group through its own foreign key (cascading), so a
 * deleted user or group takes its grants with it. Lookups:
 *  - "may this caller do P on object X": by object and permission (`*_object` indexes);
 *  - "which objects may this caller do P on" (the restricted list query): by role and permission
 *    (the unique indexes lead with role_id, permission);
 *  - "who may do what on X" (GET /users/{id}/permissions): by object.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('role_object_permissions', (t) => {
    t.string('id', 36).primary();
    t.string('role_id', 36).notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.string('permission', 64).notNullable();
    t.string('object_type', 8).notNullable();
    t.string('user_id', 36).references('id').inTable('users').onDelete('CASCADE');
    t.string('group_id', 36).references('id').inTable('groups').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable();
    t.unique(['role_id', 'permission', 'user_id']);
    t.unique(['role_id', 'permission', 'group_id']);
    t.index(['user_id', 'permission'], 'role_object_permissions_user_object');
    t.index(['group_id', 'permission'], 'role_object_permissions_group_object');
  });

  // One row per named lock; writers update it first in their transaction (a row lock on
  // PostgreSQL, the write lock on SQLite), so the checks after it see every earlier commit.
  await knex.schema.createTable('dirgate_locks', (t) => {
    t.string('name', 64).primary();
    t.bigInteger('n').notNullable().defaultTo(0);
  });
  await knex('dirgate_locks').insert({ name: 'superusers', n: 0 });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('dirgate_locks');
  await knex.schema.dropTableIfExists('role_object_permissions');
}
