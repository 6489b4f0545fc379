/** Plain domain records as the services hand them to the doors. Never carries secrets. */

export const USER_TYPES = ['internal', 'external', 'service_account', 'internal_service_account'] as const;
export type UserType = (typeof USER_TYPES)[number];

export type JsonObject = { [key: string]: unknown };

export interface User {
  readonly id: string;
  /** Stable small integer, the base of the LDAP uidNumber. */
  readonly seq: number;
  readonly username: string;
  readonly name: string;
  readonly email: string | null;
  readonly path: string;
  readonly type: UserType;
  readonly isActive: boolean;
  readonly attributes: JsonObject;
  readonly externalId: string | null;
  readonly lastLogin: Date | null;
  readonly passwordChangedAt: Date | null;
  /** Set while the account is locked after repeated failures (lockout.threshold). */
  readonly lockedUntil: Date | null;
  /** Someone else set the password: the user must choose a new one before signing in. */
  readonly passwordMustChange: boolean;
  readonly hasPassword: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface Group {
  readonly id: string;
  /** Stable small integer, the base of the LDAP gidNumber. */
  readonly seq: number;
  readonly name: string;
  readonly isSuperuser: boolean;
  readonly attributes: JsonObject;
  readonly externalId: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly version: number;
}

export interface Role {
  readonly id: string;
  readonly name: string;
  readonly permissions: readonly string[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly impersonatorId: string | null;
  readonly impersonationReason: string | null;
  readonly clientIp: string | null;
  readonly userAgent: string | null;
  readonly createdAt: Date;
  readonly expiresAt: Date;
  readonly lastUsedAt: Date | null;
}

export interface ApiToken {
  readonly id: string;
  readonly userId: string;
  readonly description: string;
  readonly keyPrefix: string;
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly lastUsedAt: Date | null;
}

export interface DirEvent {
  readonly id: string;
  readonly seq: number;
  readonly action: string;
  readonly actorId: string | null;
  readonly actorUsername: string | null;
  readonly impersonatorId: string | null;
  readonly impersonatorUsername: string | null;
  readonly targetType: string | null;
  readonly targetId: string | null;
  readonly clientIp: string | null;
  readonly context: JsonObject;
  readonly createdAt: Date;
}

/** Who is acting, for permission checks and the audit trail. */
export interface Actor {
  /** null for the system itself (bootstrap, background jobs) or an anonymous client. */
  readonly userId: string | null;
  readonly username: string | null;
  readonly impersonatorId?: string | null;
  readonly impersonatorUsername?: string | null;
  readonly clientIp?: string | null;
  /** The session this request came through, if any. */
  readonly sessionId?: string | null;
  /** The door the request came through (`ldap`, …), recorded with each event it causes. */
  readonly door?: string | null;
  /**
   * The system itself (bootstrap, the command line on the configured store): it acts as a
   * superuser would. An actor with no user and no `system` flag is never taken for one.
   */
  readonly system?: boolean;
}

export const SYSTEM_ACTOR: Actor = Object.freeze({ userId: null, username: null, clientIp: null, system: true });
