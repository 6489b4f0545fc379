import type { BindCacheShare } from './bind-cache.js';
import type { Config } from '../config.js';
import type { Database } from '../store/database.js';
import { AccessService } from './access.js';
import { AuthService } from './auth.js';
import { DirectoryWriteService } from './directory-writes.js';
import { DirectoryService } from './directory.js';
import { EventService } from './events.js';
import { DelegationRules } from './delegation-rules.js';
import { ExportService } from './exports.js';
import { GroupService } from './groups.js';
import { HealthService } from './health.js';
import { ImpersonationService } from './impersonation.js';
import { MailService } from './mail.js';
import { MfaService } from './mfa.js';
import { NotificationService } from './notifications.js';
import { RecoveryService } from './recovery.js';
import { RoleService } from './roles.js';
import { SelfServiceRecovery } from './self-service-recovery.js';
import { SuperuserRescue } from './superuser-rescue.js';
import { SettingsService } from './settings.js';
import { UserService } from './users.js';
import { UserArtifactsService } from './user-artifacts.js';
import { UnitService } from './units.js';

/**
 * Everything the doors call. Built once in main.ts (the composition root) and in tests. Doors
 * hold this and nothing below it: no database handle, knex or transaction type (a unit of work
 * from `units` stands for a transaction).
 */
export interface Services {
  readonly config: Config;
  /** Units of work: several calls in one transaction (SCIM Bulk, PATCH). */
  readonly units: UnitService;
  /** Readiness of the store (`/readyz`). */
  readonly health: HealthService;
  /** The audit trail, read side. */
  readonly events: EventService;
  readonly settings: SettingsService;
  readonly users: UserService;
  readonly groups: GroupService;
  readonly roles: RoleService;
  readonly access: AccessService;
  /** The delegation rules (no path to a superuser, grant only what you hold, keep a superuser). */
  readonly rules: DelegationRules;
  readonly auth: AuthService;
  /** The directory as LDAP reads it, narrowed to what the viewer may see. */
  readonly directory: DirectoryService;
  /** TOTP enrolment and second-factor checks. */
  readonly mfa: MfaService;
  /** A user's consents, OAuth refresh tokens and MFA authenticators (admin API user tabs). */
  readonly artifacts: UserArtifactsService;
  readonly mail: MailService;
  readonly notifications: NotificationService;
  readonly recovery: RecoveryService;
  /** The `/recovery` page's side: users ask for their own recovery link. */
  readonly selfRecovery: SelfServiceRecovery;
  readonly impersonation: ImpersonationService;
  readonly exports: ExportService;
  /** LDAP-shaped writes (Add, Modify, Delete, ModifyDN) in domain terms, one transaction each. */
  readonly directoryWrites: DirectoryWriteService;
  /** `dirgate create-superuser`: the way back in. */
  readonly rescue: SuperuserRescue;
}

/** What the process around the services supplies (the worker processes' shared bind cache). */
export interface ServiceOptions {
  readonly bindCacheShare?: BindCacheShare | null;
}

export function createServices(db: Database, config: Config, options: ServiceOptions = {}): Services {
  const mail = new MailService(config);
  const settings = new SettingsService(db, () => mail.enabled);
  const access = new AccessService(db);
  const rules = new DelegationRules(db, (userId, q) => access.permissionsOf(userId, q));
  const users = new UserService(db, config, settings, rules);
  const recovery = new RecoveryService(db, config, users, mail, rules);
  const groups = new GroupService(db, rules);
  const mfa = new MfaService(db);
  const auth = new AuthService(db, config, settings, users, mfa, rules);
  return {
    config,
    units: new UnitService(db),
    health: new HealthService(db),
    events: new EventService(db),
    settings,
    users,
    groups,
    roles: new RoleService(db, access, rules),
    access,
    rules,
    auth,
    directory: new DirectoryService(db, auth, config, options.bindCacheShare ?? null),
    mfa,
    artifacts: new UserArtifactsService(db, rules),
    mail,
    notifications: new NotificationService(db),
    recovery,
    selfRecovery: new SelfServiceRecovery(db, settings, recovery, mail),
    impersonation: new ImpersonationService(db, config, settings, access, rules),
    exports: new ExportService(db, config, access),
    directoryWrites: new DirectoryWriteService(db, users, groups, access),
    rescue: new SuperuserRescue(db, users, groups, recovery),
  };
}
