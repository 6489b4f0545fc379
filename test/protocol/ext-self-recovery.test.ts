import { expect } from 'chai';
import { chromium, type Browser } from 'playwright-core';
import { SYSTEM_ACTOR, type User } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import {
  api, bootWithMail, CHROMIUM, CHROMIUM_ARGS, eventsOf, ldapBind, login, makeUser, requireChromium, smtpSink, waitFor, type SmtpSink,
} from './ext-support.js';

/** A self-service request as a browser without JavaScript sends it, from `address` (X-Forwarded-For). */
async function ask(server: BootedServer, identifier: string, address: string): Promise<{ status: number; html: string; ms: number }> {
  const started = process.hrtime.bigint();
  const r = await fetch(`${server.http}/recovery`, {
    method: 'POST',
    headers: { 'x-forwarded-for': address },
    body: new URLSearchParams({ identifier }),
  });
  const html = await r.text();
  return { status: r.status, html, ms: Number(process.hrtime.bigint() - started) / 1e6 };
}

/** The outcome event (`recovery_email_sent` or `recovery_suppressed`) recorded after event number `after`. */
async function outcomeFor(server: BootedServer, targetId: string | null, after: number): Promise<Record<string, unknown>> {
  return waitFor(`the outcome for ${targetId ?? 'an unknown account'}`, async () => {
    const rows = await server.database.db.knex('events').whereIn('action', ['recovery_email_sent', 'recovery_suppressed'])
      .where('seq', '>', after).orderBy('seq', 'asc');
    const hit = rows.find((r: Record<string, unknown>) => (r.target_id ?? null) === targetId);
    return hit ? { ...hit, context: typeof hit.context === 'string' ? JSON.parse(hit.context) : hit.context } : undefined;
  });
}

async function lastEventSeq(server: BootedServer): Promise<number> {
  const row = await server.database.db.knex('events').max<{ m: number | null }[]>({ m: 'seq' }).first();
  return Number(row?.m ?? 0);
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const tokenOf = (link: string) => decodeURIComponent(new URL(link).pathname.split('/').pop()!);

for (const dialect of dialects()) {
  describe(`self-service password recovery on ${dialect}`, function () {
    let server: BootedServer;
    let smtp: SmtpSink;
    let publicUrl: string;

    const setSettings = async (patch: Record<string, unknown>) => {
      const r = await api(server, 'PATCH', '/settings', server.token, patch);
      expect(r.status, r.text).to.equal(200);
      return r.json as Record<string, unknown>;
    };

    before(async () => {
      smtp = await smtpSink();
      // Each test asks from its own client address (X-Forwarded-For), so one test's per-address limit leaves the others alone.
      ({ server, publicUrl } = await bootWithMail(dialect, smtp, { 'http.trust_proxy': true }));
    });
    after(async () => {
      await server?.running.services.selfRecovery.drain();
      await server?.stop();
      await smtp?.close();
    });

    it('is off by default: /recovery answers with a 404 page and a POST records nothing', async () => {
      const page = await fetch(`${server.http}/recovery`);
      expect(page.status).to.equal(404);
      expect(page.headers.get('content-type')).to.match(/text\/html/);
      expect(await page.text()).to.match(/not offered here/);
      const posted = await ask(server, 'admin', '198.51.100.1');
      expect(posted.status).to.equal(404);
      expect(await eventsOf(server, 'recovery_requested')).to.have.length(0);
      const settings = (await api(server, 'GET', '/settings', server.token)).json;
      expect(settings).to.include({
        'recovery.self_service': false, 'recovery.limit_window': 3600, 'recovery.limit_per_address': 10, 'recovery.limit_per_account': 3,
      });
    });

    it('turning it on is a setting change like any other; bad limits are refused, each named', async () => {
      const bad = await api(server, 'PATCH', '/settings', server.token, { 'recovery.limit_window': 0, 'recovery.limit_per_account': 'many' });
      expect(bad.status).to.equal(400);
      expect(bad.headers.get('content-type')).to.match(/application\/problem\+json/);
      expect(Object.keys(bad.json.errors)).to.have.members(['recovery.limit_window', 'recovery.limit_per_account']);
      const on = await setSettings({ 'recovery.self_service': true, 'recovery.limit_per_address': 1000, 'recovery.limit_per_account': 1000 });
      expect(on['recovery.self_service']).to.equal(true);
      const changed = (await eventsOf(server, 'settings_changed')).at(-1)!;
      expect((changed.context as Record<string, unknown>).changed).to.deep.include({ 'recovery.self_service': true });
    });

    it('the page: one labelled field, no script, not cached, our own look', async () => {
      const r = await fetch(`${server.http}/recovery`);
      expect(r.status).to.equal(200);
      expect(r.headers.get('cache-control')).to.equal('no-store');
      expect(r.headers.get('content-security-policy')).to.match(/default-src 'none'/);
      const html = await r.text();
      expect(html).to.match(/<label for="identifier">Username or email<\/label>/);
      expect(html).to.match(/<input id="identifier" name="identifier" type="text"/);
      expect(html).to.match(/<form method="post"/);
      expect(html).to.not.match(/<script/i);
      // The same stylesheet as the set-password page.
      const tokenPage = await (await fetch(`${server.http}/recovery/dgr_unknown`)).text();
      const style = (s: string) => /<style>([\s\S]*)<\/style>/.exec(s)?.[1];
      expect(style(html)).to.be.a('string').and.equal(style(tokenPage));
      // An expired or unknown link now points at the self-service page.
      expect(tokenPage).to.include(`href="${publicUrl}/recovery"`);
    });

    it('an empty answer brings the form back with an error, and records nothing', async () => {
      const before = (await eventsOf(server, 'recovery_requested')).length;
      const r = await ask(server, '   ', '198.51.100.2');
      expect(r.status).to.equal(400);
      expect(r.html).to.match(/role="alert">Enter your username or email address/);
      expect((await eventsOf(server, 'recovery_requested')).length).to.equal(before);
    });

    it('the whole journey in headless Chromium: ask by email in another case, get the mail, set a password, bind over LDAP', async function () {
      requireChromium(this);
      this.timeout(60_000);
      const alice = await makeUser(server, 'alice', { password: 'alice-old-password', email: 'alice@example.test' });
      const aliceSession = await login(server, 'alice', 'alice-old-password');
      const mark = await lastEventSeq(server);

      let browser: Browser | undefined;
      try {
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        const context = await browser.newContext({ javaScriptEnabled: false, extraHTTPHeaders: { 'x-forwarded-for': '203.0.113.10' } });
        const page = await context.newPage();
        const opened = await page.goto(`${server.http}/recovery`);
        expect(opened?.status()).to.equal(200);
        expect(await page.title()).to.match(/forgot your password/i);
        await page.getByLabel('Username or email').fill('ALICE@Example.TEST');
        const [answered] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Send recovery email' }).click()]);
        expect(answered?.status()).to.equal(200);
        expect(await page.getByRole('heading').textContent()).to.equal('Check your email');
        expect(await page.getByRole('status').textContent()).to.match(/If an account matches/);

        const mail = await waitFor('the recovery email', async () => smtp.to('alice@example.test')[0]);
        expect(mail.from?.text).to.include('noreply@dirgate.test');
        expect(mail.subject).to.match(/new password/i);
        expect(mail.text).to.include('203.0.113.10');
        expect(mail.text).to.include('"alice"');
        const link = /(http:\/\/\S+\/recovery\/\S+)/.exec(mail.text ?? '')?.[1];
        expect(link, mail.text).to.be.a('string');
        expect(link!.startsWith(`${publicUrl}/recovery/dgr_`)).to.equal(true);
        expect(mail.html || '').to.include(`href="${link}"`);

        const form = await page.goto(link!);
        expect(form?.status()).to.equal(200);
        await page.getByLabel('New password', { exact: true }).fill('alice-new-password');
        await page.getByLabel('Repeat the new password').fill('alice-new-password');
        const [done] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name: 'Set password' }).click()]);
        expect(done?.status()).to.equal(200);
        expect(await page.getByRole('heading').textContent()).to.match(/password has been changed/);
        const again = await page.goto(link!);
        expect(again?.status()).to.equal(410);
      } finally {
        await browser?.close();
      }

      expect(await ldapBind(server, 'alice', 'alice-new-password')).to.equal(true);
      expect(await ldapBind(server, 'alice', 'alice-old-password')).to.equal(false);
      expect((await api(server, 'GET', '/me', aliceSession)).status).to.equal(401);

      const requested = (await eventsOf(server, 'recovery_requested')).filter((e) => Number(e.seq) > mark);
      expect(requested).to.have.length(1);
      expect(requested[0]!.client_ip).to.equal('203.0.113.10');
      expect(requested[0]!.actor_id).to.equal(null);
      expect((requested[0]!.context as Record<string, unknown>).identifier).to.equal('ALICE@Example.TEST');
      const sent = await outcomeFor(server, alice.id, mark);
      expect(sent.action).to.equal('recovery_email_sent');
      expect(sent.client_ip).to.equal('203.0.113.10');
      expect(sent.context).to.include({ origin: 'self_service', to: 'alice@example.test' });
      const used = (await eventsOf(server, 'recovery_link_used')).at(-1)!;
      expect(used.target_id).to.equal(alice.id);
      // The token itself is nowhere in the audit trail.
      const rows = await server.database.db.knex('events').where('seq', '>', mark);
      const mailed = /(http:\/\/\S+\/recovery\/\S+)/.exec(smtp.to('alice@example.test')[0]!.text ?? '')![1]!;
      expect(JSON.stringify(rows)).to.not.include(tokenOf(mailed));
    });

    describe('no account enumeration', () => {
      let reference: string;
      let bob: User;

      before(async () => {
        bob = await makeUser(server, 'bob', { password: 'bob-password', email: 'bob@example.test' });
        const mark = await lastEventSeq(server);
        const r = await ask(server, 'bob', '198.51.100.20');
        expect(r.status).to.equal(200);
        reference = r.html;
        expect((await outcomeFor(server, bob.id, mark)).action).to.equal('recovery_email_sent');
        await waitFor('the mail to bob', async () => smtp.to('bob@example.test')[0]);
      });

      /** Asks for `identifier`; the page must equal the one an existing account got, and the outcome must be a suppression. */
      async function expectSuppressed(identifier: string, address: string, target: User | null, reason: string): Promise<void> {
        const mark = await lastEventSeq(server);
        const mailsBefore = smtp.mails.length;
        const r = await ask(server, identifier, address);
        expect(r.status).to.equal(200);
        expect(r.html).to.equal(reference);
        const outcome = await outcomeFor(server, target?.id ?? null, mark);
        expect(outcome.action).to.equal('recovery_suppressed');
        expect((outcome.context as Record<string, unknown>).reason).to.equal(reason);
        await server.running.services.selfRecovery.drain();
        expect(smtp.mails.length).to.equal(mailsBefore);
      }

      it('an unknown account gets the same page and no mail', async () => {
        await expectSuppressed('nobody-by-that-name', '198.51.100.21', null, 'no_match');
        await expectSuppressed('nobody@example.test', '198.51.100.21', null, 'no_match');
      });

      it('a deactivated account gets the same page and no mail', async () => {
        const carl = await makeUser(server, 'carl', { password: 'carl-password', email: 'carl@example.test' });
        await server.running.services.users.update(carl.id, { isActive: false }, SYSTEM_ACTOR);
        await expectSuppressed('carl@example.test', '198.51.100.22', carl, 'deactivated');
        expect(smtp.to('carl@example.test')).to.have.length(0);
      });

      it('an account without an email address, and a service account, get the same page and no mail', async () => {
        const dora = await makeUser(server, 'dora', { password: 'dora-password' });
        await expectSuppressed('DORA', '198.51.100.23', dora, 'no_email');
        const robot = await server.running.services.users.create(
          { username: 'robot', email: 'robot@example.test', type: 'service_account' }, SYSTEM_ACTOR);
        await expectSuppressed('robot', '198.51.100.23', robot, 'service_account');
      });

      it('over the per-account limit: the same page, no mail, and an event saying why', async () => {
        await setSettings({ 'recovery.limit_per_account': 1 });
        try {
          const erin = await makeUser(server, 'erin', { password: 'erin-password', email: 'erin@example.test' });
          const mark = await lastEventSeq(server);
          expect((await ask(server, 'erin', '198.51.100.24')).html).to.equal(reference);
          expect((await outcomeFor(server, erin.id, mark)).action).to.equal('recovery_email_sent');
          // From another address too: the limit is the account's.
          await expectSuppressed('erin@example.test', '198.51.100.25', erin, 'account_limit');
          expect(smtp.to('erin@example.test')).to.have.length(1);
        } finally {
          await setSettings({ 'recovery.limit_per_account': 1000 });
        }
      });

      it('over the per-address limit: the same page, no mail, and an event saying why', async () => {
        await setSettings({ 'recovery.limit_per_address': 2 });
        try {
          const fred = await makeUser(server, 'fred', { password: 'fred-password', email: 'fred@example.test' });
          await expectSuppressed('someone-else', '198.51.100.26', null, 'no_match');
          await expectSuppressed('someone-else-again', '198.51.100.26', null, 'no_match');
          const mark = await lastEventSeq(server);
          const r = await ask(server, 'fred', '198.51.100.26');
          expect(r.html).to.equal(reference);
          const suppressed = (await eventsOf(server, 'recovery_suppressed')).filter((e) => Number(e.seq) > mark);
          expect(suppressed).to.have.length(1);
          expect(suppressed[0]!.client_ip).to.equal('198.51.100.26');
          expect(suppressed[0]!.context).to.include({ reason: 'address_limit' });
          await server.running.services.selfRecovery.drain();
          expect(smtp.to('fred@example.test')).to.have.length(0);
          // Another address is not affected.
          const other = await lastEventSeq(server);
          await ask(server, 'fred', '198.51.100.27');
          expect((await outcomeFor(server, fred.id, other)).action).to.equal('recovery_email_sent');
        } finally {
          await setSettings({ 'recovery.limit_per_address': 1000 });
        }
      });

      it('a refusing mail server: the same page; the failure is recorded and the link closed', async () => {
        const gina = await makeUser(server, 'gina', { password: 'gina-password', email: 'gina@reject.test' });
        const mark = await lastEventSeq(server);
        expect((await ask(server, 'gina', '198.51.100.28')).html).to.equal(reference);
        const failed = await waitFor('recovery_email_failed', async () =>
          (await eventsOf(server, 'recovery_email_failed')).find((e) => Number(e.seq) > mark && e.target_id === gina.id));
        expect(String((failed.context as Record<string, unknown>).error)).to.match(/550/);
        expect(failed.context).to.include({ origin: 'self_service' });
        const open = await server.database.db.knex('recovery_tokens').where({ user_id: gina.id }).whereNull('invalidated_at').whereNull('used_at');
        expect(open).to.have.length(0);
      });

      it('an email address shared by two accounts: each gets a link of its own', async () => {
        const h1 = await makeUser(server, 'hana', { password: 'hana-password', email: 'family@example.test' });
        const h2 = await makeUser(server, 'hugo', { password: 'hugo-password', email: 'Family@Example.test' });
        const mark = await lastEventSeq(server);
        expect((await ask(server, 'family@example.test', '198.51.100.29')).html).to.equal(reference);
        expect((await outcomeFor(server, h1.id, mark)).action).to.equal('recovery_email_sent');
        expect((await outcomeFor(server, h2.id, mark)).action).to.equal('recovery_email_sent');
        const mails = await waitFor('two mails', async () => (smtp.to('family@example.test').length === 2 ? smtp.to('family@example.test') : undefined));
        expect(mails.map((m) => /account "([^"]+)"/.exec(m.text ?? '')?.[1]).sort()).to.deep.equal(['hana', 'hugo']);
      });

      it('an existing and a missing account take the same time to answer (medians within a loose band)', async function () {
        this.timeout(60_000);
        const existing: number[] = [];
        const missing: number[] = [];
        // Warm both paths, then alternate so drift on this shared machine hits both alike.
        await ask(server, 'bob@example.test', '198.51.100.30');
        await ask(server, 'no-such-user@example.test', '198.51.100.31');
        for (let i = 0; i < 25; i++) {
          existing.push((await ask(server, 'bob@example.test', '198.51.100.30')).ms);
          missing.push((await ask(server, `no-such-user-${i}@example.test`, '198.51.100.31')).ms);
        }
        await server.running.services.selfRecovery.drain();
        const a = median(existing);
        const b = median(missing);
        expect(Math.abs(a - b), `medians: existing ${a.toFixed(2)} ms, missing ${b.toFixed(2)} ms`)
          .to.be.at.most(Math.max(10, 0.5 * Math.max(a, b)));
        // The existing account really did go the long way (emails sent), so the band compares unlike work.
        expect(smtp.to('bob@example.test').length).to.be.greaterThan(20);
      });
    });
  });

  describe(`self-service password recovery without SMTP on ${dialect}`, () => {
    let server: BootedServer;
    before(async () => { server = await bootServer(dialect); });
    after(async () => { await server.stop(); });

    it('turning it on is refused with a clear message, and the page stays off', async () => {
      const r = await api(server, 'PATCH', '/settings', server.token, { 'recovery.self_service': true });
      expect(r.status).to.equal(400);
      expect(r.headers.get('content-type')).to.match(/application\/problem\+json/);
      expect(r.json.errors['recovery.self_service']).to.match(/SMTP/).and.match(/DIRGATE_SMTP_URL/);
      expect(r.json.detail).to.match(/^recovery\.self_service needs email: configure an SMTP server/);
      expect((await api(server, 'GET', '/settings', server.token)).json['recovery.self_service']).to.equal(false);
      expect((await fetch(`${server.http}/recovery`)).status).to.equal(404);
      // Turning it off (or leaving it off) is always allowed.
      expect((await api(server, 'PATCH', '/settings', server.token, { 'recovery.self_service': false })).status).to.equal(200);
    });
  });
}
