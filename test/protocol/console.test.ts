import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { closeSharedBrowser, expectAccessible, waitForLive, newPage, screenshot, signIn } from './console-support.js';

after(async () => { await closeSharedBrowser(); });

for (const dialect of dialects()) {
  describe(`console: sign-in, users list and New User on ${dialect}`, function () {
    this.timeout(60_000);
    let server: BootedServer;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];

    before(async () => {
      server = await bootServer(dialect);
      const { services } = server.running;
      for (let i = 1; i <= 25; i++) {
        const n = String(i).padStart(2, '0');
        await services.users.create({ username: `user${n}`, name: `Person ${n}`, email: `user${n}@example.com`, path: i <= 5 ? 'users/eng' : 'users' }, SYSTEM_ACTOR);
      }
      await services.users.create({ username: 'gone', name: 'Gone Person', isActive: false }, SYSTEM_ACTOR);
      ({ context, page, errors } = await newPage(server.http));
    });
    after(async () => {
      await context?.close();
      await server?.stop();
    });

    it('sends a signed-out browser from /admin to the sign-in page, which is accessible', async () => {
      await page.goto('/admin');
      expect(new URL(page.url()).pathname).to.equal('/admin/login');
      await expect(await page.getByRole('button', { name: 'Sign in' }).count()).to.equal(1);
      await expectAccessible(page, 'sign-in');
      await screenshot(page, `${dialect}-sign-in`);
    });

    it('refuses a wrong password in the live region, then signs in with Username, Password, Sign in', async () => {
      await page.getByLabel('Username').fill('admin');
      await page.getByLabel('Password').fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      expect(await page.getByRole('alert').textContent()).to.match(/invalid username or password/);
      await signIn(page);
      expect(new URL(page.url()).pathname).to.equal('/admin/users');
      const cookie = (await context.cookies()).find((c) => c.name === 'dirgate_console')!;
      expect(cookie.httpOnly).to.equal(true);
      expect(cookie.sameSite).to.equal('Strict');
      expect(cookie.secure).to.equal(false);
      for (const name of ['Users', 'Groups', 'Roles', 'Applications', 'Events', 'Data Exports', 'Settings']) {
        expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).count(), name).to.equal(1);
      }
    });

    it('pages, sorts and searches the users list with the state in the URL', async () => {
      const list = page.getByRole('region', { name: 'Users list' });
      // 25 active + admin = 26; the deactivated one is hidden until asked for.
      expect(await list.getByText(/26 users · page 1 of 2/).count()).to.equal(1);
      await list.getByRole('link', { name: 'Next' }).click();
      await page.waitForURL(/page=2/);
      expect(await list.getByText(/page 2 of 2/).count()).to.equal(1);
      await list.getByRole('link', { name: 'Last' }).count();
      await list.getByRole('link', { name: /Username/ }).click();
      await page.waitForURL(/ordering=-username/);
      expect(await list.locator('tbody tr').first().getByRole('link').textContent()).to.equal('user25');
      await page.reload();
      expect(await page.getByRole('region', { name: 'Users list' }).locator('tbody tr').first().getByRole('link').textContent()).to.equal('user25');
      await page.getByRole('switch', { name: 'Show deactivated users' }).click();
      await page.waitForURL(/inactive=1/);
      expect(await page.getByText(/27 users/).count()).to.equal(1);
      // Plain text searches username, name and email.
      await page.getByRole('combobox', { name: 'Search' }).fill('Person 0');
      await page.getByRole('combobox', { name: 'Search' }).press('Enter');
      await page.waitForURL(/search=Person/);
      expect(await page.getByText(/9 users/).count()).to.equal(1);
      await expectAccessible(page, 'users');
      await screenshot(page, `${dialect}-users`);
    });

    it('shows a query that does not parse with its column next to the box', async () => {
      await page.getByRole('combobox', { name: 'Search' }).fill('username = "x" and nosuchfield = 1');
      await page.getByRole('combobox', { name: 'Search' }).press('Enter');
      const err = page.locator('#users-list-search-error');
      await err.waitFor();
      expect(await err.textContent()).to.match(/^Column \d+: .*nosuchfield/);
      expect(await page.getByRole('combobox', { name: 'Search' }).getAttribute('aria-invalid')).to.equal('true');
    });

    it('creates a user in a folder with YAML attributes (a bad line is named first), seen in the list', async () => {
      await page.goto('/admin/users?path=users/eng');
      expect(await page.getByRole('region', { name: 'User folders' }).getByRole('link', { name: /eng/ }).getAttribute('aria-current')).to.equal('true');
      await page.getByRole('button', { name: 'New User' }).click();
      await page.getByLabel('Username').waitFor();
      expect(await page.getByLabel('Path').inputValue()).to.equal('users/eng');
      expect(await page.getByLabel('Is active').isChecked()).to.equal(true);
      await page.getByLabel('Username').fill('sally');
      await page.getByLabel('Name', { exact: true }).fill('Sally Sales');
      await page.getByLabel('Email').fill('sally@example.com');
      await page.getByLabel('Attributes').fill('department: Sales\nlevel: [1, 2\n');
      await page.getByRole('button', { name: 'Create User' }).click();
      await page.locator('#nu-attributes-error').waitFor();
      expect(await page.locator('#nu-attributes-error').textContent()).to.match(/^line \d+:/);
      await expectAccessible(page, 'new user with an error');
      await page.getByLabel('Attributes').fill('department: Sales\nlevel: 3\n');
      await page.getByRole('button', { name: 'Create User' }).click();
      await waitForLive(page, /User sally created in users\/eng/);
      expect(new URL(page.url()).pathname).to.equal('/admin/users');
      expect(await page.getByRole('region', { name: 'Users list' }).getByRole('link', { name: 'sally' }).count()).to.equal(1);
      const sally = (await server.running.services.users.findByUsername('sally'))!;
      expect(sally.attributes).to.deep.equal({ department: 'Sales', level: 3 });
      expect(sally.path).to.equal('users/eng');
    });

    it('finds the user with attributes.department = "Sales" through the auto-complete', async () => {
      const box = page.getByRole('combobox', { name: 'Search' });
      await box.fill('');
      await box.pressSequentially('attr');
      await page.getByRole('option', { name: 'attributes.' }).waitFor();
      await box.press('ArrowDown');
      await box.press('Enter');
      expect(await box.inputValue()).to.equal('attributes.');
      await box.pressSequentially('department ');
      await page.getByRole('option', { name: '=' , exact: true }).waitFor();
      await box.press('Escape');
      expect(await page.getByRole('listbox').isVisible()).to.equal(false);
      await box.pressSequentially('= "Sales"');
      await box.press('Enter');
      await page.waitForURL(/search=attributes/);
      const rows = page.getByRole('region', { name: 'Users list' }).locator('tbody tr');
      expect(await rows.count()).to.equal(1);
      expect(await rows.first().getByRole('link').textContent()).to.equal('sally');
    });

    it('sends CSP without unsafe-inline and cacheable assets; no script error on any page', async () => {
      const r = await fetch(`${server.http}/admin/login`);
      const csp = r.headers.get('content-security-policy')!;
      expect(csp).to.include("script-src 'self'");
      expect(csp).to.not.include('unsafe-inline');
      const html = await r.text();
      const asset = /src="(\/admin\/assets\/htmx\.min\.js\?v=[0-9a-f]+)"/.exec(html)![1]!;
      const a = await fetch(`${server.http}${asset}`);
      expect(a.status).to.equal(200);
      expect(a.headers.get('cache-control')).to.include('immutable');
      expect(errors).to.deep.equal([]);
    });

    it('refuses a POST without the CSRF token, and one with a forged token', async () => {
      const cookie = (await context.cookies()).find((c) => c.name === 'dirgate_console')!;
      const post = (body: string) => fetch(`${server.http}/admin/users/new`, {
        method: 'POST', redirect: 'manual',
        headers: { cookie: `dirgate_console=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      const none = await post('username=forged1');
      expect(none.status).to.equal(403);
      const forged = await post('username=forged2&_csrf=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
      expect(forged.status).to.equal(403);
      expect(await server.running.services.users.findByUsername('forged1')).to.equal(null);
      expect(await server.running.services.users.findByUsername('forged2')).to.equal(null);
    });

    it('signs out and lands on the sign-in page; the old cookie no longer works', async () => {
      const old = (await context.cookies()).find((c) => c.name === 'dirgate_console')!.value;
      await page.goto('/admin/users');
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL(/\/admin\/login/);
      const r = await fetch(`${server.http}/admin/users`, { redirect: 'manual', headers: { cookie: `dirgate_console=${old}` } });
      expect(r.status).to.equal(303);
      expect(r.headers.get('location')).to.match(/^\/admin\/login/);
    });
  });
}
