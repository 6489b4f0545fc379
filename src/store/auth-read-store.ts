/**
 * The hot reads of every authenticated request, one prepared statement each: who a bearer token
 * speaks for, and whether a user holds a permission (or both in one statement, for a door that
 * needs one permission on every request). Nothing is cached here but the compiled statement, so
 * a deactivation, a revoked token or a removed role applies to the next request.
 */
import type { ApiToken, Session, User } from '../domain/types.js';
import type { Database } from './database.js';
import { preparedReader, type Row } from './prepared.js';
import { rowToUser, toDate } from './rows.js';

export type BearerMatch =
  | { kind: 'session'; session: Session; tokenHash: string; user: User; holds?: boolean }
  | { kind: 'token'; token: ApiToken; tokenHash: string; user: User; holds?: boolean };

// One statement for both kinds of bearer: a session or an API token, with its user row.
const BEARER_SQL = `
select 'session' as c_kind, s.id as c_id, s.token_hash as c_token_hash, s.expires_at as c_expires_at,
       s.last_used_at as c_last_used_at, s.created_at as c_created_at, s.impersonator_id as c_impersonator_id,
       s.impersonation_reason as c_reason, s.client_ip as c_client_ip, s.user_agent as c_user_agent,
       null as c_description, null as c_key_prefix, u.*
  from sessions s join users u on u.id = s.user_id where s.token_hash = ?
union all
select 'token', t.id, t.token_hash, t.expires_at, t.last_used_at, t.created_at, null, null, null, null,
       t.description, t.key_prefix, u.*
  from api_tokens t join users u on u.id = t.user_id where t.token_hash = ?`;

/** The session or API token whose hash is `tokenHash`, with its user; null when none. */
export async function findBearer(db: Database, tokenHash: string): Promise<BearerMatch | null> {
  const rows = await preparedReader(db).all(BEARER_SQL, [tokenHash, tokenHash]);
  return rows[0] ? bearerMatch(rows[0]) : null;
}

/**
 * `findBearer`, and in the same statement whether its user holds `permission` globally
 * (`holdsPermission`'s rule, from the same snapshot): one round trip for a door that asks for
 * one permission on every request.
 */
export async function findBearerHolding(db: Database, tokenHash: string, permission: string): Promise<(BearerMatch & { holds: boolean }) | null> {
  const rows = await preparedReader(db).all(BEARER_HOLDING_SQL, [tokenHash, tokenHash, true, permission, permission]);
  const r = rows[0];
  return r ? { ...bearerMatch(r), holds: Number(r.c_holds) === 1 } : null;
}

function bearerMatch(r: Row): BearerMatch {
  const user = rowToUser(r);
  if (r.c_kind === 'session') {
    return {
      kind: 'session', tokenHash: String(r.c_token_hash), user,
      session: {
        id: String(r.c_id), userId: user.id, impersonatorId: (r.c_impersonator_id as string) ?? null,
        impersonationReason: (r.c_reason as string) ?? null, clientIp: (r.c_client_ip as string) ?? null,
        userAgent: (r.c_user_agent as string) ?? null, createdAt: toDate(r.c_created_at)!,
        expiresAt: toDate(r.c_expires_at)!, lastUsedAt: toDate(r.c_last_used_at),
      },
    };
  }
  return {
    kind: 'token', tokenHash: String(r.c_token_hash), user,
    token: {
      id: String(r.c_id), userId: user.id, description: String(r.c_description ?? ''), keyPrefix: String(r.c_key_prefix ?? ''),
      createdAt: toDate(r.c_created_at)!, expiresAt: toDate(r.c_expires_at), lastUsedAt: toDate(r.c_last_used_at),
    },
  };
}

// The user's groups and all their ancestors, then: a superuser group, or the permission through
// a role held directly or by any of those groups. `user` is the SQL of the user's id; the
// bindings are the superuser flag (true), then the permission twice.
const closureSql = (user: string) => `closure(id) as (
  select group_id from group_members where user_id = ${user}
  union select p.parent_id from group_parents p join closure c on p.group_id = c.id
)`;
// The superuser test looks each closure group up by id (a scalar subquery PostgreSQL cannot turn
// into a join): as a semi join it read every group in a sequential scan, ~0.2 ms per request at 1000 groups.
const holdsSql = (user: string) => `case
  when exists (select 1 from closure c where (select g.is_superuser from groups g where g.id = c.id) = ?) then 1
  when exists (select 1 from user_roles ur join role_permissions rp on rp.role_id = ur.role_id
               where ur.user_id = ${user} and rp.permission = ?) then 1
  when exists (select 1 from group_roles gr join role_permissions rp on rp.role_id = gr.role_id
               where rp.permission = ? and gr.group_id in (select id from closure)) then 1
  else 0 end`;

const PERMISSION_SQL = `with recursive ${closureSql('?')} select ${holdsSql('?')} as ok`;

// BEARER_SQL's match (a session before a token, were a hash ever both) and holdsSql for its user.
const BEARER_CTES = `b as (
  select 'session' as c_kind, s.user_id as c_user_id, s.id as c_id, s.token_hash as c_token_hash, s.expires_at as c_expires_at,
         s.last_used_at as c_last_used_at, s.created_at as c_created_at, s.impersonator_id as c_impersonator_id,
         s.impersonation_reason as c_reason, s.client_ip as c_client_ip, s.user_agent as c_user_agent,
         null as c_description, null as c_key_prefix
    from sessions s where s.token_hash = ?
  union all
  select 'token', t.user_id, t.id, t.token_hash, t.expires_at, t.last_used_at, t.created_at, null, null, null, null,
         t.description, t.key_prefix
    from api_tokens t where t.token_hash = ?
), m as (select * from b order by c_kind limit 1),
${closureSql('(select c_user_id from m)')}`;
const BEARER_HOLDING_SELECT = `select m.*, u.*, ${holdsSql('m.c_user_id')} as c_holds from m join users u on u.id = m.c_user_id`;
const BEARER_HOLDING_SQL = `with recursive ${BEARER_CTES}\n${BEARER_HOLDING_SELECT}`;

/** What a read that checks its bearer in the same statement needs (`bearerGuardCtes`). */
export interface BearerGuard {
  readonly tokenHash: string;
  readonly permission: string;
}

/**
 * `findBearerHolding`'s statement as common table expressions ending in `a` (at most one row:
 * the bearer's columns, its user's, `c_holds`), for a PostgreSQL statement that reads something
 * else with it: `with recursive ${sql} select …`. Its bindings come before the rest.
 */
export function bearerGuardCtes(guard: BearerGuard): { sql: string; bindings: unknown[] } {
  return {
    sql: `${BEARER_CTES},\na as (${BEARER_HOLDING_SELECT})`,
    bindings: [guard.tokenHash, guard.tokenHash, true, guard.permission, guard.permission],
  };
}

/** The bearer from `row_to_json(a)` of `bearerGuardCtes` (PostgreSQL parses the JSON); null when there is none. */
export function bearerFromJson(v: unknown): (BearerMatch & { holds: boolean }) | null {
  if (!v || typeof v !== 'object') return null;
  const r = v as Row;
  return { ...bearerMatch(r), holds: Number(r.c_holds) === 1 };
}

/** True when the user is a superuser or holds `permission` through a role. */
export async function holdsPermission(db: Database, userId: string, permission: string): Promise<boolean> {
  const rows: Row[] = await preparedReader(db).all(PERMISSION_SQL, [userId, true, userId, permission, permission]);
  return Number(rows[0]?.ok ?? 0) === 1;
}
