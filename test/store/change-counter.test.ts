/**
 * SQLite's directory change counter (src/store/change-counter.ts): the snapshot text answers are
 * kept under moves with every commit that could change an answer, and only those.
 */
import { expect } from 'chai';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices, type Services } from '../../src/services/index.js';
import { writeBindBatch } from '../../src/store/batch-writes.js';
import { installChangeTriggers, UNCOUNTED_COLUMNS, UNCOUNTED_TABLES } from '../../src/store/change-counter.js';
import { preparedReader } from '../../src/store/prepared.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';

describe('SQLite directory change counter', () => {
  let t: TestDatabase;
  let services: Services;
  let userId = '';
  const snapshot = () => preparedReader(t.db).snapshot();

  before(async () => {
    t = await freshDatabase('sqlite');
    services = createServices(t.db, loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, { 'database.url': t.url, 'log.level': 'silent' }));
    userId = (await services.users.create({ username: 'erin', name: 'Erin' }, SYSTEM_ACTOR)).id;
  });
  after(async () => {
    await t?.drop();
  });

  it('counts writes to every table but the uncounted, and every users column but last_login', async () => {
    const tables = (await t.db.knex.raw("select name from sqlite_master where type = 'table' and name not like 'sqlite_%'")) as Array<{ name: string }>;
    const triggers = new Map(((await t.db.knex.raw("select name, tbl_name, sql from sqlite_master where type = 'trigger'")) as Array<{ name: string; tbl_name: string; sql: string }>)
      .map((r) => [r.name, r]));
    const counted = tables.map((x) => x.name).filter((n) => !UNCOUNTED_TABLES.has(n));
    expect(counted).to.include.members(['users', 'groups', 'group_members', 'group_parents', 'roles', 'role_permissions', 'user_roles', 'group_roles', 'settings', 'api_tokens', 'applications', 'mfa_authenticators']);
    for (const name of counted) {
      for (const op of ['insert', 'update', 'delete']) {
        const trigger = triggers.get(`dg_change_${name}_${op}`);
        expect(trigger, `${name} ${op}`).to.not.equal(undefined);
        expect(trigger!.tbl_name).to.equal(name);
        expect(trigger!.sql).to.contain('UPDATE directory_changes SET n = n + 1');
      }
    }
    const columns = ((await t.db.knex.raw('pragma table_info(users)')) as Array<{ name: string }>).map((c) => c.name);
    const update = triggers.get('dg_change_users_update')!.sql;
    for (const c of columns) {
      if (UNCOUNTED_COLUMNS.get('users')!.has(c)) expect(update).not.to.contain(`"${c}"`);
      else expect(update, c).to.contain(`"${c}"`);
    }
  });

  it('keeps its text across the bind batch (last_login and events) but not across a change of the user', async () => {
    const before = await snapshot();
    expect(before).to.match(/^c\d+$/);
    const at = new Date().toISOString();
    await writeBindBatch(t.db, new Map([[userId, at]]), [{ action: 'ldap_bind', actorId: userId, actorUsername: 'erin', at }]);
    expect((await t.db.knex('users').where({ id: userId }).first('last_login')).last_login).to.not.equal(null);
    expect(await snapshot()).to.equal(before);
    await services.users.update(userId, { isActive: false }, SYSTEM_ACTOR);
    const deactivated = await snapshot();
    expect(deactivated).to.not.equal(before);
    // last_login set together with a counted column counts.
    await t.db.knex('users').where({ id: userId }).update({ last_login: at, is_active: true });
    expect(await snapshot()).to.not.equal(deactivated);
  });

  it('moves with memberships, roles and settings', async () => {
    const group = await services.groups.create({ name: 'counted' }, SYSTEM_ACTOR);
    let last = await snapshot();
    const moved = async () => {
      const now = await snapshot();
      expect(now).to.not.equal(last);
      last = now;
    };
    await services.groups.changeMembers(group.id, { addUsers: [userId] }, SYSTEM_ACTOR);
    await moved();
    await t.db.knex('group_members').where({ group_id: group.id }).delete();
    await moved();
    const role = await services.roles.create({ name: 'counted-role', permissions: ['ldap.search_full_directory'] }, SYSTEM_ACTOR);
    await moved();
    await services.roles.update(role.id, { permissions: [] }, SYSTEM_ACTOR);
    await moved();
    await services.settings.update({ 'password.min_length': 10 }, SYSTEM_ACTOR);
    await moved();
  });

  it('counts a table added later once triggers are made again (every migrate does), and writes nothing when they match', async () => {
    const before = await snapshot();
    await installChangeTriggers(t.db);
    expect(await snapshot()).to.equal(before);
    await t.db.knex.raw('create table later_table (x integer)');
    await installChangeTriggers(t.db);
    const installed = await snapshot();
    await t.db.knex('later_table').insert({ x: 1 });
    expect(await snapshot()).to.not.equal(installed);
  });
});
