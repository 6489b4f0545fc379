import type { Knex } from 'knex';
import * as initialSchema from './0001-initial-schema.js';
import * as objectPermissions from './0003-object-permissions.js';
import * as accountSecurity from './0005-account-security.js';
import * as userValues from './0006-user-values.js';
import * as signInsInFlight from './0007-sign-ins-in-flight.js';
import * as graceLogins from './0008-grace-logins.js';
import * as directoryChanges from './0009-directory-changes.js';

/** Every migration, in order. Listed in code so the compiled server needs no file scanning. */
export const migrations: ReadonlyArray<{ name: string; module: Knex.Migration }> = [
  { name: '0001-initial-schema', module: initialSchema },
  { name: '0003-object-permissions', module: objectPermissions },
  { name: '0005-account-security', module: accountSecurity },
  { name: '0006-user-values', module: userValues },
  { name: '0007-sign-ins-in-flight', module: signInsInFlight },
  { name: '0008-grace-logins', module: graceLogins },
  { name: '0009-directory-changes', module: directoryChanges },
];
