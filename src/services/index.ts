import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import { AccessService } from './access.js';
import { AuthService } from './auth.js';
import { ExportService } from './exports.js';
import { GroupService } from './groups.js';
import { ImpersonationService } from './impersonation.js';
import { MailService } from './mail.js';
import { NotificationService } from './notifications.js';
import { RecoveryService } from './recovery.js';
import { RoleService } from './roles.js';
import { SelfServiceRecovery } from './self-service-recovery.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';
import { UserArtifactsService } from './user-artifacts.js';

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
  /** A user's consents, OAuth refresh tokens and MFA authenticators (admin API user tabs). */
  readonly artifacts: UserArtifactsService;
  readonly mail: MailService;
  readonly notifications: NotificationService;
  readonly recovery: RecoveryService;
  /** The `/recovery` page's side: users ask for their own recovery link. */
  readonly selfRecovery: SelfServiceRecovery;
  readonly impersonation: ImpersonationService;
  readonly exports: ExportService;
}

export function createServices(db: Database, config: Config): Services {
  const mail = new MailService(config);
  const settings = new SettingsService(db, () => mail.enabled);
  const users = new UserService(db, config, settings);
  const access = new AccessService(db);
  const recovery = new RecoveryService(db, config, users, mail);
  return {
    db,
    config,
    settings,
    users,
    groups: new GroupService(db),
    roles: new RoleService(db),
    access,
    auth: new AuthService(db, config, settings),
    artifacts: new UserArtifactsService(db),
    mail,
    notifications: new NotificationService(db),
    recovery,
    selfRecovery: new SelfServiceRecovery(db, settings, recovery, mail),
    impersonation: new ImpersonationService(db, config, settings, access),
    exports: new ExportService(db, config, access),
  };
}
