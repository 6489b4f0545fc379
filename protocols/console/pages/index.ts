import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../../src/services/index.js';
import { handle } from '../respond.js';
import { stopImpersonation } from './impersonation.js';
import { searchFields, searchValues } from './search-lookups.js';
import * as actions from './user-actions.js';
import { userPage } from './user-detail.js';
import { editUserPage, saveUser } from './user-edit.js';
import { createUser, newUserPage } from './user-new.js';
import { usersPage } from './users.js';
import { bulkUsers } from './users-bulk.js';
import { deleteExport, downloadExport, exportsPage, requestExport } from './exports.js';
import { notificationsRegion } from './notifications-routes.js';
import { createGroup, groupsPage } from './groups.js';
import { addMember, deleteGroup, groupPage, removeMember } from './group-detail.js';
import { createRole, deleteRole, rolesPage } from './roles.js';
import { applicationPage, applicationsPage, checkAccess, createApplication, createBinding, deleteBinding } from './applications.js';
import { eventsPage } from './events.js';
import { saveSettings, settingsPage } from './settings.js';

/** Every console page, one module each. */
export function mountPages(router: Router, services: Services, log: Logger): void {
  const h = (fn: Parameters<typeof handle>[2]) => handle(services, log, fn);
  router.get('/search/fields', searchFields());
  router.get('/search/values', searchValues(services, log));
  router.post('/impersonation/stop', h(stopImpersonation));
  router.get('/notifications', notificationsRegion(services));
  router.post('/notifications/mark-read', notificationsRegion(services, true));
  router.get('/exports', h(exportsPage));
  router.get('/exports/:id/download', downloadExport(services, log));
  router.post('/exports/:id/delete', h(deleteExport));
  router.post('/users/export', h(requestExport));
  router.get('/users', h(usersPage));
  router.post('/users/bulk', h(bulkUsers));
  router.get('/users/new', h(newUserPage));
  router.post('/users/new', h(createUser));
  router.get('/users/:id', h(userPage));
  router.get('/users/:id/edit', h(editUserPage));
  router.post('/users/:id/edit', h(saveUser));
  const post: Record<string, Parameters<typeof handle>[2]> = {
    deactivate: actions.deactivateUser, activate: actions.activateUser, delete: actions.deleteUser,
    password: actions.setUserPassword, recovery: actions.createRecoveryLink, 'recovery-email': actions.emailRecoveryLink,
    impersonate: actions.impersonateUser, 'sessions/delete': actions.deleteSessions,
    'groups/add': actions.addToGroup, 'groups/create': actions.addToNewGroup, 'groups/remove': actions.removeFromGroup,
    'roles/add': actions.addRole, 'roles/remove': actions.removeRole, 'artifacts/:kind/delete': actions.deleteArtifact,
  };
  for (const [path, fn] of Object.entries(post)) router.post(`/users/:id/${path}`, h(fn));

  router.get('/groups', h(groupsPage));
  router.post('/groups/new', h(createGroup));
  router.get('/groups/:id', h((c) => groupPage(c)));
  router.post('/groups/:id/members/add', h(addMember));
  router.post('/groups/:id/members/remove', h(removeMember));
  router.post('/groups/:id/delete', h(deleteGroup));
  router.get('/roles', h(rolesPage));
  router.post('/roles/new', h(createRole));
  router.post('/roles/:id/delete', h(deleteRole));
  router.get('/applications', h(applicationsPage));
  router.post('/applications/new', h(createApplication));
  router.get('/applications/:slug', h((c) => applicationPage(c)));
  router.post('/applications/:slug/bindings/new', h(createBinding));
  router.post('/applications/:slug/bindings/:binding/delete', h(deleteBinding));
  router.post('/applications/:slug/check', h(checkAccess));
  router.get('/events', h(eventsPage));
  router.get('/settings', h((c) => settingsPage(c)));
  router.post('/settings', h(saveSettings));
}
