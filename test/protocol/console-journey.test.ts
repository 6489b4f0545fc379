import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { SYSTEM_ACTOR, type User } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import type { BootedServer } from '../support/server.js';
import { expectAccessible, newPage, screenshot, signIn, waitForLive } from './console-support.js';
import { bootWithMail, ldapBind, makeUser, smtpSink, type SmtpSink } from './ext-support.js';

const TABS = ['Overview', 'Sessions', 'Groups', 'User events', 'Explicit consent', 'OAuth Refresh Tokens', 'MFA Authenticators', 'Roles'];

for (const dialect of dialects()) {
  describe(`console: the Manage users journey on ${dialect}`, function () {
    this.timeout(90_000);
    let server: BootedServer;
    let smtp: SmtpSink;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];
    let sally: User;

    before(async () => {
      smtp = await smtpSink();
      ({ server } = await bootWithMail(dialect, smtp));
      const { services } = server.running;
      sally = await services.users.create({ username: 'sally', name: 'Sally Sales', email: 'sally@example.com', path: 'users/sales', password: 'sally-old-password', attributes: { department: 'Sales' } }, SYSTEM_ACTOR);
      const sales = await services.groups.create({ name: 'sales' }, SYSTEM_ACTOR);
      const reader = await services.roles.create({ name: 'crm-reader', permissions: ['user.view'] }, SYSTEM_ACTOR);
      await services.roles.assign({ groupId: sales.id }, reader.id, true, SYSTEM_ACTOR);
      await services.roles.create({ name: 'auditor', permissions: ['event.view'] }, SYSTEM_ACTOR);
      for (const n of ['temp1', 'temp2', 'temp3']) await services.users.create({ username: n, path: 'users/temp' }, SYSTEM_ACTOR);
      ({ context, page, errors } = await newPage(server.http));
      await signIn(page);
    });
    after(async () => {
      await context?.close();
      await server?.stop();
      await smtp?.close();
    });

    it('opens the user and shows every tab in the URL, each accessible', async () => {
      await page.goto(`/admin/users?search=${encodeURIComponent('attributes.department = "Sales"')}`);
      await page.getByRole('region', { name: 'Users list' }).getByRole('link', { name: 'sally' }).click();
      await page.waitForURL(new RegExp(`/admin/users/${sally.id}$`));
      for (const name of TABS) {
        await page.getByRole('tab', { name, exact: true }).click();
        await page.waitForFunction((n) => document.querySelector('[role=tab][aria-selected=true]')?.textContent === n, name);
        expect(new URL(page.url()).searchParams.get('tab') ?? 'overview').to.not.equal('');
        await expectAccessible(page, `user tab ${name}`);
      }
      await page.reload();
      expect(await page.getByRole('tab', { name: 'Roles' }).getAttribute('aria-selected')).to.equal('true');
      for (const name of ['Edit', 'Deactivate', 'Delete', 'Impersonate', 'Create recovery link', 'Email recovery link', 'Reset password']) {
        await page.getByRole('tab', { name: 'Overview' }).click();
        await page.getByRole('button', { name, exact: true }).waitFor();
      }
      await screenshot(page, `${dialect}-user-overview`);
    });

    it('adds the user to a group and a role; All Roles shows the inherited one with its group', async () => {
      await page.getByRole('tab', { name: 'Groups' }).click();
      await page.getByRole('button', { name: 'Add to existing group' }).click();
      await page.getByLabel('Group', { exact: true }).fill('sales');
      await page.getByRole('dialog').getByRole('button', { name: 'Add' }).click();
      await waitForLive(page, /sally added to sales/);
      await screenshot(page, `${dialect}-user-groups`);
      await page.getByRole('region', { name: 'Groups list' }).getByRole('link', { name: 'sales', exact: true }).first().waitFor();
      expect(((await server.running.services.users.groupsOf([sally.id])).get(sally.id) ?? []).map((g) => g.name)).to.deep.equal(['sales']);
      await page.getByRole('button', { name: 'Add new group' }).click();
      await page.getByLabel('Group name').fill('sales-emea');
      await page.getByRole('dialog').getByRole('button', { name: 'Create group' }).click();
      await waitForLive(page, /Group sales-emea created with sally/);
      await page.getByRole('tab', { name: 'Roles' }).click();
      await page.getByRole('button', { name: 'Add to existing role' }).click();
      await page.getByLabel('Role', { exact: true }).fill('auditor');
      await page.getByRole('dialog').getByRole('button', { name: 'Add' }).click();
      await waitForLive(page, /Role auditor given to sally/);
      await page.getByRole('link', { name: 'All Roles' }).click();
      await page.getByText('Inherited from group sales').waitFor();
      expect(await page.getByRole('cell', { name: 'crm-reader', exact: true }).count()).to.equal(1);
      expect(await page.getByRole('cell', { name: 'auditor', exact: true }).count()).to.equal(1);
      await page.getByRole('link', { name: 'Assigned Roles' }).click();
      await page.waitForURL((u) => !u.search.includes('roles=all'));
      expect(await page.getByRole('cell', { name: 'crm-reader', exact: true }).count()).to.equal(0);
      await screenshot(page, `${dialect}-user-roles`);
    });

    it('creates a recovery link shown once with Copy (selected when the clipboard is refused) and opens it', async () => {
      await page.getByRole('tab', { name: 'Overview' }).click();
      await page.getByRole('button', { name: 'Create recovery link' }).click();
      const box = page.getByRole('textbox', { name: 'Recovery link' });
      await box.waitFor();
      const link = await box.inputValue();
      expect(link).to.match(/\/recovery\/dgr_/);
      await page.getByRole('button', { name: 'Copy' }).click();
      await waitForLive(page, /Copied|selected/);
      expect(await page.evaluate(() => window.getSelection()?.toString() || (document.activeElement as HTMLInputElement | null)?.value)).to.satisfy((v: string) => v === link || v === undefined || v === '' || v.length > 0);
      await page.reload();
      expect(await page.getByRole('textbox', { name: 'Recovery link' }).count(), 'shown once').to.equal(0);
      const second = await context.newPage();
      await second.goto(link);
      expect(await second.getByRole('button').count()).to.be.greaterThan(0);
      expect(await second.content()).to.match(/sally|password/i);
      await second.close();
    });

    it('emails a recovery link to a real SMTP sink', async () => {
      await page.getByRole('button', { name: 'Email recovery link' }).click();
      await waitForLive(page, /Recovery link sent to sally@example.com/);
      const mails = smtp.to('sally@example.com');
      expect(mails.length).to.be.greaterThan(0);
      expect(mails.at(-1)!.text ?? '').to.match(/\/recovery\/dgr_/);
    });

    it('resets the password, and LDAP binds with it', async () => {
      await page.getByRole('button', { name: 'Reset password' }).click();
      await page.getByLabel('New password', { exact: true }).fill('sally-new-password-1');
      await page.getByRole('dialog').getByRole('button', { name: 'Set password' }).click();
      await waitForLive(page, /Password of sally set/);
      expect(await ldapBind(server, 'sally', 'sally-new-password-1')).to.equal(true);
      expect(await ldapBind(server, 'sally', 'sally-old-password')).to.equal(false);
    });

    it('impersonates with a reason: a banner on every page, then Stop impersonation', async () => {
      await page.getByRole('button', { name: 'Impersonate' }).click();
      await page.getByLabel('Reason').fill('ticket 42: cannot see the CRM');
      await page.getByRole('dialog').getByRole('button', { name: 'Impersonate' }).click();
      const banner = page.getByRole('region', { name: 'Impersonation' });
      await banner.waitFor();
      expect(await banner.textContent()).to.match(/acting as sally/);
      await page.goto('/admin/users');
      expect(await banner.count()).to.equal(1);
      await screenshot(page, `${dialect}-impersonating`);
      await page.getByRole('button', { name: 'Stop impersonation' }).click();
      await page.waitForURL(new RegExp(`/admin/users/${sally.id}`));
      expect(await page.getByRole('region', { name: 'Impersonation' }).count()).to.equal(0);
      expect(await page.getByRole('button', { name: 'Impersonate' }).count()).to.equal(1);
    });

    it('deactivates from the list; LDAP then refuses the bind', async () => {
      await page.goto('/admin/users?path=users/sales');
      await page.getByRole('checkbox', { name: 'Select sally' }).check();
      await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await page.getByText('These users:').waitFor();
      expect(await page.getByRole('listitem').filter({ hasText: 'sally' }).count()).to.be.greaterThan(0);
      await page.getByRole('button', { name: 'Deactivate 1 user' }).click();
      await waitForLive(page, /Deactivate: 1 of 1 deactivated/);
      expect(await ldapBind(server, 'sally', 'sally-new-password-1')).to.equal(false);
    });

    it('bulk-deletes three users chosen by "select all matching", listing them first', async () => {
      await page.goto('/admin/users?path=users/temp');
      await page.getByRole('checkbox', { name: /Select all 3 matching/ }).check();
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByText('These users will go:').waitFor();
      for (const n of ['temp1', 'temp2', 'temp3']) expect(await page.getByRole('listitem').filter({ hasText: n }).count(), n).to.equal(1);
      await expectAccessible(page, 'bulk confirmation');
      await page.getByRole('button', { name: 'Delete 3 users' }).click();
      await waitForLive(page, /Delete: 3 of 3 deleted/);
      for (const n of ['temp1', 'temp2', 'temp3']) expect(await server.running.services.users.findByUsername(n), n).to.equal(null);
    });

    it('exports with a query (the dialog shows it), Notifications offers Download, the CSV matches the API, then deletes it', async () => {
      const query = 'username startswith "s" or username = "admin"';
      await page.goto(`/admin/users?inactive=1&ordering=-username&search=${encodeURIComponent(query)}`);
      await page.getByRole('button', { name: 'Export', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Export users to CSV' });
      expect(await dialog.getByTestId('export-query').textContent()).to.equal(`(${query})`);
      expect(await dialog.getByTestId('export-ordering').textContent()).to.equal('-username');
      await dialog.getByRole('button', { name: 'Start export' }).click();
      await waitForLive(page, /Export queued/);
      expect(new URL(page.url()).pathname).to.equal('/admin/exports');
      const download = page.getByRole('region', { name: 'Notifications' }).getByRole('link', { name: 'Download' });
      await download.waitFor({ timeout: 30_000 });
      const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
      const csv = await new Promise<string>((resolve, reject) => {
        void file.createReadStream().then((st) => {
          const chunks: Buffer[] = [];
          st.on('data', (d: Buffer) => chunks.push(d)).on('end', () => resolve(Buffer.concat(chunks).toString('utf8'))).on('error', reject);
        }, reject);
      });
      const api = await fetch(`${server.http}/api/v1/users?ordering=-username&page_size=1000&search=${encodeURIComponent(`(${query})`)}`, { headers: { authorization: `Bearer ${server.token}` } });
      const expected = ((await api.json()) as { results: Array<{ username: string }> }).results.map((u) => u.username);
      const lines = csv.trim().split(/\r?\n/);
      const header = lines[0]!.split(',');
      const col = header.indexOf('username');
      expect(col).to.be.greaterThan(-1);
      expect(lines.slice(1).map((l) => l.split(',')[col])).to.deep.equal(expected);
      expect(expected).to.include.members(['sally', 'admin']);
      await page.goto('/admin/exports');
      await expectAccessible(page, 'data exports');
      await screenshot(page, `${dialect}-exports`);
      expect(await page.getByRole('cell', { name: `(${query})` }).count()).to.equal(1);
      await page.getByRole('button', { name: 'Delete export' }).click();
      await waitForLive(page, /Export deleted/);
      const admin = (await server.running.services.users.findByUsername('admin'))!;
      expect((await server.running.services.exports.list({ userId: admin.id, username: 'admin' }, { limit: 10, offset: 0 })).count).to.equal(0);
      await page.getByRole('region', { name: 'Notifications' }).getByRole('button', { name: 'Mark all read' }).click();
      await page.getByRole('region', { name: 'Notifications' }).getByText('No unread notifications').waitFor();
    });

    it('warns before acting on yourself', async () => {
      await page.goto('/admin/users?search=admin');
      await page.getByRole('checkbox', { name: 'Select admin' }).check();
      await page.getByRole('button', { name: 'Deactivate', exact: true }).click();
      await page.getByRole('heading', { name: /Deactivate \d+ user/ }).waitFor();
      await screenshot(page, `${dialect}-confirm-self`);
      expect(await page.getByRole('alert').filter({ hasText: 'Your own account' }).count()).to.equal(1);
      expect(errors).to.deep.equal([]);
    });

    it('a permission on one user (object permission) offers and allows the action on that user only', async () => {
      const { services } = server.running;
      const helper = await makeUser(server, 'onehelper', { password: 'onehelper-password', permissions: ['user.view'] });
      const role = await services.roles.create({ name: 'sally-changer' }, SYSTEM_ACTOR);
      await services.roles.grantOnObject(role.id, { permission: 'user.change', objectType: 'user', objectId: sally.id }, SYSTEM_ACTOR);
      await services.roles.assign({ userId: helper.id }, role.id, true, SYSTEM_ACTOR);
      const other = (await services.users.findByUsername('admin'))!;
      const v = await newPage(server.http);
      try {
        await signIn(v.page, 'onehelper', 'onehelper-password');
        await v.page.goto(`/admin/users/${sally.id}`);
        expect(await v.page.getByRole('button', { name: 'Edit', exact: true }).count()).to.equal(1);
        await v.page.goto(`/admin/users/${other.id}`);
        expect(await v.page.getByRole('button', { name: 'Edit', exact: true }).count()).to.equal(0);
        const statuses = await v.page.evaluate(async ([a, b]) => {
          const token = JSON.parse(document.body.getAttribute('hx-headers') ?? '{}')['X-CSRF-Token'] as string;
          const post = (id: string) => fetch(`/admin/users/${id}/activate`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(token)}` }).then((r) => r.status);
          return [await post(a!), await post(b!)];
        }, [sally.id, other.id]);
        expect(statuses).to.deep.equal([200, 403]);
        expect((await services.users.get(sally.id)).isActive).to.equal(true);
      } finally {
        await v.context.close();
      }
    });

    it('a user holding only user.view sees no mutation buttons, and a forged POST is refused', async () => {
      await makeUser(server, 'viewer', { password: 'viewer-password', permissions: ['user.view'] });
      const v = await newPage(server.http);
      try {
        await signIn(v.page, 'viewer', 'viewer-password');
        for (const name of ['New User', 'Delete', 'Deactivate', 'Activate', 'Revoke sessions']) {
          expect(await v.page.getByRole('button', { name, exact: true }).count(), name).to.equal(0);
        }
        await v.page.goto(`/admin/users/${sally.id}`);
        for (const name of ['Edit', 'Activate', 'Delete', 'Impersonate', 'Create recovery link', 'Reset password']) {
          expect(await v.page.getByRole('button', { name, exact: true }).count(), name).to.equal(0);
        }
        // The page's own CSRF token, a real session: still refused, by permission.
        const status = await v.page.evaluate(async (id) => {
          const token = JSON.parse(document.body.getAttribute('hx-headers') ?? '{}')['X-CSRF-Token'] as string;
          const r = await fetch(`/admin/users/${id}/delete`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${encodeURIComponent(token)}` });
          return r.status;
        }, sally.id);
        expect(status).to.equal(403);
        expect(await server.running.services.users.findByUsername('sally')).to.not.equal(null);
        // Deactivated: the next request lands on the sign-in page.
        const viewer = (await server.running.services.users.findByUsername('viewer'))!;
        await server.running.services.users.update(viewer.id, { isActive: false }, SYSTEM_ACTOR);
        await v.page.goto('/admin/users');
        expect(new URL(v.page.url()).pathname).to.equal('/admin/login');
      } finally {
        await v.context.close();
      }
    });
  });
}
