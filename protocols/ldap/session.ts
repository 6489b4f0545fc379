/** What the operation handlers see of a connection, and the listener-wide context. */
import type { Logger } from 'pino';
import type { Config } from '../../src/config.js';
import type { User } from '../../src/domain/types.js';
import type { BindVerifier } from '../../src/services/bind-cache.js';
import type { Services } from '../../src/services/index.js';
import type { Dit } from './dit.js';
import type { PageStates } from './paged-results.js';
import type { SearchAnswers } from './search-answers.js';

export interface LdapContext {
  readonly services: Services;
  readonly config: Config;
  readonly log: Logger;
  readonly dit: Dit;
  readonly verifier: BindVerifier;
  /** Whether StartTLS is offered (a certificate is configured). */
  readonly tls: boolean;
  /** Answers to repeated plain searches while the database is unchanged (this process's). */
  readonly answers: SearchAnswers;
}

/** The bound user and what it may see, re-checked at the start of every operation. */
export interface Identity {
  /** As read at bind time; its id, username and active flag are re-checked on every operation. */
  readonly user: User;
  readonly dn: string;
  /** Superuser or holder of ldap.search_full_directory. */
  readonly fullAccess: boolean;
}

export interface Session {
  readonly ctx: LdapContext;
  readonly secure: boolean;
  readonly clientIp: string | null;
  readonly pages: PageStates;
  /** The bound user as the database has it now (re-read on every call); null when anonymous or no longer able to act. */
  identity(): Promise<Identity | null>;
  /** The bound user as last checked, without re-checking it (the caller must, before relying on it). */
  boundIdentity(): Identity | null;
  setIdentity(identity: Identity | null): void;
  /**
   * The database snapshot (DirectoryService.snapshot) at which the bound identity was last found
   * able to act, or null; while the database is still at that snapshot a search need not check it
   * again. Reset by every bind.
   */
  verifiedAt: string | null;
  isAbandoned(messageId: number): boolean;
  /** Queues response messages; resolves once the socket can take more. @throws ConnectionClosed */
  write(messages: readonly Buffer[]): Promise<void>;
  /**
   * StartTLS (RFC 4511 §4.14): the socket is wrapped in TLS right after this operation's reply.
   * @throws LdapError when TLS cannot start now (no certificate, already secure, operations outstanding)
   */
  startTlsAfterReply(): void;
}

/** Thrown by `Session.write` once the connection is closed: the operation ends without a reply. */
export class ConnectionClosed extends Error {}
