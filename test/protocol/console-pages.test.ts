import { expect } from 'chai';
import type { BrowserContext, Page } from 'playwright-core';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { expectAccessible, expectKeyboardReachable, newPage, screenshot, signIn, waitForLive } from './console-support.js';

const PAGES = ['Users', 'Groups', 'Roles', 'Applications', 'Events', 'Data Exports', 'Settings'];

for (const dialect of dialects()) {
  describe(`console: Groups, Roles, Applications, Events, Settings on ${dialect}`, function () {
    this.timeout(90_000);
    let server: BootedServer;
    let context: BrowserContext;
    let page: Page;
    let errors: string[];

    before(async () => {
      server = await bootServer(dialect);
      await server.running.services.users.create({ username: 'gina', name: 'Gina Group', email: 'gina@example.com' }, SYSTEM_ACTOR);
      ({ context, page, errors } = await newPage(server.http));
      await signIn(page);
    });
    after(async () => {
      await context?.close();
      await server?.stop();
    });

    it('every page of the navigation is accessible and reachable by keyboard', async () => {
      for (const name of PAGES) {
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
        await page.getByRole('heading', { level: 1, name }).waitFor();
        expect(await page.getByRole('link', { name, exact: true }).getAttribute('aria-current')).to.equal('page');
        await expectAccessible(page, name);
        await expectKeyboardReachable(page, name);
        await screenshot(page, `${dialect}-${name.toLowerCase().replace(' ', '-')}`);
      }
      expect(errors).to.deep.equal([]);
    });

    it('creates a group and adds a member', async () => {
      await page.goto('/admin/groups');
      await page.getByRole('button', { name: 'New Group' }).click();
      await page.getByLabel('Name', { exact: true }).fill('support');
      await page.getByRole('button', { name: 'Create Group' }).click();
      await waitForLive(page, /Group support created/);
      await page.getByRole('button', { name: 'Add member' }).click();
      await page.getByLabel('User', { exact: true }).fill('gina');
      await page.getByRole('dialog').getByRole('button', { name: 'Add' }).click();
      await waitForLive(page, /gina added to support/);
      expect(await page.getByRole('region', { name: 'Members list' }).getByRole('link', { name: 'gina' }).count()).to.equal(1);
      await expectAccessible(page, 'group detail');
      await page.goto(`/admin/groups?search=${encodeURIComponent('members.username = "gina"')}`);
      expect(await page.getByRole('region', { name: 'Groups list' }).getByRole('link', { name: 'support' }).count()).to.equal(1);
    });

    it('creates a role with permissions', async () => {
      await page.goto('/admin/roles');
      await page.getByRole('button', { name: 'New Role' }).click();
      await page.getByLabel('Name', { exact: true }).fill('helpdesk');
      await page.getByLabel('user.view', { exact: true }).check();
      await page.getByLabel('user.recovery', { exact: true }).check();
      await page.getByRole('button', { name: 'Create Role' }).click();
      await waitForLive(page, /Role helpdesk created/);
      expect(await page.getByRole('cell', { name: 'user.recovery, user.view' }).count()).to.equal(1);
    });

    it('binds a group to an application and checks access for a user', async () => {
      await page.goto('/admin/applications');
      await page.getByRole('button', { name: 'New Application' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Wiki');
      await page.getByLabel('Slug').fill('wiki');
      await page.getByRole('button', { name: 'Create Application' }).click();
      await waitForLive(page, /Application Wiki created/);
      await page.getByRole('button', { name: 'Bind a user or group' }).click();
      await page.getByLabel('Group', { exact: true }).fill('support');
      await page.getByRole('dialog').getByRole('button', { name: 'Bind' }).click();
      await waitForLive(page, /Binding created/);
      await page.getByLabel('User to check').fill('gina');
      await page.getByRole('button', { name: 'Check access' }).click();
      await waitForLive(page, /gina passes/);
      await page.getByLabel('User to check').fill('admin');
      await page.getByRole('button', { name: 'Check access' }).click();
      await waitForLive(page, /admin does not pass/);
      await expectAccessible(page, 'application detail');
    });

    it('filters events by user, action and time', async () => {
      await page.goto('/admin/events');
      await page.getByLabel('User', { exact: true }).fill('gina');
      await page.getByLabel('Action').fill('group_membership_added');
      await page.getByLabel('Since').fill(new Date(Date.now() - 3600_000).toISOString().slice(0, 16));
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.waitForURL(/action=group_membership_added/);
      const rows = page.getByRole('region', { name: 'Events list' }).locator('tbody tr');
      expect(await rows.count()).to.be.greaterThan(0);
      for (const r of await rows.all()) expect(await r.textContent()).to.include('group_membership_added');
      await page.getByLabel('Since').fill('2999-01-01');
      await page.getByRole('button', { name: 'Filter' }).click();
      await page.getByText('No events match.').waitFor();
    });

    it('changes a setting through the settings service', async () => {
      await page.goto('/admin/settings');
      const box = page.getByRole('checkbox', { name: 'Require a reason to impersonate' });
      const before = await box.isChecked();
      await box.setChecked(!before);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await waitForLive(page, /Saved: Require a reason to impersonate/);
      const s = (await server.running.services.settings.get()) as unknown as Record<string, unknown>;
      expect(s['impersonation.require_reason'] ?? s.impersonation_require_reason).to.equal(!before);
    });
  });
}
