import { expect } from 'chai';
import { once } from 'node:events';
import { get } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import pino from 'pino';
import { AdminLimitExceededError, Client, Control, UnavailableCriticalExtensionError, UnavailableError } from 'ldapts';
import { BerWriter } from '../../protocols/ldap/ber.js';
import { loadConfig } from '../../src/config.js';
import { startServer, type Running } from '../../src/main.js';
import { dialects, freshDatabase, PG_URL, type TestDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN, bootServer, type BootedServer } from '../support/server.js';
import { BASE, userDn } from './ldap-support.js';

function bindMessage(id: number, dn: string, password: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(0x60);
  w.writeInt(3);
  w.writeString(dn);
  w.writeString(password, 0x80);
  w.endSequence();
  w.endSequence();
  return Buffer.from(w.toBuffer());
}

function searchMessage(id: number, base: string): Buffer {
  const w = new BerWriter();
  w.startSequence();
  w.writeInt(id);
  w.startSequence(0x63);
  w.writeString(base);
  w.writeEnum(2);
  w.writeEnum(0);
  w.writeInt(0);
  w.writeInt(0);
  w.writeBool(false);
  w.writeString('objectClass', 0x87);
  w.startSequence();
  w.endSequence();
  w.endSequence();
  w.endSequence();
  return Buffer.from(w.toBuffer());
}

/** Sends raw bytes; resolves with everything received until the server closes (or `ms`). */
async function rawExchange(port: number, bytes: Buffer, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  const s = connect(port, '127.0.0.1');
  await once(s, 'connect');
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  s.on('error', () => undefined);
  s.write(bytes);
  const closed = await Promise.race([once(s, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  s.destroy();
  return { data: Buffer.concat(chunks), closed };
}

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return undefined;
}

const NOTICE_OID = '1.3.6.1.4.1.1466.20036';

for (const dialect of dialects()) {
  describe(`LDAP bad input and limits on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;

    before(async () => {
      server = await bootServer(dialect, { 'ldap.max_message_bytes': 8192, 'ldap.idle_timeout': 2 });
    });
    after(async () => { await server?.stop(); });

    async function stillServes(): Promise<void> {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      const r = await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' });
      expect(r.searchEntries).to.have.length(1);
      await c.unbind();
    }

    it('answers malformed BER with a Notice of Disconnection and closes', async () => {
      for (const junk of [Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.from([0x30, 0x05, 0x02, 0x01, 0x01, 0x63, 0x7f]), Buffer.from([0x30, 0x80, 0, 0])]) {
        const r = await rawExchange(server.ldapPort, junk);
        expect(r.closed).to.equal(true);
        expect(r.data.includes(Buffer.from(NOTICE_OID))).to.equal(true);
      }
      await stillServes();
    });

    it('refuses a message over max_message_bytes from its header, before buffering it', async () => {
      const header = Buffer.from([0x30, 0x84, 0x10, 0x00, 0x00, 0x00, 0x02, 0x01, 0x01]);
      const r = await rawExchange(server.ldapPort, header);
      expect(r.closed).to.equal(true);
      expect(r.data.includes(Buffer.from(NOTICE_OID))).to.equal(true);
      await stillServes();
    });

    it('refuses unknown critical controls (12) and ignores unknown non-critical ones', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      const e = await errorOf(c.search(BASE, { scope: 'sub', filter: '(uid=admin)' }, new Control('1.2.3.4.5', { critical: true })));
      expect(e).to.be.instanceOf(UnavailableCriticalExtensionError);
      const ok = await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' }, new Control('1.2.3.4.5', { critical: false }));
      expect(ok.searchEntries).to.have.length(1);
      await c.unbind();
    });

    it('answers filters past the query limits with adminLimitExceeded (11)', async () => {
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      const deep = `${'(&'.repeat(40)}(uid=x)${')'.repeat(40)}`;
      expect(await errorOf(c.search(BASE, { scope: 'sub', filter: deep }))).to.be.instanceOf(AdminLimitExceededError);
      const wide = `(|${Array.from({ length: 600 }, (_, i) => `(uid=u${i})`).join('')})`;
      expect(await errorOf(c.search(BASE, { scope: 'sub', filter: wide }))).to.be.instanceOf(AdminLimitExceededError);
      await c.unbind();
    });

    it('closes idle connections after idle_timeout', async () => {
      const s = connect(server.ldapPort, '127.0.0.1');
      s.on('error', () => undefined);
      await once(s, 'connect');
      const started = Date.now();
      let noticeAfter = -1;
      let received = 0;
      s.on('data', (d: Buffer) => {
        received += d.length;
        if (noticeAfter < 0 && d.includes(Buffer.from(NOTICE_OID))) noticeAfter = Date.now() - started;
      });
      s.resume();
      const closed = await Promise.race([once(s, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15000))]);
      s.destroy();
      // Say what was seen if it fails (a bare mocha timeout tells nothing).
      expect({ closed, notice: noticeAfter >= 0 }, `received ${received} bytes, notice after ${noticeAfter} ms`).to.deep.equal({ closed: true, notice: true });
      expect(noticeAfter).to.be.within(1500, 5000);
    });

    it('counts operations by type and result code in /metrics', async () => {
      const count = async (op: string, result: string) => {
        const text = await metricsText(server.http);
        const line = text.split('\n').find((l) => l.startsWith(`dirgate_ldap_operations_total{op="${op}",result="${result}"} `));
        return line ? Number(line.split(' ')[1]) : 0;
      };
      const before = { bind: await count('bind', 'success'), search: await count('search', 'success'),
        missing: await count('search', 'noSuchObject'), refused: await count('bind', 'invalidCredentials') };
      const c = new Client({ url: server.ldap });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' });
      await c.search(BASE, { scope: 'sub', filter: '(uid=nobody)' });
      await errorOf(c.search(`cn=nobody,ou=users,${BASE}`, { scope: 'base' }));
      await errorOf(c.bind(userDn('admin'), 'wrong password'));
      await c.unbind();
      expect({
        bind: await count('bind', 'success') - before.bind, search: await count('search', 'success') - before.search,
        missing: await count('search', 'noSuchObject') - before.missing, refused: await count('bind', 'invalidCredentials') - before.refused,
      }).to.deep.equal({ bind: 1, search: 2, missing: 1, refused: 1 });
    });

    it('holds the queue bound per message against a client pipelining 2,000 searches without reading', async () => {
      const before = await queueDepths(server.http);
      const s: Socket = connect(server.ldapPort, '127.0.0.1');
      s.on('error', () => undefined);
      await once(s, 'connect');
      s.pause(); // never read
      const search = searchMessage(2, BASE);
      const flood = Buffer.concat([bindMessage(1, userDn('admin'), ADMIN_PASSWORD), ...Array.from({ length: 2000 }, () => search)]);
      s.write(flood); // one write: the server receives many messages per TCP chunk
      // Wait until the server has filled the queue (observed, not timed), then check it held.
      let now = await queueDepths(server.http);
      for (let i = 0; i < 200 && now.count - before.count - (now.le31 - before.le31) === 0; i++) {
        await new Promise((r) => setTimeout(r, 25));
        now = await queueDepths(server.http);
      }
      expect(now.count - before.count - (now.le31 - before.le31), 'operations queued at the bound (32)').to.be.greaterThan(0);
      await stillServes(); // others are served meanwhile
      // The server answers what it queued as the client reads, or times the connection out.
      expect(await endsWithoutStalling(s, 10000)).to.equal('closed');
      const after = await queueDepths(server.http);
      expect(after.count - before.count, 'operations queued').to.be.greaterThan(32);
      expect(after.count - after.le32, 'operations queued beyond the bound').to.equal(before.count - before.le32);
      await stillServes();
    });
  });
}

/**
 * GET /metrics on a fresh connection: a kept-alive one may be closed by the server's keep-alive
 * timeout while the flood test waits, and reusing it then fails with ECONNRESET.
 */
function metricsText(http: string): Promise<string> {
  return new Promise((resolve, reject) => {
    get(`${http}/metrics`, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    }).on('error', reject);
  });
}

/** `dirgate_ldap_queued_operations` from /metrics: observations, and those at most 31 and 32. */
async function queueDepths(http: string): Promise<{ count: number; le31: number; le32: number }> {
  const text = await metricsText(http);
  const value = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN);
  return {
    count: value(/^dirgate_ldap_queued_operations_count (\d+)$/m),
    le31: value(/^dirgate_ldap_queued_operations_bucket\{le="31"\} (\d+)$/m),
    le32: value(/^dirgate_ldap_queued_operations_bucket\{le="32"\} (\d+)$/m),
  };
}

/**
 * Reads from `s` until it closes. How long answering a queue of operations takes depends on the
 * machine's load (a full test run on two cores made a fixed 20 s deadline fail), so this waits
 * as long as the server keeps sending, and reports 'stalled' once nothing has arrived for
 * `stallMs` (well beyond the idle timeout) without the connection ending.
 */
async function endsWithoutStalling(s: Socket, stallMs: number): Promise<'closed' | 'stalled'> {
  let last = Date.now();
  s.on('data', () => { last = Date.now(); });
  const closed = once(s, 'close').then(() => 'closed' as const);
  s.resume();
  for (;;) {
    const r = await Promise.race([closed, new Promise<null>((res) => setTimeout(() => res(null), 250))]);
    if (r) return r;
    if (Date.now() - last > stallMs) {
      s.destroy();
      return 'stalled';
    }
  }
}

if (PG_URL) {
  describe('LDAP with the PostgreSQL database going away and coming back', function () {
    this.timeout(60000);
    let database: TestDatabase;
    let running: Running;
    let proxy: Server;
    let up = true;
    const links = new Set<Socket>();

    before(async () => {
      database = await freshDatabase('pg');
      const target = new URL(PG_URL);
      proxy = createServer((client) => {
        if (!up) { client.destroy(); return; }
        const upstream = connect(Number(target.port || 5432), target.hostname);
        for (const s of [client, upstream]) { links.add(s); s.on('close', () => links.delete(s)); s.on('error', () => undefined); }
        client.pipe(upstream).pipe(client);
      });
      proxy.listen(0, '127.0.0.1');
      await once(proxy, 'listening');
      const port = (proxy.address() as { port: number }).port;
      const url = database.url.replace(`${target.hostname}:${target.port || 5432}`, `127.0.0.1:${port}`);
      const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
        'database.url': url, host: '127.0.0.1', 'http.port': 0, 'ldap.port': 0, 'ldap.ldaps_port': 0,
        'bootstrap.password': ADMIN_PASSWORD, 'bootstrap.token': ADMIN_TOKEN, 'auth.scrypt_n': 1024, 'log.level': 'silent',
      });
      running = await startServer(config, pino({ level: 'silent' }));
    });
    after(async () => {
      up = true;
      await running?.stop();
      proxy?.close();
      await database?.drop();
    });

    it('answers unavailable (52) during the outage and recovers by itself', async () => {
      const url = `ldap://127.0.0.1:${running.ldapPort}`;
      const c = new Client({ url });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      expect((await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' })).searchEntries).to.have.length(1);
      up = false;
      for (const s of links) s.destroy();
      await new Promise((r) => setTimeout(r, 200));
      const e = await errorOf(c.search(BASE, { scope: 'sub', filter: '(uid=admin)' }));
      expect(e).to.be.instanceOf(UnavailableError);
      const b = new Client({ url });
      expect(await errorOf(b.bind(userDn('admin'), ADMIN_PASSWORD))).to.be.instanceOf(UnavailableError);
      up = true;
      let ok = false;
      for (let i = 0; i < 50 && !ok; i++) {
        try {
          ok = (await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' })).searchEntries.length === 1;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      expect(ok).to.equal(true);
      await b.bind(userDn('admin'), ADMIN_PASSWORD);
      await b.unbind();
      await c.unbind();
    });
  });
}
