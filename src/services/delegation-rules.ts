/**
 * The delegation rules of DESIGN.md "Permissions", in one place for every door (admin API,
 * SCIM, LDAP, console, command line): the services call them before they write.
 *
 *  - no path to a superuser: only a superuser acts on a superuser account, or on a group that
 *    grants superuser (flagged, or below a flagged group);
 *  - grant only what you hold: nobody grants a role or a permission they do not hold, makes a
 *    group superuser or gives it a parent that makes it one;
 *  - an impersonation session cannot impersonate, create API tokens or touch the impersonator;
 *  - the last active superuser stays (409), under a lock so two concurrent changes cannot both
 *    pass the check.
 *
 * Refusals are PermissionDenied (403, LDAP 50) or Conflict (409) naming the rule, and each is
 * recorded as an `access_refused` event after the refused transaction has rolled back.
 */
import { Conflict, PermissionDenied } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import { isBusy, type Database } from '../store/database.js';
import type { Queryable } from '../store/rows.js';
import {
  countActiveSuperusers, lockSuperusers, superuserGroupIdsAmong, superuserIdsAmong,
} from '../store/superusers-store.js';
import type { Knex } from 'knex';
import { recordEvent } from './events.js';
import { inTransaction, joining, queryable, type TxOptions } from './transactions.js';
import { transactionOfUnit } from './units.js';

/** The names refusals carry (`rule` in problem JSON, in the event and in the message). */
export const RULES = {
  noPathToSuperuser: 'no_path_to_superuser',
  grantOnlyWhatYouHold: 'grant_only_what_you_hold',
  impersonationSession: 'impersonation_session',
  lastSuperuser: 'last_superuser',
} as const;

export type Rule = (typeof RULES)[keyof typeof RULES];

type Target = { type: string; id: string } | null;

export class DelegationRules {
  /** `held(actor, q)` is the actor's global permissions (all of them for a superuser). */
  constructor(
    private readonly db: Database,
    private readonly held: (userId: string, q: Queryable) => Promise<Set<string>>,
  ) {}

  /** A superuser, or the system itself. An anonymous actor is neither. */
  async actsAsSuperuser(actor: Actor, opts: TxOptions = {}): Promise<boolean> {
    if (actor.system === true && actor.userId === null) return true;
    if (!actor.userId) return false;
    return (await superuserIdsAmong(this.q(opts), [actor.userId])).has(actor.userId);
  }

  /**
   * Refuses when any of `userIds` is a superuser and the actor is not, or (from an
   * impersonation session) when one is the impersonator. `action` completes "may not … ".
   * @throws PermissionDenied naming the rule
   */
  async protectUsers(actor: Actor, userIds: readonly string[], action: string, opts: TxOptions = {}): Promise<void> {
    if (userIds.length === 0) return;
    if (actor.impersonatorId && userIds.includes(actor.impersonatorId)) {
      await this.refuse(actor, new PermissionDenied(
        `${RULES.impersonationSession}: an impersonation session may not ${action} the impersonating user`, undefined, RULES.impersonationSession,
      ), { type: 'user', id: actor.impersonatorId }, opts);
    }
    const superusers = await superuserIdsAmong(this.q(opts), [...new Set(userIds)]);
    if (superusers.size === 0 || (await this.actsAsSuperuser(actor, opts))) return;
    const id = [...superusers][0]!;
    await this.refuse(actor, new PermissionDenied(
      `${RULES.noPathToSuperuser}: only a superuser may ${action} a superuser account`, undefined, RULES.noPathToSuperuser,
    ), { type: 'user', id }, opts);
  }

  /** Refuses when any of `groupIds` grants superuser (directly or through a parent) and the actor is not one. @throws PermissionDenied */
  async protectGroups(actor: Actor, groupIds: readonly string[], action: string, opts: TxOptions = {}): Promise<void> {
    if (groupIds.length === 0) return;
    const granting = await superuserGroupIdsAmong(this.q(opts), [...new Set(groupIds)]);
    if (granting.size === 0 || (await this.actsAsSuperuser(actor, opts))) return;
    await this.refuse(actor, new PermissionDenied(
      `${RULES.noPathToSuperuser}: only a superuser may ${action} a group that grants superuser`, undefined, RULES.noPathToSuperuser,
    ), { type: 'group', id: [...granting][0]! }, opts);
  }

  /** Making a group superuser, or giving it a parent that does: superusers only. @throws PermissionDenied */
  async requireSuperuserTo(actor: Actor, what: string, target: Target, opts: TxOptions = {}): Promise<void> {
    if (await this.actsAsSuperuser(actor, opts)) return;
    await this.refuse(actor, new PermissionDenied(
      `${RULES.grantOnlyWhatYouHold}: only a superuser may ${what}`, undefined, RULES.grantOnlyWhatYouHold,
    ), target, opts);
  }

  /** The actor must hold every one of `permissions` globally to grant them. @throws PermissionDenied naming the first missing */
  async requireHeld(actor: Actor, permissions: readonly string[], what: string, target: Target, opts: TxOptions = {}): Promise<void> {
    if (permissions.length === 0 || (await this.actsAsSuperuser(actor, opts))) return;
    const held = actor.userId ? await this.held(actor.userId, this.q(opts)) : new Set<string>();
    const missing = permissions.filter((p) => !held.has(p));
    if (missing.length === 0) return;
    await this.refuse(actor, new PermissionDenied(
      `${RULES.grantOnlyWhatYouHold}: you may not ${what} ${missing.join(', ')}, which you do not hold yourself`, missing[0], RULES.grantOnlyWhatYouHold,
    ), target, opts);
  }

  /** Things an impersonation session may not do at all (impersonate again, create API tokens). @throws PermissionDenied */
  async refuseInImpersonation(actor: Actor, what: string, target: Target, opts: TxOptions = {}): Promise<void> {
    if (!actor.impersonatorId) return;
    await this.refuse(actor, new PermissionDenied(
      `${RULES.impersonationSession}: an impersonation session may not ${what}`, undefined, RULES.impersonationSession,
    ), target, opts);
  }

  /**
   * Call first in a transaction that may take away superusers (deactivate, delete, remove from a
   * superuser group, unflag, re-parent or delete a group): takes the superuser lock and counts.
   * Call the returned check after the change; it refuses when the change left none active.
   */
  async keepASuperuser(trx: Knex.Transaction, actor: Actor, action: string, target: Target): Promise<() => Promise<void>> {
    await lockSuperusers(trx);
    const before = await countActiveSuperusers(trx);
    return async () => {
      if (before === 0 || (await countActiveSuperusers(trx)) > 0) return;
      await this.refuse(actor, new Conflict(
        `${RULES.lastSuperuser}: cannot ${action}: it would leave no active superuser`, RULES.lastSuperuser,
      ), target, joining(trx));
    };
  }

  /**
   * `inTransaction` for the changes that take the superuser lock. On SQLite a second process's
   * writer that meets the lock (a deferred transaction whose snapshot went stale while it waited)
   * gets SQLITE_BUSY at once instead of waiting; the whole transaction is then run again, with a
   * short random pause, for up to ten seconds. PostgreSQL waits on the row lock by itself.
   */
  async lockedTransaction<T>(opts: TxOptions, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    if (opts.unit || this.db.dialect !== 'sqlite') return inTransaction(this.db, opts, fn);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        return await this.db.transaction(fn);
      } catch (e) {
        if (!isBusy(e) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 45));
      }
    }
  }

  private q(opts: TxOptions): Queryable {
    return queryable(this.db, opts);
  }

  /**
   * Records the refusal and throws it. Inside a transaction (which the throw rolls back) the
   * event is written once that transaction has ended, on its own connection.
   */
  private async refuse(actor: Actor, err: PermissionDenied | Conflict, target: Target, opts: TxOptions): Promise<never> {
    const rule = err.rule!;
    const record = () => this.db.transaction((t) => recordEvent(t, actor, 'access_refused', target, { rule, detail: err.message }))
      .catch(() => undefined);
    if (opts.unit) void transactionOfUnit(opts.unit).executionPromise.then(record, record);
    else await record();
    throw err;
  }
}
