import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { Client, ConfidentialityRequiredError } from 'ldapts';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { BASE, haveTool, makeCertificate, run, userDn, valuesOf } from './ldap-support.js';
import { freePort } from '../support/ports.js';


for (const dialect of dialects()) {
  describe(`LDAP StartTLS and LDAPS on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let strict: BootedServer;
    let ldapsPort = 0;
    let cert: { cert: string; key: string };
    const tools = haveTool('ldapsearch') && haveTool('ldapwhoami');

    before(async () => {
      cert = makeCertificate();
      ldapsPort = await freePort();
      server = await bootServer(dialect, { 'tls.cert': cert.cert, 'tls.key': cert.key, 'ldap.ldaps_port': ldapsPort });
      strict = await bootServer(dialect, { 'tls.cert': cert.cert, 'tls.key': cert.key, 'ldap.require_tls': true });
    });
    after(async () => {
      await server?.stop();
      await strict?.stop();
    });

    it('advertises StartTLS in the root DSE once a certificate is set', async () => {
      const c = new Client({ url: server.ldap });
      const r = await c.search('', { scope: 'base', filter: '(objectClass=*)', attributes: ['supportedExtension'] });
      expect(r.searchEntries[0]!.supportedExtension).to.include('1.3.6.1.4.1.1466.20037');
      await c.unbind();
    });

    it('ldapts: StartTLS, then bind and search over TLS', async () => {
      const c = new Client({ url: server.ldap });
      await c.startTLS({ rejectUnauthorized: false });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      const r = await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' });
      expect(r.searchEntries.map((e) => e.dn)).to.deep.equal([userDn('admin')]);
      await c.unbind();
    });

    it('ldapts: LDAPS on its own port', async () => {
      const c = new Client({ url: `ldaps://127.0.0.1:${ldapsPort}`, tlsOptions: { ca: [readFileSync(cert.cert)] } });
      await c.bind(userDn('admin'), ADMIN_PASSWORD);
      const who = await c.exop('1.3.6.1.4.1.4203.1.11.3');
      expect(who.value).to.equal(`dn:${userDn('admin')}`);
      await c.unbind();
    });

    it('require_tls refuses simple binds in the clear (13) and accepts them after StartTLS', async () => {
      const clear = new Client({ url: strict.ldap });
      let err: unknown;
      try { await clear.bind(userDn('admin'), ADMIN_PASSWORD); } catch (e) { err = e; }
      expect(err).to.be.instanceOf(ConfidentialityRequiredError);
      await clear.unbind().catch(() => undefined);
      const tls = new Client({ url: strict.ldap });
      await tls.startTLS({ rejectUnauthorized: false });
      await tls.bind(userDn('admin'), ADMIN_PASSWORD);
      await tls.unbind();
    });

    describe('with the OpenLDAP tools', function () {
      before(function () { if (!tools) this.skip(); });

      it('ldapwhoami -ZZ and ldapsearch -ZZ (StartTLS required) with the test certificate', async () => {
        const env = { LDAPTLS_CACERT: cert.cert, LDAPTLS_REQCERT: 'demand' };
        const who = await run('ldapwhoami', ['-x', '-ZZ', '-H', server.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD], env);
        expect(who.code, who.stderr).to.equal(0);
        expect(who.stdout.trim()).to.equal(`dn:${userDn('admin')}`);
        const s = await run('ldapsearch', ['-x', '-ZZ', '-LLL', '-H', strict.ldap, '-D', userDn('admin'), '-w', ADMIN_PASSWORD, '-b', BASE, '(uid=admin)', 'uid'], { LDAPTLS_REQCERT: 'never' });
        expect(s.code, s.stderr).to.equal(0);
        expect(valuesOf(s.stdout, 'uid')).to.deep.equal(['admin']);
      });

      it('ldapsearch over ldaps://', async () => {
        const s = await run('ldapsearch', ['-x', '-LLL', '-H', `ldaps://127.0.0.1:${ldapsPort}`, '-D', userDn('admin'), '-w', ADMIN_PASSWORD, '-b', BASE, '(uid=admin)', 'uid'], { LDAPTLS_CACERT: cert.cert });
        expect(s.code, s.stderr).to.equal(0);
        expect(valuesOf(s.stdout, 'uid')).to.deep.equal(['admin']);
      });
    });
  });
}
