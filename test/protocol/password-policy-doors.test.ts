import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { loadConfig } from '../../src/config.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { createServices } from '../../src/services/index.js';
import { dialects, freshDatabase, type TestDatabase } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { api, CHROMIUM, CHROMIUM_ARGS, requireChromium } from './ext-support.js';

const CLI = resolve('dist/src/cli.js');

function cli(db: TestDatabase, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DIRGATE_DATABASE_URL: db.url, DIRGATE_LOG_LEVEL: 'warn', DIRGATE_SCRYPT_N: '1024' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stderr }));
  });
}

for (const dialect of dialects()) {
  describe(`the password policy on the recovery page and the command line (${dialect})`, function () {
    this.timeout(90_000);

    describe('recovery page', () => {
      let server: BootedServer;
      before(async () => { server = await bootServer(dialect); });
      after(async () => { await server?.stop(); });

      it('names the broken rule in Chromium (history, strength with its feedback), then accepts a good password', async function () {
        requireChromium(this);
        const s = server.running.services;
        await s.settings.update({ 'password.history': 2, 'password.min_score': 3 }, SYSTEM_ACTOR);
        const u = await s.users.create({ username: 'rita', password: 'Rita-first-pass-93!' }, SYSTEM_ACTOR);
        const made = await api(server, 'POST', `/users/${u.id}/recovery`, server.token);
        expect(made.status, made.text).to.equal(200);
        const link = `${server.http}${new URL(made.json.link).pathname}`;
        let browser: Browser | undefined;
        try {
          browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
          const page = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
          expect((await page.goto(link))?.status()).to.equal(200);
          const submit = async (pw: string) => {
            await page.getByLabel('New password', { exact: true }).fill(pw);
            await page.getByLabel('Repeat the new password').fill(pw);
            const [r] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set password' }).click()]);
            return r?.status();
          };
          expect(await submit('Rita-first-pass-93!')).to.equal(400);
          expect(await page.getByRole('alert').textContent()).to.match(/password\.history/);
          expect(await submit('password1234')).to.equal(400);
          const weak = await page.getByRole('alert').textContent();
          expect(weak).to.match(/too weak/).and.to.match(/password\.min_score/);
          expect(await submit('violet tractor sings loudly 71')).to.equal(200);
          expect(await page.getByRole('heading').textContent()).to.match(/password has been changed/);
        } finally {
          await browser?.close();
          await s.settings.update({ 'password.history': 0, 'password.min_score': 0 }, SYSTEM_ACTOR);
        }
        const rules = (await server.database.db.knex('events').where({ action: 'password_rejected', target_id: u.id }))
          .map((e: { context: unknown }) => (typeof e.context === 'string' ? JSON.parse(e.context) : e.context).rule);
        expect(rules).to.deep.equal(['history', 'strength']);
      });
    });

    describe('command line', () => {
      let db: TestDatabase;
      let dir: string;
      before(async () => {
        db = await freshDatabase(dialect);
        dir = mkdtempSync(join(tmpdir(), 'dirgate-policy-cli-'));
      });
      after(async () => {
        await db.drop();
        rmSync(dir, { recursive: true, force: true });
      });

      it('import refuses a record whose password breaks the policy, naming the line and the rule', async () => {
        await createServices(db.db, loadConfig({}, { 'auth.scrypt_n': 1024 })).settings.update({ 'password.min_length': 12 }, SYSTEM_ACTOR);
        const file = join(dir, 'users.csv');
        writeFileSync(file, ['username,password', 'una,una-long-password-1', 'ivo,short-1'].join('\n') + '\n');
        const r = await cli(db, ['import', file]);
        expect(r.code, r.stderr).to.equal(1);
        expect(r.stderr).to.match(/users\.csv:3: .*password\.min_length/);
        expect((await db.db.knex('users').pluck('username')).sort()).to.deep.equal(['una']);
      });
    });
  });
}
