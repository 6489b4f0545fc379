/**
 * The LDAP connection cap (ldap.max_connections, ldap.max_connections_per_address): a client
 * over it gets a Notice of Disconnection (busy) naming the limit, the refusal is logged, and a
 * closed connection makes room again.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import pino from 'pino';
import type { Client } from 'ldapts';
import { loadConfig } from '../../src/config.js';
import { startServer, type Running } from '../../src/main.js';
import { freshDatabase, type TestDatabase } from '../support/databases.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN } from '../support/server.js';
import { attemptConnection, NOTICE_OID, openFrom } from './ldap-support.js';

describe('LDAP connection cap', function () {
  this.timeout(60000);
  let database: TestDatabase;
  let running: Running;
  const logged: string[] = [];
  let url: string;

  before(async () => {
    database = await freshDatabase('sqlite');
    const config = loadConfig({ ...process.env, DIRGATE_CONFIG: '' }, {
      'database.url': database.url, host: '127.0.0.1', 'http.port': 0, 'ldap.port': 0, 'ldap.ldaps_port': 0,
      'bootstrap.password': ADMIN_PASSWORD, 'bootstrap.token': ADMIN_TOKEN, 'auth.scrypt_n': 1024,
      'ldap.max_connections': 4, 'ldap.max_connections_per_address': 3,
    });
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { logged.push(chunk.toString()); done(); } });
    running = await startServer(config, pino({ level: 'warn' }, sink));
    url = `ldap://127.0.0.1:${running.ldapPort}`;
  });
  after(async () => {
    await running?.stop();
    await database?.drop();
  });

  it('refuses connections over the per-address and total caps with a Notice of Disconnection, and makes room again', async () => {
    const open = (from: string) => openFrom(url, from);
    const attempt = (port: number, from: string) => attemptConnection(port, from);
    const mine = [await open('127.0.0.1'), await open('127.0.0.1'), await open('127.0.0.1')];
    const perAddress = await attempt(running.ldapPort, '127.0.0.1');
    expect(perAddress.closed).to.equal(true);
    expect(perAddress.data.includes(Buffer.from(NOTICE_OID))).to.equal(true);
    expect(perAddress.data.includes(Buffer.from([0x0a, 0x01, 51])), 'result code busy (51)').to.equal(true);
    expect(perAddress.data.toString()).to.include('ldap.max_connections_per_address');

    const other = await open('127.0.0.2'); // another address still gets in: 4 in all
    const total = await attempt(running.ldapPort, '127.0.0.3');
    expect(total.closed).to.equal(true);
    expect(total.data.toString()).to.include('(ldap.max_connections)');
    expect(logged.filter((l) => l.includes('ldap: connection refused'))).to.have.length(2);

    await mine[0]!.unbind(); // its slot comes back once the server sees it closed
    let again: Client | null = null;
    for (let i = 0; i < 50 && !again; i++) {
      try {
        again = await open('127.0.0.1');
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(again, 'a connection after one closed').to.not.equal(null);
    for (const c of [...mine.slice(1), other, again!]) await c.unbind();
  });
});
