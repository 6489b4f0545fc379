import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { SYSTEM_ACTOR, type User } from '../../src/domain/types.js';
import { EXPORT_COLUMNS } from '../../src/services/exports.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { api, eventsOf, login, makeUser, waitFor } from './ext-support.js';

/** Polls an export until it is done or failed. */
export async function finished(server: { http: string }, token: string, id: string, ms = 30_000): Promise<Record<string, unknown>> {
  return waitFor(`export ${id}`, async () => {
    const r = await api(server, 'GET', `/exports/${id}`, token);
    return r.json?.status === 'done' || r.json?.status === 'failed' ? r.json as Record<string, unknown> : undefined;
  }, ms, 50);
}

for (const dialect of dialects()) {
  describe(`CSV exports on ${dialect}`, function () {
    let server: BootedServer;
    let dir: string;
    let viewer: User;
    let viewerToken: string, exporterToken: string;

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'dirgate-exports-'));
      server = await bootServer(dialect, { 'exports.dir': dir });
      const { services } = server.running;
      await makeUser(server, 'exp-alpha', { email: 'alpha@example.test' });
      await services.users.create({ username: 'exp-bravo', name: 'Bravo, "the quoted"', email: 'bravo@example.test', attributes: { team: 'ops, west', tags: ['a', 'b'], note: 'line one\nline two' } }, SYSTEM_ACTOR);
      await services.users.create({ username: 'exp-charlie', name: 'Chärlie Ünïcode 🚀', type: 'service_account', isActive: false }, SYSTEM_ACTOR);
      await makeUser(server, 'other-user');
      viewer = await makeUser(server, 'viewer', { password: 'viewer-password', permissions: ['user.view'] });
      await makeUser(server, 'exporter', { password: 'exporter-password', permissions: ['user.export'] });
      viewerToken = await login(server, 'viewer', 'viewer-password');
      exporterToken = await login(server, 'exporter', 'exporter-password');
    });
    after(async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    let exportId: string;

    it('POST /users/export answers 202 at once and a job writes the CSV (header + user fields, in order)', async () => {
      const r = await api(server, 'POST', '/users/export', server.token, { search: 'username startswith "exp-"', ordering: '-username' });
      expect(r.status, r.text).to.equal(202);
      expect(r.json).to.include({ search: 'username startswith "exp-"', ordering: '-username', row_count: null, completed: null });
      expect(r.json.status).to.be.oneOf(['pending', 'running', 'done']);
      exportId = r.json.id;
      const done = await finished(server, server.token, exportId);
      expect(done.status, String(done.error)).to.equal('done');
      expect(done.row_count).to.equal(3);
      expect(Date.parse(String(done.completed))).to.be.greaterThan(Date.parse(String(done.created)) - 1);

      const file = await fetch(`${server.http}/api/v1/exports/${exportId}/download`, { headers: { authorization: `Bearer ${server.token}` } });
      expect(file.status).to.equal(200);
      expect(file.headers.get('content-type')).to.match(/^text\/csv/);
      expect(file.headers.get('content-disposition')).to.match(/^attachment; filename="users-.*\.csv"$/);
      const rows = parse(await file.text()) as string[][];
      expect(rows[0]).to.deep.equal([...EXPORT_COLUMNS]);
      expect(rows.slice(1).map((x) => x[1])).to.deep.equal(['exp-charlie', 'exp-bravo', 'exp-alpha']);
      const bravo = Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, rows[2]![i]]));
      expect(bravo.name).to.equal('Bravo, "the quoted"');
      expect(JSON.parse(bravo.attributes!)).to.deep.equal({ team: 'ops, west', tags: ['a', 'b'], note: 'line one\nline two' });
      expect(bravo.email).to.equal('bravo@example.test');
      const charlie = Object.fromEntries(EXPORT_COLUMNS.map((c, i) => [c, rows[1]![i]]));
      expect(charlie).to.include({ name: 'Chärlie Ünïcode 🚀', type: 'service_account', is_active: 'false', email: '' });
      expect(Date.parse(charlie.date_joined!)).to.be.a('number').and.not.NaN;
      expect(existsSync(join(dir, `${exportId}.csv`))).to.equal(true);
      expect(readdirSync(dir).filter((f) => f.endsWith('.part'))).to.have.length(0);

      const completed = (await eventsOf(server, 'export_completed')).filter((e) => e.target_id === exportId);
      expect(completed).to.have.length(1);
    });

    it('notifies the requester with the download link; notifications can be marked seen', async () => {
      const list = await api(server, 'GET', '/notifications', server.token);
      expect(list.status).to.equal(200);
      const n = (list.json.results as Array<Record<string, unknown>>).find((x) => String(x.link).endsWith(`/admin/exports?highlight=${exportId}`));
      expect(n, list.text).to.not.equal(undefined);
      expect(n!.seen).to.equal(false);
      expect(n!.title).to.match(/ready/);
      expect((await api(server, 'GET', '/notifications?seen=false', server.token)).json.pagination.count).to.be.greaterThan(0);
      const one = await api(server, 'POST', `/notifications/${n!.id}/seen`, server.token);
      expect(one.status).to.equal(200);
      expect(one.json.seen).to.equal(true);
      const all = await api(server, 'POST', '/notifications/mark_seen', server.token, {});
      expect(all.status).to.equal(200);
      expect((await api(server, 'GET', '/notifications?seen=false', server.token)).json.pagination.count).to.equal(0);
      // Someone else's notification is not there for another user.
      expect((await api(server, 'POST', `/notifications/${n!.id}/seen`, viewerToken)).status).to.equal(404);
      expect((await api(server, 'GET', '/notifications', viewerToken)).json.pagination.count).to.equal(0);
    });

    it('a query or ordering that does not parse is a 400 at request time, and no job is queued', async () => {
      const before = await server.database.db.knex('exports').count<{ n: number }[]>({ n: '*' });
      const bad = await api(server, 'POST', '/users/export', server.token, { search: 'username === "x' });
      expect(bad.status).to.equal(400);
      expect(bad.json.errors).to.have.property('search');
      const unknown = await api(server, 'POST', '/users/export', server.token, { search: 'shoe_size > 3' });
      expect(unknown.status).to.equal(400);
      const order = await api(server, 'POST', '/users/export', server.token, { search: '', ordering: 'password' });
      expect(order.status).to.equal(400);
      const after = await server.database.db.knex('exports').count<{ n: number }[]>({ n: '*' });
      expect(Number(after[0]!.n)).to.equal(Number(before[0]!.n));
    });

    it('an export matching nothing is a header-only CSV with row_count 0', async () => {
      const r = await api(server, 'POST', '/users/export', server.token, { search: 'username = "no such user"' });
      const done = await finished(server, server.token, r.json.id);
      expect(done.row_count).to.equal(0);
      const text = await (await fetch(`${server.http}/api/v1/exports/${r.json.id}/download`, { headers: { authorization: `Bearer ${server.token}` } })).text();
      expect(parse(text)).to.deep.equal([[...EXPORT_COLUMNS]]);
    });

    it("someone else's export: 403 without user.export, allowed with it; the requester keeps access", async () => {
      expect((await api(server, 'POST', '/users/export', viewerToken, { search: '' })).status).to.equal(403);
      expect((await api(server, 'GET', `/exports/${exportId}`, viewerToken)).status).to.equal(403);
      const denied = await api(server, 'GET', `/exports/${exportId}/download`, viewerToken);
      expect(denied.status).to.equal(403);
      expect(denied.headers.get('content-type')).to.match(/problem\+json/);
      expect((await api(server, 'DELETE', `/exports/${exportId}`, viewerToken)).status).to.equal(403);
      expect((await api(server, 'GET', '/exports', viewerToken)).json.results).to.deep.equal([]);
      expect((await api(server, 'GET', `/exports/${exportId}/download`, exporterToken)).status).to.equal(200);
      const all = await api(server, 'GET', '/exports', exporterToken);
      expect((all.json.results as Array<{ id: string }>).map((e) => e.id)).to.include(exportId);

      // The exporter's own export stays theirs after the permission is taken away.
      const own = await api(server, 'POST', '/users/export', exporterToken, { search: 'username = "viewer"' });
      expect(own.status).to.equal(202);
      await finished(server, exporterToken, own.json.id);
      const { services } = server.running;
      const exporter = (await services.users.findByUsername('exporter'))!;
      const role = (await services.roles.findByName('exporter-role'))!;
      await services.roles.assign({ userId: exporter.id }, role.id, false, SYSTEM_ACTOR);
      expect((await api(server, 'GET', `/exports/${own.json.id}/download`, exporterToken)).status).to.equal(200);
      expect((await api(server, 'GET', `/exports/${exportId}/download`, exporterToken)).status).to.equal(403);
      const mine = await api(server, 'GET', '/exports', exporterToken);
      expect((mine.json.results as Array<{ id: string }>).map((e) => e.id)).to.deep.equal([own.json.id]);
      expect(viewer.id).to.be.a('string');
    });

    it('DELETE removes the file and the record; afterwards 404', async () => {
      const path = join(dir, `${exportId}.csv`);
      expect(existsSync(path)).to.equal(true);
      const r = await api(server, 'DELETE', `/exports/${exportId}`, server.token);
      expect(r.status).to.equal(204);
      expect(existsSync(path)).to.equal(false);
      expect((await api(server, 'GET', `/exports/${exportId}`, server.token)).status).to.equal(404);
      expect((await api(server, 'GET', `/exports/${exportId}/download`, server.token)).status).to.equal(404);
      expect((await api(server, 'DELETE', `/exports/${exportId}`, server.token)).status).to.equal(404);
      expect((await eventsOf(server, 'export_deleted')).map((e) => e.target_id)).to.include(exportId);
    });

    it('lists exports newest first with pagination', async () => {
      const r = await api(server, 'GET', '/exports?page_size=1', server.token);
      expect(r.status).to.equal(200);
      expect(r.json.results).to.have.length(1);
      expect(r.json.pagination).to.include({ page: 1, page_size: 1 });
      expect(r.json.pagination.count).to.be.greaterThan(1);
      expect(Object.keys(r.json.results[0])).to.include.members(['id', 'status', 'search', 'ordering', 'row_count', 'created', 'completed']);
    });
  });
}

for (const dialect of dialects()) {
  describe(`export jobs that cannot finish on ${dialect}`, function () {
    let server: BootedServer;
    let blocker: string;

    before(async () => {
      // exports.dir names a regular file: every job fails when it creates its folder.
      blocker = join(mkdtempSync(join(tmpdir(), 'dirgate-exports-')), 'not-a-folder');
      writeFileSync(blocker, 'x');
      server = await bootServer(dialect, { 'exports.dir': blocker, 'exports.stale_after': 1 });
    });
    after(async () => {
      await server.stop();
      rmSync(join(blocker, '..'), { recursive: true, force: true });
    });

    it('a job that fails is marked failed with the reason, the requester is told, and download is a 409', async () => {
      const r = await api(server, 'POST', '/users/export', server.token, { search: '' });
      expect(r.status).to.equal(202);
      const done = await finished(server, server.token, r.json.id);
      expect(done.status).to.equal('failed');
      expect(String(done.error)).to.match(/EEXIST|ENOTDIR|exists|not a directory/);
      const download = await api(server, 'GET', `/exports/${r.json.id}/download`, server.token);
      expect(download.status).to.equal(409);
      const notes = await api(server, 'GET', '/notifications', server.token);
      expect((notes.json.results as Array<{ title: string }>).map((n) => n.title)).to.include('Your user export failed');
      expect((await eventsOf(server, 'export_failed')).map((e) => e.target_id)).to.include(r.json.id);
    });

    it('a running job whose worker stopped heartbeating is retried, and failed once out of attempts — never left running', async () => {
      const knex = server.database.db.knex;
      const admin = (await server.running.services.users.findByUsername('admin'))!;
      const old = new Date(Date.now() - 60_000).toISOString();
      const row = (id: string, attempts: number) => ({
        id, requester_id: admin.id, status: 'running', search: '', ordering: '', attempts, locked_by: 'crashed-host:1:dead',
        heartbeat_at: old, created_at: old, started_at: old,
      });
      const exhausted = '00000000-0000-4000-8000-00000000000e';
      const retried = '00000000-0000-4000-8000-00000000000f';
      await knex('exports').insert([row(exhausted, 3), row(retried, 1)]);
      const out = await waitFor('the stale jobs to be taken back', async () => {
        const rows = await knex('exports').whereIn('id', [exhausted, retried]).orderBy('id');
        return rows.every((x: { status: string; locked_by: string | null }) => x.status !== 'running' || x.locked_by !== 'crashed-host:1:dead') ? rows : undefined;
      }, 15_000);
      const byId = new Map((out as Array<{ id: string; status: string; error: string | null }>).map((x) => [x.id, x]));
      expect(byId.get(exhausted)).to.include({ status: 'failed' });
      expect(String(byId.get(exhausted)!.error)).to.match(/interrupted 3 times/);
      // The retried job runs again here (and fails for the folder, a real failure this time).
      const again = await finished(server, server.token, retried);
      expect(again.status).to.equal('failed');
      expect(Number((await knex('exports').where({ id: retried }).first()).attempts)).to.equal(2);
    });
  });
}
