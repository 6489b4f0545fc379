/** What the operation handlers see of a connection, and the listener-wide context. */
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';
import type { User } from '../../src/domain/types.js';
import type { BindVerifier } from '../../src/services/bind-cache.js';
import type { Services } from '../../src/services/index.js';
import type { Dit } from './dit.js';
import type { PageStates } from './paged-results.js';

export interface LdapContext {
  readonly services: Services;
  readonly config: Config;
  readonly log: Logger;
  readonly dit: Dit;
  readonly verifier: BindVerifier;
  /** Whether StartTLS is offered (a certificate is configured). */
  readonly tls: boolean;
}

/** The bound user and what it may see, re-read every IDENTITY_TTL_MS. */
export interface Identity {
  readonly user: User;
  readonly dn: string;
  /** Superuser or holder of ldap.search_full_directory. */
  readonly fullAccess: boolean;
  readonly permissions: ReadonlySet<string>;
  readonly checkedAt: number;
}

/**
 * How long a connection trusts its bound user's permissions before reading them again. Binds
 * always read the current row; searches on an open connection see a permission or
 * deactivation change within this window.
 */
export const IDENTITY_TTL_MS = 2000;

export interface Session {
  readonly ctx: LdapContext;
  readonly secure: boolean;
  readonly clientIp: string | null;
  readonly pages: PageStates;
  /** The bound user, refreshed if stale; null when anonymous. */
  identity(): Promise<Identity | null>;
  setIdentity(identity: Identity | null): void;
  isAbandoned(messageId: number): boolean;
  /** Queues response messages; resolves once the socket can take more. @throws when closed */
  write(messages: readonly Buffer[]): Promise<void>;
}
