import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'ldapts';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';
import { startInstance, type Instance } from '../support/instances.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN } from '../support/server.js';
import { api, seedBulkUsers, waitFor } from './ext-support.js';
import { attemptConnection, dnsOf, haveTool, makeCertificate, NOTICE_OID, openFrom, run } from './ldap-support.js';

const BASE = 'dc=example,dc=com';
const ADMIN_DN = `cn=admin,ou=users,${BASE}`;

/** A GET on a connection of its own (no keep-alive), so the listener deals it to any worker. */
function freshGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close', ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The worker processes of a supervised instance: the primary's children. */
function workerPids(i: Instance): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(i.child.pid)], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

for (const dialect of dialects()) {
  describe(`worker processes (DIRGATE_WORKERS=2) on ${dialect}`, function () {
    this.timeout(180_000);
    let db: TestDatabase;
    let dir: string;
    let instance: Instance;
    let tls: { cert: string; key: string };
    const USERS = 10_000;

    before(async () => {
      db = await freshDatabase(dialect);
      dir = mkdtempSync(join(tmpdir(), 'dirgate-workers-'));
      tls = makeCertificate();
      instance = await startInstance({
        DIRGATE_DATABASE_URL: db.url, DIRGATE_EXPORT_DIR: dir, DIRGATE_WORKERS: '2',
        DIRGATE_TLS_CERT: tls.cert, DIRGATE_TLS_KEY: tls.key,
      });
      // After the start: an empty store is what makes the first start create the admin.
      await seedBulkUsers(db.db, USERS);
    });
    after(async () => {
      await instance?.stop();
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it('bootstraps once, in the primary, before the workers start', async () => {
      expect(instance.output().match(/created the first superuser/g) ?? []).to.have.length(1);
      expect(workerPids(instance)).to.have.length(2);
      const admins = await db.db.knex('users').where({ username: 'admin' });
      expect(admins).to.have.length(1);
    });

    it('serves from every worker; /metrics reports the whole instance, process metrics per worker', async () => {
      const before = await freshGet(`${instance.http}/metrics`);
      const count = (text: string) => Number(/dirgate_http_request_duration_seconds_count\{door="other",method="GET",status="200"\} (\d+)/.exec(text)?.[1] ?? 0);
      for (let i = 0; i < 40; i++) expect((await freshGet(`${instance.http}/healthz`)).status).to.equal(200);
      const after = await freshGet(`${instance.http}/metrics`);
      expect(after.status).to.equal(200);
      // Counters are summed over the workers: every request counted, whichever worker took it.
      expect(count(after.body) - count(before.body)).to.be.at.least(41);
      const workers = new Set([...after.body.matchAll(/process_resident_memory_bytes\{worker="(\d+)"\}/g)].map((m) => m[1]));
      expect(workers.size).to.equal(2);
    });

    if (dialect === 'sqlite') {
      it('SQLite: concurrent writes from both workers never fail as busy', async () => {
        const results = await Promise.all(Array.from({ length: 60 }, (_, i) => fetch(`${instance.http}/api/v1/users`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ username: `busy${i}`, attributes: { i } }),
        }).then((r) => r.status)));
        expect(results.filter((s) => s !== 201), JSON.stringify(results)).to.deep.equal([]);
        // Nor anything else since both workers opened the file at once: the export runner's polls, the event flushes.
        const busy = instance.output().split('\n').filter((l) => /database is busy/.test(l));
        expect(busy, busy.join('\n')).to.deep.equal([]);
      });
    }

    it('pages through 10k entries with ldapsearch -E pr=100 over StartTLS while another client hammers the other worker', async function () {
      if (!haveTool('ldapsearch')) this.skip();
      const port = new URL(instance.ldap).port;
      let stop = false;
      let hammered = 0;
      const hammer = (async () => {
        while (!stop) {
          const c = new Client({ url: instance.ldap });
          try {
            await c.bind(ADMIN_DN, ADMIN_PASSWORD);
            await c.search(`ou=users,${BASE}`, { scope: 'sub', filter: `(uid=bulk${1 + (hammered % USERS)})` });
            hammered++;
          } finally {
            await c.unbind().catch(() => undefined);
          }
        }
      })();
      const r = await run('ldapsearch', ['-x', '-ZZ', '-H', `ldap://127.0.0.1:${port}`, '-D', ADMIN_DN, '-w', ADMIN_PASSWORD,
        '-b', `ou=users,${BASE}`, '-E', 'pr=100/noprompt', '(objectClass=person)', 'uid'], { LDAPTLS_REQCERT: 'never' });
      stop = true;
      await hammer;
      expect(r.code, r.stderr).to.equal(0);
      const dns = new Set(dnsOf(r.stdout));
      expect([...dns].filter((dn) => /^cn=bulk\d+,/.test(dn))).to.have.length(USERS);
      expect(dns.has(ADMIN_DN)).to.equal(true);
      expect(hammered).to.be.greaterThan(0);
    });

    it('shares the bind cache: a repeat bind skips the KDF whichever worker takes the connection', async () => {
      const made = await api(instance, 'POST', '/users', ADMIN_TOKEN, { username: 'repeat', password: 'repeat-password-1' });
      expect(made.status, made.text).to.equal(201);
      for (let i = 0; i < 6; i++) {
        const c = new Client({ url: instance.ldap });
        try {
          await c.bind(`cn=repeat,ou=users,${BASE}`, 'repeat-password-1');
        } finally {
          await c.unbind().catch(() => undefined);
        }
        // Let the first verification reach the other worker before the next connection.
        if (i === 0) await new Promise((r) => setTimeout(r, 200));
      }
      const binds = await waitFor('six bind events', async () => {
        const rows = await db.db.knex('events').where({ action: 'ldap_bind', target_id: made.json.id as string });
        return rows.length >= 6 ? rows : undefined;
      }, 20_000, 100);
      const cached = binds.map((r: { context: unknown }) => (typeof r.context === 'string' ? JSON.parse(r.context) : r.context).cached);
      expect(cached.filter((c: boolean) => c === false), JSON.stringify(cached)).to.have.length(1);
    });

    it('runs an export once, whichever worker claims it', async () => {
      const r = await api(instance, 'POST', '/users/export', ADMIN_TOKEN, { search: 'username startswith "bulk1"', ordering: 'username' });
      expect(r.status, r.text).to.equal(202);
      const id = r.json.id as string;
      const done = await waitFor('the export', async () => {
        const e = await api(instance, 'GET', `/exports/${id}`, ADMIN_TOKEN);
        return e.json.status === 'done' ? e.json : undefined;
      }, 60_000, 100);
      expect(done.row_count).to.equal(1112); // bulk1, bulk10–19, bulk100–199, bulk1000–1999, bulk10000
      expect(await db.db.knex('events').where({ action: 'export_started', target_id: id })).to.have.length(1);
    });

    it('replaces a worker that dies, logging it, and keeps serving', async () => {
      const [victim] = workerPids(instance);
      process.kill(victim!, 'SIGKILL');
      await waitFor('the death to be logged', async () => (/worker died; starting another/.test(instance.output()) ? true : undefined), 20_000, 50);
      await waitFor('a replacement worker', async () => {
        const pids = workerPids(instance);
        return pids.length === 2 && !pids.includes(victim!) ? true : undefined;
      }, 30_000, 100);
      await waitFor('the replacement to serve', async () => {
        const m = await freshGet(`${instance.http}/metrics`);
        const workers = new Set([...m.body.matchAll(/process_resident_memory_bytes\{worker="(\d+)"\}/g)].map((x) => x[1]));
        return workers.size === 2 && workers.has('3') ? true : undefined;
      }, 30_000, 200);
      expect((await freshGet(`${instance.http}/readyz`)).status).to.equal(200);
    });

    it('drains every worker on SIGTERM and exits 0 within the shutdown budget', async () => {
      const pids = workerPids(instance);
      const started = Date.now();
      instance.child.kill('SIGTERM');
      const [code] = await new Promise<[number | null]>((resolve) => instance.child.once('exit', (c) => resolve([c])));
      expect(code).to.equal(0);
      expect(Date.now() - started).to.be.below(10_000);
      for (const pid of pids) expect(() => process.kill(pid, 0), `worker ${pid} still runs`).to.throw();
    });
  });
}

describe('LDAP connection caps with DIRGATE_WORKERS=2', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let instance: Instance;

  before(async () => {
    db = await freshDatabase('sqlite');
    instance = await startInstance({
      DIRGATE_DATABASE_URL: db.url, DIRGATE_WORKERS: '2',
      DIRGATE_LDAP_MAX_CONNECTIONS: '5', DIRGATE_LDAP_MAX_CONNECTIONS_PER_ADDRESS: '3',
    });
  });
  after(async () => {
    await instance?.stop();
    await db?.drop();
  });

  it('count for the whole instance, not per worker: the fourth connection from one address is refused, a closed one makes room', async () => {
    const port = Number(new URL(instance.ldap).port);
    // node's cluster deals connections out to the worker that is free first; spaced out, they
    // land on both (a burst often lands on one). Each worker counting alone would take 3 of them.
    const mine: Client[] = [];
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        mine.push(await openFrom(instance.ldap, '127.0.0.1'));
      } catch {
        // refused: the Notice of Disconnection ends ldapts' request
      }
    }
    expect(mine).to.have.length(3);
    const over = await attemptConnection(port, '127.0.0.1');
    expect(over.closed).to.equal(true);
    expect(over.data.includes(Buffer.from(NOTICE_OID))).to.equal(true);
    expect(over.data.toString()).to.include('ldap.max_connections_per_address');
    const others = [await openFrom(instance.ldap, '127.0.0.2'), await openFrom(instance.ldap, '127.0.0.2')];
    const total = await attemptConnection(port, '127.0.0.3');
    expect(total.closed).to.equal(true);
    expect(total.data.toString()).to.include('(ldap.max_connections)');

    await mine[0]!.unbind();
    const again = await waitFor('a slot to come back', async () => {
      try {
        return await openFrom(instance.ldap, '127.0.0.1');
      } catch {
        return undefined;
      }
    }, 10_000, 100);
    for (const c of [...mine.slice(1), ...others, again]) await c.unbind();
  });
});
