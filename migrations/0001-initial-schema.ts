import type { Knex } from 'knex';

/**
 * The whole domain in one schema, so that later features add behaviour, not tables.
 *
 * Case-insensitive fields keep a lowercase shadow column (`*_ci`) written by the store with
 * JavaScript's `toLowerCase()`. Both dialects then compare the same bytes (SQLite's `lower()`
 * only folds ASCII) and plain B-tree indexes serve equality and prefix lookups.
 * Ids are UUID strings; `seq` columns give stable POSIX numbers and keyset order.
 */
export async function up(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === 'pg';
  const json = (t: Knex.CreateTableBuilder, name: string) =>
    pg ? t.jsonb(name).notNullable().defaultTo('{}') : t.text(name).notNullable().defaultTo('{}');
  const ts = (t: Knex.CreateTableBuilder, name: string) => t.timestamp(name, { useTz: true });

  await knex.schema.createTable('users', (t) => {
    t.increments('seq').primary();
    t.string('id', 36).notNullable().unique();
    t.string('username', 150).notNullable();
    t.string('username_ci', 150).notNullable().unique();
    t.text('name').notNullable().defaultTo('');
    t.text('name_ci').notNullable().defaultTo('');
    t.text('email');
    t.text('email_ci').index();
    t.text('path').notNullable().defaultTo('users').index();
    t.string('type', 32).notNullable().defaultTo('internal');
    t.boolean('is_active').notNullable().defaultTo(true);
    json(t, 'attributes');
    t.text('password_hash');
    ts(t, 'password_changed_at');
    ts(t, 'last_login');
    t.text('external_id').index();
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
    t.integer('version').notNullable().defaultTo(1);
  });

  await knex.schema.createTable('groups', (t) => {
    t.increments('seq').primary();
    t.string('id', 36).notNullable().unique();
    t.text('name').notNullable();
    t.text('name_ci').notNullable().unique();
    t.boolean('is_superuser').notNullable().defaultTo(false);
    json(t, 'attributes');
    t.text('external_id').index();
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
    t.integer('version').notNullable().defaultTo(1);
  });

  // Parent links; the services refuse cycles inside the writing transaction.
  await knex.schema.createTable('group_parents', (t) => {
    t.string('group_id', 36).notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.string('parent_id', 36).notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.primary(['group_id', 'parent_id']);
    t.index(['parent_id', 'group_id']);
  });

  await knex.schema.createTable('group_members', (t) => {
    t.string('group_id', 36).notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.primary(['group_id', 'user_id']);
    t.index(['user_id', 'group_id']);
  });

  await knex.schema.createTable('roles', (t) => {
    t.string('id', 36).primary();
    t.text('name').notNullable();
    t.text('name_ci').notNullable().unique();
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });
  await knex.schema.createTable('role_permissions', (t) => {
    t.string('role_id', 36).notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.string('permission', 64).notNullable();
    t.primary(['role_id', 'permission']);
  });
  await knex.schema.createTable('user_roles', (t) => {
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('role_id', 36).notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.primary(['user_id', 'role_id']);
    t.index(['role_id']);
  });
  await knex.schema.createTable('group_roles', (t) => {
    t.string('group_id', 36).notNullable().references('id').inTable('groups').onDelete('CASCADE');
    t.string('role_id', 36).notNullable().references('id').inTable('roles').onDelete('CASCADE');
    t.primary(['group_id', 'role_id']);
    t.index(['role_id']);
  });

  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('token_hash', 64).notNullable().unique();
    t.string('impersonator_id', 36).references('id').inTable('users').onDelete('CASCADE');
    t.text('impersonation_reason');
    t.text('client_ip');
    t.text('user_agent');
    ts(t, 'created_at').notNullable();
    ts(t, 'expires_at').notNullable();
    ts(t, 'last_used_at');
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.text('description').notNullable().defaultTo('');
    t.string('token_hash', 64).notNullable().unique();
    t.string('key_prefix', 16).notNullable();
    ts(t, 'created_at').notNullable();
    ts(t, 'expires_at');
    ts(t, 'last_used_at');
  });

  // Append-only audit log. `seq` orders it; the services never update or delete rows.
  await knex.schema.createTable('events', (t) => {
    t.increments('seq').primary();
    t.string('id', 36).notNullable().unique();
    t.string('action', 64).notNullable().index();
    t.string('actor_id', 36).index();
    t.text('actor_username');
    t.string('impersonator_id', 36);
    t.text('impersonator_username');
    t.string('target_type', 32);
    t.string('target_id', 36).index();
    t.text('client_ip');
    json(t, 'context');
    ts(t, 'created_at').notNullable().index();
  });

  await knex.schema.createTable('settings', (t) => {
    t.string('key', 64).primary();
    json(t, 'value');
    ts(t, 'updated_at').notNullable();
  });

  await knex.schema.createTable('applications', (t) => {
    t.string('id', 36).primary();
    t.text('name').notNullable();
    t.string('slug', 100).notNullable().unique();
    t.text('launch_url');
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });
  await knex.schema.createTable('policy_bindings', (t) => {
    t.string('id', 36).primary();
    t.string('application_id', 36).notNullable().references('id').inTable('applications').onDelete('CASCADE');
    t.string('user_id', 36).references('id').inTable('users').onDelete('CASCADE');
    t.string('group_id', 36).references('id').inTable('groups').onDelete('CASCADE');
    t.integer('order').notNullable().defaultTo(0);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.boolean('negate').notNullable().defaultTo(false);
    ts(t, 'created_at').notNullable();
    t.index(['application_id', 'order']);
  });

  await knex.schema.createTable('exports', (t) => {
    t.string('id', 36).primary();
    t.string('requester_id', 36).references('id').inTable('users').onDelete('SET NULL').index();
    t.string('status', 16).notNullable().defaultTo('pending');
    t.text('search').notNullable().defaultTo('');
    t.text('ordering').notNullable().defaultTo('');
    t.bigInteger('row_count');
    t.text('file_path');
    t.text('error');
    t.integer('attempts').notNullable().defaultTo(0);
    t.text('locked_by');
    ts(t, 'heartbeat_at');
    ts(t, 'created_at').notNullable();
    ts(t, 'started_at');
    ts(t, 'completed_at');
    t.index(['status', 'created_at']);
  });

  await knex.schema.createTable('notifications', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.text('title').notNullable();
    t.text('body').notNullable().defaultTo('');
    t.text('link');
    t.boolean('seen').notNullable().defaultTo(false);
    ts(t, 'created_at').notNullable();
    t.index(['user_id', 'seen']);
  });

  await knex.schema.createTable('consents', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('application_id', 36).references('id').inTable('applications').onDelete('CASCADE');
    t.text('permissions').notNullable().defaultTo('');
    ts(t, 'expires_at');
    ts(t, 'created_at').notNullable();
  });

  await knex.schema.createTable('oauth_refresh_tokens', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('application_id', 36).references('id').inTable('applications').onDelete('CASCADE');
    t.string('token_hash', 64).notNullable().unique();
    t.text('scope').notNullable().defaultTo('');
    t.boolean('revoked').notNullable().defaultTo(false);
    ts(t, 'expires_at');
    ts(t, 'created_at').notNullable();
  });

  await knex.schema.createTable('mfa_authenticators', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('type', 32).notNullable();
    t.text('name').notNullable().defaultTo('');
    t.boolean('confirmed').notNullable().defaultTo(false);
    ts(t, 'created_at').notNullable();
    ts(t, 'last_used_at');
  });

  await knex.schema.createTable('recovery_tokens', (t) => {
    t.string('id', 36).primary();
    t.string('user_id', 36).notNullable().references('id').inTable('users').onDelete('CASCADE').index();
    t.string('token_hash', 64).notNullable().unique();
    t.string('created_by', 36);
    ts(t, 'created_at').notNullable();
    ts(t, 'expires_at').notNullable();
    ts(t, 'used_at');
    ts(t, 'invalidated_at');
  });

  // Failed-authentication counters shared by every instance (LDAP binds, admin logins).
  await knex.schema.createTable('auth_throttle', (t) => {
    t.string('scope', 16).notNullable();
    t.text('key').notNullable();
    ts(t, 'window_start').notNullable();
    t.integer('failures').notNullable().defaultTo(0);
    t.primary(['scope', 'key']);
  });

  if (pg) {
    // Trigram indexes serve `~` (contains) on PostgreSQL when pg_trgm can be had.
    const ok = await knex.raw(`select 1 from pg_available_extensions where name = 'pg_trgm'`);
    if (ok.rows.length > 0) {
      await knex.raw('create extension if not exists pg_trgm with schema public');
      for (const col of ['username_ci', 'email_ci', 'name_ci']) {
        await knex.raw(`create index users_${col}_trgm on users using gin (${col} public.gin_trgm_ops)`);
      }
      await knex.raw('create index groups_name_ci_trgm on groups using gin (name_ci public.gin_trgm_ops)');
    }
    await knex.raw('create index users_username_ci_pattern on users (username_ci text_pattern_ops)');
    await knex.raw('create index users_email_ci_pattern on users (email_ci text_pattern_ops)');
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'auth_throttle', 'recovery_tokens', 'mfa_authenticators', 'oauth_refresh_tokens', 'consents',
    'notifications', 'exports', 'policy_bindings', 'applications', 'settings', 'events', 'api_tokens',
    'sessions', 'group_roles', 'user_roles', 'role_permissions', 'roles', 'group_members',
    'group_parents', 'groups', 'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
