/**
 * Pages of users and groups for a validated query, mapped to domain records. A thin layer over
 * the store's query functions so the doors never handle raw rows or knex.
 */
import type { Group, User } from '../domain/types.js';
import type { Ordering } from '../query/ordering.js';
import type { Validated } from '../query/validate.js';
import type { Database } from '../store/database.js';
import { countGroups, countUsers, selectGroupRows, selectUserRows } from '../store/query-sql.js';
import { rowToGroup, rowToUser } from '../store/rows.js';
import type { TxOptions } from './transactions.js';

export interface PageOptions extends TxOptions {
  readonly ordering?: Ordering;
  readonly limit: number;
  readonly offset: number;
  /** Skip the count (e.g. a page of size 0 needs only the count, a probe only the rows). */
  readonly count?: boolean;
}

/** One page of users matching `v`, and how many match in all. */
export async function listUsers(db: Database, v: Validated, opts: PageOptions): Promise<{ users: User[]; total: number }> {
  const target = { knex: opts.trx ?? db.knex, dialect: db.dialect };
  const rows = opts.limit > 0
    ? await selectUserRows(target, v, { ...(opts.ordering ? { ordering: opts.ordering } : {}), limit: opts.limit, offset: opts.offset })
    : [];
  const users = rows.map(rowToUser);
  // A first page shorter than asked already tells the total; only count when it cannot.
  const total = opts.count === false ? users.length
    : opts.offset === 0 && users.length < opts.limit ? users.length
      : await countUsers(target, v);
  return { users, total };
}

/** One page of groups matching `v`, and how many match in all. */
export async function listGroups(db: Database, v: Validated, opts: PageOptions): Promise<{ groups: Group[]; total: number }> {
  const target = { knex: opts.trx ?? db.knex, dialect: db.dialect };
  const rows = opts.limit > 0
    ? await selectGroupRows(target, v, { ...(opts.ordering ? { ordering: opts.ordering } : {}), limit: opts.limit, offset: opts.offset })
    : [];
  const groups = rows.map(rowToGroup);
  const total = opts.count === false ? groups.length
    : opts.offset === 0 && groups.length < opts.limit ? groups.length
      : await countGroups(target, v);
  return { groups, total };
}
