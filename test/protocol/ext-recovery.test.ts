import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { hashToken } from '../../src/services/credentials.js';
import type { User } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import {
  api, bootWithMail, CHROMIUM, CHROMIUM_ARGS, eventsOf, ldapBind, login, makeUser, requireChromium, smtpSink, waitFor, type SmtpSink,
} from './ext-support.js';

const tokenOf = (link: string) => decodeURIComponent(new URL(link).pathname.split('/').pop()!);

for (const dialect of dialects()) {
  describe(`recovery and password reset on ${dialect}`, function () {
    let server: BootedServer;
    let smtp: SmtpSink;
    let publicUrl: string;

    before(async () => {
      smtp = await smtpSink();
      ({ server, publicUrl } = await bootWithMail(dialect, smtp));
    });
    after(async () => {
      await server?.stop();
      await smtp?.close();
    });

    describe('set_password', () => {
      let carol: User;
      before(async () => { carol = await makeUser(server, 'carol', { password: 'carol-old-password' }); });

      it('sets the password (policy applies), revokes the other sessions, and the next LDAP bind uses it', async () => {
        const session = await login(server, 'carol', 'carol-old-password');
        expect(await ldapBind(server, 'carol', 'carol-old-password')).to.equal(true);
        const weak = await api(server, 'POST', `/users/${carol.id}/set_password`, server.token, { password: 'short' });
        expect(weak.status).to.equal(400);
        expect(weak.json.errors.password).to.match(/at least 8/);
        const r = await api(server, 'POST', `/users/${carol.id}/set_password`, server.token, { password: 'carol-new-password' });
        expect(r.status, r.text).to.equal(204);
        expect((await api(server, 'GET', '/me', session)).status).to.equal(401);
        expect(await ldapBind(server, 'carol', 'carol-new-password')).to.equal(true);
        expect(await ldapBind(server, 'carol', 'carol-old-password')).to.equal(false);
        const event = (await eventsOf(server, 'password_set')).at(-1)!;
        expect(event.target_id).to.equal(carol.id);
        expect(JSON.stringify(event)).to.not.include('carol-new-password');
      });

      it('is 403 without user.set_password, 404 for an unknown user, 400 without a password', async () => {
        await makeUser(server, 'nobody', { password: 'nobody-password' });
        const t = await login(server, 'nobody', 'nobody-password');
        expect((await api(server, 'POST', `/users/${carol.id}/set_password`, t, { password: 'whatever-password' })).status).to.equal(403);
        expect((await api(server, 'POST', '/users/00000000-0000-4000-8000-000000000000/set_password', server.token, { password: 'whatever-password' })).status).to.equal(404);
        expect((await api(server, 'POST', `/users/${carol.id}/set_password`, server.token, {})).status).to.equal(400);
      });
    });

    describe('recovery links', () => {
      let dave: User;
      before(async () => { dave = await makeUser(server, 'dave', { password: 'dave-old-password' }); });

      it('returns {link, expires}; the token is random and stored only as its hash; default expiry 30 minutes', async () => {
        const r = await api(server, 'POST', `/users/${dave.id}/recovery`, server.token);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.link.startsWith(`${publicUrl}/recovery/`)).to.equal(true);
        const minutes = (Date.parse(r.json.expires) - Date.now()) / 60_000;
        expect(minutes).to.be.within(29, 30.1);
        const token = tokenOf(r.json.link);
        expect(token.length).to.be.greaterThan(40);
        const rows = await server.database.db.knex('recovery_tokens').where({ user_id: dave.id });
        expect(JSON.stringify(rows)).to.not.include(token);
        expect(rows.map((x: { token_hash: string }) => x.token_hash)).to.include(hashToken(token));
        const created = (await eventsOf(server, 'recovery_link_created')).at(-1)!;
        expect(created.target_id).to.equal(dave.id);
        expect(JSON.stringify(created)).to.not.include(token);
      });

      it('a new link invalidates the older ones (410)', async () => {
        const first = (await api(server, 'POST', `/users/${dave.id}/recovery`, server.token)).json.link as string;
        expect((await fetch(first)).status).to.equal(200);
        const second = (await api(server, 'POST', `/users/${dave.id}/recovery`, server.token)).json.link as string;
        const old = await fetch(first);
        expect(old.status).to.equal(410);
        expect(await old.text()).to.match(/can no longer be used/);
        expect((await fetch(second)).status).to.equal(200);
      });

      it('an expired link shows a 410 page and records recovery_link_expired once', async () => {
        const link = (await api(server, 'POST', `/users/${dave.id}/recovery`, server.token)).json.link as string;
        await server.database.db.knex('recovery_tokens').where({ token_hash: hashToken(tokenOf(link)) })
          .update({ expires_at: new Date(Date.now() - 1000).toISOString() });
        const before = (await eventsOf(server, 'recovery_link_expired')).length;
        const page = await fetch(link);
        expect(page.status).to.equal(410);
        const html = await page.text();
        expect(html).to.match(/expired/);
        expect(html).to.not.match(/at .*\.js:\d+/);
        const post = await fetch(link, { method: 'POST', body: new URLSearchParams({ password: 'dave-new-password', password_confirm: 'dave-new-password' }) });
        expect(post.status).to.equal(410);
        expect((await eventsOf(server, 'recovery_link_expired')).length).to.equal(before + 1);
        expect(await ldapBind(server, 'dave', 'dave-old-password')).to.equal(true);
      });

      it('unknown and malformed tokens get our own pages, never a stack trace', async () => {
        const unknown = await fetch(`${server.http}/recovery/dgr_${'x'.repeat(43)}`);
        expect(unknown.status).to.equal(404);
        expect(unknown.headers.get('content-type')).to.match(/text\/html/);
        const malformed = await fetch(`${server.http}/recovery/%E0%A4%A`);
        expect(malformed.status).to.equal(400);
        expect(await malformed.text()).to.not.match(/Error|at .*\.js/);
        const huge = await fetch(`${server.http}/recovery/dgr_x`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'password=' + 'a'.repeat(100_000) });
        expect(huge.status).to.equal(413);
      });

      it('is 403 without user.recovery', async () => {
        await makeUser(server, 'norecovery', { password: 'norecovery-password' });
        const t = await login(server, 'norecovery', 'norecovery-password');
        expect((await api(server, 'POST', `/users/${dave.id}/recovery`, t)).status).to.equal(403);
        expect((await api(server, 'POST', `/users/${dave.id}/recovery_email`, t)).status).to.equal(403);
      });
    });

    describe('recovery email', () => {
      it('400 when the user has no email address', async () => {
        const u = await makeUser(server, 'noemail');
        const r = await api(server, 'POST', `/users/${u.id}/recovery_email`, server.token);
        expect(r.status).to.equal(400);
        expect(r.json.detail).to.match(/no email address/);
      });

      it("502 with the SMTP server's answer when sending fails, and an event", async () => {
        const u = await makeUser(server, 'bounce', { email: 'bounce@reject.test' });
        const r = await api(server, 'POST', `/users/${u.id}/recovery_email`, server.token);
        expect(r.status, r.text).to.equal(502);
        expect(r.json.detail).to.match(/550/).and.match(/mailbox unavailable/);
        const failed = (await eventsOf(server, 'recovery_email_failed')).at(-1)!;
        expect(failed.target_id).to.equal(u.id);
        expect(String((failed.context as Record<string, unknown>).error)).to.match(/550/);
        // The link whose email failed does not stay open.
        const open = await server.database.db.knex('recovery_tokens').where({ user_id: u.id }).whereNull('invalidated_at').whereNull('used_at');
        expect(open).to.have.length(0);
      });

      it('the whole journey in headless Chromium: email, link, form, success, LDAP bind, link refused after', async function () {
        requireChromium(this);
        this.timeout(60_000);
        const alice = await makeUser(server, 'alice', { password: 'alice-old-password', email: 'alice@example.test' });
        const aliceSession = await login(server, 'alice', 'alice-old-password');
        const sent = await api(server, 'POST', `/users/${alice.id}/recovery_email`, server.token);
        expect(sent.status, sent.text).to.equal(200);
        expect(sent.json.to).to.equal('alice@example.test');
        const mail = await waitFor('the recovery email', async () => smtp.mails.find((m) => m.text?.includes('alice')));
        expect(mail.from?.text).to.include('noreply@dirgate.test');
        expect(JSON.stringify(mail.to)).to.include('alice@example.test');
        expect(mail.subject).to.match(/new password/i);
        const link = /(http:\/\/\S+\/recovery\/\S+)/.exec(mail.text ?? '')?.[1];
        expect(link, mail.text).to.be.a('string');
        expect(mail.html || '').to.include(`href="${link}"`);
        expect((await eventsOf(server, 'recovery_email_sent')).at(-1)!.target_id).to.equal(alice.id);

        let browser: Browser | undefined;
        try {
          browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
          // No JavaScript at all: the page must work as a plain HTML form.
          const context = await browser.newContext({ javaScriptEnabled: false });
          const page = await context.newPage();
          const opened = await page.goto(link!);
          expect(opened?.status()).to.equal(200);
          expect(await page.title()).to.match(/new password/i);
          await page.getByRole('heading', { name: 'Set a new password' }).waitFor();

          // Two different entries: the form comes back with a clear error.
          await page.getByLabel('New password', { exact: true }).fill('alice-new-password');
          await page.getByLabel('Repeat the new password').fill('alice-new-passw0rd');
          const [mismatch] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set password' }).click()]);
          expect(mismatch?.status()).to.equal(400);
          expect(await page.getByRole('alert').textContent()).to.match(/not the same/);

          // Too short for the policy.
          await page.getByLabel('New password', { exact: true }).fill('short');
          await page.getByLabel('Repeat the new password').fill('short');
          const [weak] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set password' }).click()]);
          expect(weak?.status()).to.equal(400);
          expect(await page.getByRole('alert').textContent()).to.match(/at least 8 characters/);

          await page.getByLabel('New password', { exact: true }).fill('alice-new-password');
          await page.getByLabel('Repeat the new password').fill('alice-new-password');
          const [done] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set password' }).click()]);
          expect(done?.status()).to.equal(200);
          expect(await page.getByRole('heading').textContent()).to.match(/password has been changed/);

          expect(await ldapBind(server, 'alice', 'alice-new-password')).to.equal(true);
          expect(await ldapBind(server, 'alice', 'alice-old-password')).to.equal(false);
          expect((await api(server, 'GET', '/me', aliceSession)).status).to.equal(401);

          const again = await page.goto(link!);
          expect(again?.status()).to.equal(410);
          expect(await page.getByRole('heading').textContent()).to.match(/can no longer be used/);
        } finally {
          await browser?.close();
        }
        const used = (await eventsOf(server, 'recovery_link_used')).at(-1)!;
        expect(used.target_id).to.equal(alice.id);
        expect(used.actor_id).to.equal(alice.id);
      });
    });
  });

  describe(`recovery email without SMTP on ${dialect}`, () => {
    let server: BootedServer;
    before(async () => { server = await bootServer(dialect); });
    after(async () => { await server.stop(); });

    it('400 with a clear reason when email is not configured', async () => {
      const u = await makeUser(server, 'erin', { email: 'erin@example.test' });
      const r = await api(server, 'POST', `/users/${u.id}/recovery_email`, server.token);
      expect(r.status).to.equal(400);
      expect(r.json.detail).to.match(/email is not configured/);
    });
  });
}
