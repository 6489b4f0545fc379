import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import { AccessService } from './access.js';
import { AuthService } from './auth.js';
import { GroupService } from './groups.js';
import { RoleService } from './roles.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';

/** Everything the doors call. Built once in main.ts (the composition root) and in tests. */
export interface Services {
  readonly db: Database;
  readonly config: Config;
  readonly settings: SettingsService;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly roles: RoleService;
  readonly access: AccessService;
  readonly auth: AuthService;
}

export function createServices(db: Database, config: Config): Services {
  const settings = new SettingsService(db);
  return {
    db,
    config,
    settings,
    users: new UserService(db, config, settings),
    groups: new GroupService(db),
    roles: new RoleService(db),
    access: new AccessService(db),
    auth: new AuthService(db, config, settings),
  };
}
