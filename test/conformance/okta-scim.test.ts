/**
 * Okta's own SCIM 2.0 spec test (a vendored copy of ../shared/conformance/okta-scim, run by its
 * run.js exactly as `node run.js <base URL> <token>`) against a booted server: every assertion
 * must hold.
 */
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { scimClient, USER } from '../protocol/scim-support.js';

const RUN = resolve('test/conformance/okta-scim/run.js');

for (const dialect of dialects()) {
  describe(`Okta SCIM 2.0 spec test (${dialect})`, function () {
    this.timeout(120000);
    let server: BootedServer;

    before(async () => {
      server = await bootServer(dialect);
      const scim = scimClient(server);
      // The test reads Resources[0] of the first page: on a fresh install that is the bootstrap
      // admin, so give it the name parts and email a provisioned user would have.
      const admin = (await scim.get('/Users?filter=userName%20eq%20%22admin%22')).json.Resources[0];
      const patched = await scim.patch(`/Users/${admin.id}`, [{ op: 'add', value: { name: { givenName: 'Ada', familyName: 'Admin' }, emails: [{ value: 'admin@example.com', type: 'work', primary: true }] } }]);
      expect(patched.status, patched.text).to.equal(200);
      const created = await scim.post('/Users', { schemas: [USER], userName: 'grace.hopper@example.com', name: { givenName: 'Grace', familyName: 'Hopper' }, emails: [{ value: 'grace.hopper@example.com', primary: true, type: 'work' }], active: true });
      expect(created.status, created.text).to.equal(201);
    });
    after(async () => { await server?.stop(); });

    it('passes every assertion of Okta-SCIM-20-SPEC-Test.json', async () => {
      let stdout = '';
      let code = 0;
      try {
        ({ stdout } = await promisify(execFile)(process.execPath, [RUN, `${server.http}/scim/v2`, server.token], { timeout: 100000 }));
      } catch (e) {
        const err = e as { stdout?: string; code?: number };
        stdout = err.stdout ?? String(e);
        code = err.code ?? 1;
      }
      const summary = /(\d+) passed, (\d+) failed/.exec(stdout);
      expect(summary, stdout).to.not.equal(null);
      expect(Number(summary![2]), stdout).to.equal(0);
      expect(Number(summary![1]), stdout).to.be.greaterThan(40);
      expect(code, stdout).to.equal(0);
    });
  });
}
