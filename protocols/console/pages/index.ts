import type { Router } from 'express';
import type { Logger } from 'pino';
import type { Services } from '../../../src/services/index.js';
import { handle } from '../respond.js';
import { createUser, newUserPage } from './user-new.js';
import { usersPage } from './users.js';
import { searchFields, searchValues } from './search-lookups.js';

/** Every console page, one module each. */
export function mountPages(router: Router, services: Services, log: Logger): void {
  const h = (fn: Parameters<typeof handle>[2]) => handle(services, log, fn);
  router.get('/search/fields', searchFields());
  router.get('/search/values', searchValues(services, log));
  router.get('/users', h(usersPage));
  router.get('/users/new', h(newUserPage));
  router.post('/users/new', h(createUser));
}
