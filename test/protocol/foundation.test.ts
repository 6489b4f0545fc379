import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'ldapts';
import { dialects, freshDatabase, PG_URL } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { freePort } from '../support/ports.js';

const MAIN = resolve('dist/src/main.js');


interface Proc { child: ChildProcess; out: () => string; err: () => string }

function start(env: Record<string, string>): Proc {
  let out = '', err = '';
  const child = spawn(process.execPath, [MAIN], {
    // One process: these tests are about a process's start and stop (worker processes: workers.test.ts).
    env: { PATH: process.env.PATH ?? '', DIRGATE_HOST: '127.0.0.1', DIRGATE_LOG_LEVEL: 'info', DIRGATE_SCRYPT_N: '1024', DIRGATE_WORKERS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  return { child, out: () => out, err: () => err };
}

async function exitOf(p: Proc, ms = 15000): Promise<number | null> {
  if (p.child.exitCode !== null) return p.child.exitCode;
  const timer = setTimeout(() => p.child.kill('SIGKILL'), ms);
  const [code] = await once(p.child, 'exit');
  clearTimeout(timer);
  return code as number | null;
}

async function waitReady(url: string, ms = 40000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.status === 200) return;
    } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`${url} never became ready`);
}

for (const dialect of dialects()) {
  describe(`foundation on ${dialect}`, function () {
    let server: BootedServer;
    before(async () => { server = await bootServer(dialect); });
    after(async () => { await server.stop(); });

    it('answers /healthz, /readyz and /metrics', async () => {
      expect((await fetch(`${server.http}/healthz`)).status).to.equal(200);
      const ready = await fetch(`${server.http}/readyz`);
      expect(ready.status).to.equal(200);
      expect(await ready.json()).to.deep.equal({ status: 'ready' });
      const metrics = await (await fetch(`${server.http}/metrics`)).text();
      expect(metrics).to.match(/dirgate_http_request_duration_seconds/);
    });

    it('bootstraps the superuser admin in group admins, once', async () => {
      const { services } = server.running;
      const admin = await services.users.findByUsername('admin');
      expect(admin).to.not.equal(null);
      expect(await services.access.isSuperuser(admin!.id)).to.equal(true);
      const groups = await services.users.groupsOf([admin!.id]);
      expect(groups.get(admin!.id)!.map((g) => g.name)).to.deep.equal(['admins']);
      const ctx = await services.auth.authenticateBearer(server.token);
      expect(ctx.user.username).to.equal('admin');
    });

    it('accepts an LDAP simple bind as the bootstrap admin and refuses a wrong password', async () => {
      const client = new Client({ url: server.ldap });
      await client.bind('cn=admin,ou=users,dc=example,dc=com', ADMIN_PASSWORD);
      await client.unbind();
      const bad = new Client({ url: server.ldap });
      let code: number | undefined;
      try { await bad.bind('uid=admin,ou=users,dc=example,dc=com', 'wrong'); } catch (e) { code = (e as { code?: number }).code; }
      expect(code).to.equal(49);
      await bad.unbind().catch(() => undefined);
    });
  });
}

describe('the dirgate process', function () {
  this.timeout(60000);

  it('starts, serves, restarts without changing anything, and stops within 10 s of SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-proc-'));
    const [http, ldap] = [await freePort(), await freePort()];
    const env = { DIRGATE_DATABASE_URL: `sqlite:${join(dir, 'd.sqlite')}`, DIRGATE_HTTP_PORT: String(http), DIRGATE_LDAP_PORT: String(ldap) };
    const first = start(env);
    await waitReady(`http://127.0.0.1:${http}`);
    expect(first.out()).to.match(/admin password: \S+/);
    expect(first.out()).to.match(/API token: +dgt_\S+/);
    const t0 = Date.now();
    first.child.kill('SIGTERM');
    expect(await exitOf(first)).to.equal(0);
    expect(Date.now() - t0).to.be.below(10000);

    const second = start(env);
    await waitReady(`http://127.0.0.1:${http}`);
    expect(second.out()).not.to.match(/admin password/);
    second.child.kill('SIGINT');
    expect(await exitOf(second)).to.equal(0);
  });

  it('stops with one clear line for a malformed database URL', async () => {
    const p = start({ DIRGATE_DATABASE_URL: 'mysql://nope' });
    expect(await exitOf(p)).to.not.equal(0);
    expect(p.err().trim().split('\n')).to.have.length(1);
    expect(p.err()).to.match(/database\.url/);
  });

  it('stops with one clear line when the HTTP port is in use', async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-proc-'));
    const p = start({ DIRGATE_DATABASE_URL: `sqlite:${join(dir, 'd.sqlite')}`, DIRGATE_HTTP_PORT: String(port), DIRGATE_LDAP_PORT: String(await freePort()) });
    expect(await exitOf(p)).to.not.equal(0);
    blocker.close();
    expect(p.err().trim().split('\n')).to.have.length(1);
    expect(p.err()).to.match(new RegExp(`port ${port}.*already in use`));
  });

  it('stops with one clear line when PostgreSQL is unreachable', async () => {
    const p = start({ DIRGATE_DATABASE_URL: `postgres://postgres@127.0.0.1:${await freePort()}/nope`, DIRGATE_HTTP_PORT: String(await freePort()), DIRGATE_LDAP_PORT: String(await freePort()) });
    expect(await exitOf(p)).to.not.equal(0);
    expect(p.err().trim().split('\n')).to.have.length(1);
    expect(p.err()).to.match(/cannot reach PostgreSQL/);
  });

  it('stops with one clear line when ldap.application names no application', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-proc-'));
    const p = start({
      DIRGATE_DATABASE_URL: `sqlite:${join(dir, 'd.sqlite')}`, DIRGATE_HTTP_PORT: String(await freePort()), DIRGATE_LDAP_PORT: String(await freePort()),
      DIRGATE_LDAP_APPLICATION: 'no-such-app', DIRGATE_LOG_LEVEL: 'warn',
    });
    expect(await exitOf(p)).to.not.equal(0);
    expect(p.err().trim().split('\n')).to.have.length(1);
    expect(p.err()).to.match(/ldap\.application \(DIRGATE_LDAP_APPLICATION\) names no application: "no-such-app"/);
  });

  it('runs `migrate` and exits', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dirgate-proc-'));
    const child = spawn(process.execPath, [MAIN, 'migrate'], { env: { PATH: process.env.PATH ?? '', DIRGATE_DATABASE_URL: `sqlite:${join(dir, 'd.sqlite')}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d) => { out += d; });
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
    expect(out).to.match(/applied: 0001-initial-schema/);
  });

  if (PG_URL) {
    it('starts two instances on one PostgreSQL together; both serve and one admin exists', async () => {
      const tdb = await freshDatabase('pg');
      try {
        const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
        const a = start({ DIRGATE_DATABASE_URL: tdb.url, DIRGATE_HTTP_PORT: String(ports[0]), DIRGATE_LDAP_PORT: String(ports[1]), DIRGATE_BOOTSTRAP_PASSWORD: 'password-1234' });
        const b = start({ DIRGATE_DATABASE_URL: tdb.url, DIRGATE_HTTP_PORT: String(ports[2]), DIRGATE_LDAP_PORT: String(ports[3]), DIRGATE_BOOTSTRAP_PASSWORD: 'password-1234' });
        await Promise.all([waitReady(`http://127.0.0.1:${ports[0]}`), waitReady(`http://127.0.0.1:${ports[2]}`)]);
        const admins = await tdb.db.knex('users').where({ username_ci: 'admin' });
        expect(admins).to.have.length(1);
        a.child.kill('SIGTERM');
        b.child.kill('SIGTERM');
        expect(await exitOf(a)).to.equal(0);
        expect(await exitOf(b)).to.equal(0);
      } finally {
        await tdb.drop();
      }
    });
  }
});
