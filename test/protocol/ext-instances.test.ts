import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices } from '../../src/services/index.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';
import { ADMIN_TOKEN } from '../support/server.js';
import { api, seedBulkUsers, waitFor } from './ext-support.js';
import { killHard, startInstance, type Instance } from '../support/instances.js';
import { bindOk, userDn } from './ldap-support.js';

async function exportRow(db: TestDatabase, id: string): Promise<Record<string, unknown>> {
  return db.db.knex('exports').where({ id }).first();
}

async function eventCount(db: TestDatabase, action: string, id: string): Promise<number> {
  return (await db.db.knex('events').where({ action, target_id: id })).length;
}

const envFor = (db: TestDatabase, dir: string, extra: Record<string, string> = {}) => ({
  DIRGATE_DATABASE_URL: db.url, DIRGATE_EXPORT_DIR: dir, ...extra,
});

for (const dialect of dialects()) {
  describe(`admin extensions across processes on ${dialect}`, function () {
    this.timeout(120_000);
    let db: TestDatabase;
    let dir: string;
    const running: Instance[] = [];

    beforeEach(async () => {
      db = await freshDatabase(dialect);
      dir = mkdtempSync(join(tmpdir(), 'dirgate-export-procs-'));
    });
    afterEach(async () => {
      for (const i of running.splice(0)) await killHard(i);
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('an export interrupted by kill -9 is taken back after the stale period and finished by the restarted server', async () => {
      const a = await startInstance(envFor(db, dir, { DIRGATE_EXPORT_STALE_AFTER: '2' }));
      running.push(a);
      // Enough rows that the export is still running when it is killed.
      const total = await seedBulkUsers(db.db, dialect === 'pg' ? 30_000 : 40_000);
      const r = await api(a, 'POST', '/users/export', ADMIN_TOKEN, { search: '', ordering: '-username' });
      expect(r.status, r.text).to.equal(202);
      const id = r.json.id as string;
      await waitFor('the export to start', async () => ((await exportRow(db, id)).status === 'running' ? true : undefined), 20_000, 10);
      await new Promise((res) => setTimeout(res, 100));
      await killHard(a);
      const interrupted = await exportRow(db, id);
      expect(interrupted.status, 'the export finished before the kill; seed more users').to.equal('running');
      expect(readdirSync(dir).filter((f) => f === `${id}.csv`)).to.have.length(0);

      const b = await startInstance(envFor(db, dir, { DIRGATE_EXPORT_STALE_AFTER: '2' }));
      running.push(b);
      const done = await waitFor('the export to finish after the restart', async () => {
        const row = await exportRow(db, id);
        return row.status === 'done' || row.status === 'failed' ? row : undefined;
      }, 90_000, 100);
      expect(done.status, String(done.error)).to.equal('done');
      expect(Number(done.row_count)).to.equal(total);
      expect(Number(done.attempts)).to.equal(2);
      expect(await eventCount(db, 'export_started', id)).to.equal(2);
      expect(await eventCount(db, 'export_completed', id)).to.equal(1);
      expect(readdirSync(dir).sort()).to.deep.equal([`${id}.csv`]);
      const csv = await fetch(`${b.http}/api/v1/exports/${id}/download`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(csv.status).to.equal(200);
      const lines = (await csv.text()).trimEnd().split('\n');
      expect(lines).to.have.length(total + 1);
      const ready = await api(b, 'GET', '/notifications', ADMIN_TOKEN);
      expect((ready.json.results as Array<{ link: string }>).filter((n) => n.link.endsWith(`/admin/exports?highlight=${id}`))).to.have.length(1);
    });

    // The release on SIGTERM is one conditional UPDATE, the same on both dialects; run it on one to keep the suite short.
    if (dialect === 'sqlite') it('a graceful stop (SIGTERM) gives a running export back at once; the next start finishes it', async () => {
      const a = await startInstance(envFor(db, dir));
      running.push(a);
      const total = await seedBulkUsers(db.db, 40_000);
      const r = await api(a, 'POST', '/users/export', ADMIN_TOKEN, { search: '' });
      const id = r.json.id as string;
      await waitFor('the export to start', async () => ((await exportRow(db, id)).status === 'running' ? true : undefined), 20_000, 10);
      await a.stop();
      expect(a.child.exitCode).to.equal(0);
      const released = await exportRow(db, id);
      expect(released.status, 'the export finished before the stop; seed more users').to.equal('pending');
      expect(Number(released.attempts)).to.equal(0);
      expect(readdirSync(dir).filter((f) => f.startsWith(id))).to.have.length(0);
      const b = await startInstance(envFor(db, dir));
      running.push(b);
      const done = await waitFor('the export to finish', async () => {
        const row = await exportRow(db, id);
        return row.status === 'done' || row.status === 'failed' ? row : undefined;
      }, 60_000, 100);
      expect(done.status).to.equal('done');
      expect(Number(done.row_count)).to.equal(total);
      expect(Number(done.attempts)).to.equal(1);
    });

    if (dialect === 'pg') {
      it('set_password on one instance: the very next LDAP bind on another uses the new password', async () => {
        const a = await startInstance(envFor(db, dir));
        running.push(a);
        const b = await startInstance(envFor(db, dir));
        running.push(b);
        const services = createServices(db.db, loadConfig({ DIRGATE_SCRYPT_N: '1024' }));
        const user = await services.users.create({ username: 'ivan', password: 'ivan-old-password' }, SYSTEM_ACTOR);
        const bind = (url: string, password: string) => bindOk(url, userDn('ivan'), password);
        // Both instances have seen (and may remember) the old password.
        expect(await bind(a.ldap, 'ivan-old-password')).to.equal(true);
        expect(await bind(b.ldap, 'ivan-old-password')).to.equal(true);
        const r = await api(a, 'POST', `/users/${user.id}/set_password`, ADMIN_TOKEN, { password: 'ivan-new-password' });
        expect(r.status, r.text).to.equal(204);
        expect(await bind(b.ldap, 'ivan-old-password')).to.equal(false);
        expect(await bind(b.ldap, 'ivan-new-password')).to.equal(true);
        expect(await bind(a.ldap, 'ivan-new-password')).to.equal(true);
      });

      it('two instances on one PostgreSQL run each export exactly once', async () => {
        const a = await startInstance(envFor(db, dir));
        running.push(a);
        const b = await startInstance(envFor(db, dir));
        running.push(b);
        const total = await seedBulkUsers(db.db, 2000);
        const ids: string[] = [];
        for (let i = 0; i < 8; i++) {
          const r = await api(i % 2 ? b : a, 'POST', '/users/export', ADMIN_TOKEN, { search: i % 3 ? '' : 'username startswith "bulk1"', ordering: i % 2 ? 'email' : '' });
          expect(r.status, r.text).to.equal(202);
          ids.push(r.json.id as string);
        }
        await waitFor('every export to finish', async () => {
          const rows = await db.db.knex('exports').whereIn('id', ids).whereIn('status', ['done', 'failed']);
          return rows.length === ids.length ? true : undefined;
        }, 90_000, 100);
        const workers = new Set<string>();
        for (const id of ids) {
          const row = await exportRow(db, id);
          expect(row.status, String(row.error)).to.equal('done');
          expect(Number(row.attempts)).to.equal(1);
          expect(await eventCount(db, 'export_started', id)).to.equal(1);
          expect(await eventCount(db, 'export_completed', id)).to.equal(1);
          const started = await db.db.knex('events').where({ action: 'export_started', target_id: id }).first();
          const context = typeof started.context === 'string' ? JSON.parse(started.context) : started.context;
          workers.add(String(context.worker));
        }
        expect(workers.size, 'both instances took jobs').to.equal(2);
        const full = await exportRow(db, ids[1]!);
        expect(Number(full.row_count)).to.equal(total);
        expect(readdirSync(dir).sort()).to.deep.equal(ids.map((id) => `${id}.csv`).sort());
      });
    }
  });
}
