/**
 * The reads behind LDAP search and bind, each ONE prepared statement (see prepared.ts): user
 * entries with their direct group names (memberOf) and the superuser flag computed in the same
 * statement as correlated subqueries, and a bind principal (row, password hash, superuser flag,
 * permissions) by one indexed lookup. Nothing is cached but compiled statements, so every
 * search and bind sees the current state of the database, whichever door or instance wrote it.
 */
import type { Permission } from '../domain/permissions.js';
import type { Group, User } from '../domain/types.js';

const FULL_DIRECTORY: Permission = 'ldap.search_full_directory';
import { compileOrderBy, compileWhere, keysetAfter, parseOrdering } from '../query/sql.js';
import type { Ordering } from '../query/sql.js';
import type { Validated } from '../query/validate.js';
import type { Database, Dialect } from './database.js';
import { preparedReader, type Row } from './prepared.js';
import { fold, isUuid, rowToGroup, rowToUser, toBool } from './rows.js';

/** The `users` columns read (explicit, so a prepared plan never depends on `*`). */
const USER_COLUMNS = [
  'seq', 'id', 'username', 'username_ci', 'name', 'name_ci', 'email', 'email_ci', 'path', 'type', 'is_active', 'attributes',
  'external_id', 'last_login', 'password_changed_at', 'created_at', 'updated_at', 'version',
] as const;

/**
 * A user from a row array in USER_COLUMNS order followed by dg_has_password, through the one
 * mapping (rowToUser); arrays cost less to fetch than objects with 19 named columns.
 */
function userOf(a: readonly unknown[]): User {
  return rowToUser({
    seq: a[0], id: a[1], username: a[2], name: a[4], email: a[6], path: a[8], type: a[9], is_active: a[10], attributes: a[11],
    external_id: a[12], last_login: a[13], password_changed_at: a[14], created_at: a[15], updated_at: a[16], version: a[17],
    // rowToUser derives hasPassword from password_hash, which is never selected here.
    password_hash: toBool(a[18]) ? '*' : null,
  });
}

function userColumns(alias: string): string {
  return USER_COLUMNS.map((c) => `${alias}.${c}`).join(', ');
}

function trueLiteral(dialect: Dialect): string {
  return dialect === 'pg' ? 'TRUE' : '1';
}

/** Names of the groups `<alias>.id` belongs to directly, ordered by name (ignoring case). */
function memberOfSql(dialect: Dialect, alias: string): string {
  return nameList(dialect, 'lg.name', `FROM group_members lm JOIN groups lg ON lg.id = lm.group_id WHERE lm.user_id = ${alias}.id`, 'lg.name_ci');
}

/** Whether `<alias>.id` is in a superuser group, directly or through parent groups. */
function superuserSql(dialect: Dialect, alias: string): string {
  return `EXISTS (WITH RECURSIVE ls(id) AS (SELECT lsm.group_id FROM group_members lsm WHERE lsm.user_id = ${alias}.id`
    + ' UNION SELECT lsp.parent_id FROM group_parents lsp JOIN ls ON lsp.group_id = ls.id)'
    + ` SELECT 1 FROM ls JOIN groups lsg ON lsg.id = ls.id WHERE lsg.is_superuser = ${trueLiteral(dialect)})`;
}

function textList(v: unknown): string[] {
  if (v === null || v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  const parsed: unknown = JSON.parse(String(v));
  return Array.isArray(parsed) ? parsed.map(String) : [];
}

/** A user as an LDAP entry needs it. */
export interface LdapUserRecord {
  readonly user: User;
  /** Names of the direct groups, or null when not asked for. */
  readonly memberOf: readonly string[] | null;
  /** Member of a superuser group at any depth, or null when not asked for. */
  readonly superuser: boolean | null;
  /** The ordering key columns, for a keyset continuation. */
  readonly key: Row;
}

/** What every LDAP page read takes: order, size, keyset continuation, the bound identity's guard. */
interface LdapPage {
  readonly ordering?: Ordering;
  readonly limit: number;
  readonly after?: Row;
  readonly guard?: IdentityGuard;
}

/** ` WHERE … ORDER BY … LIMIT n` for one page of `entity`, with its bindings. */
function pageTail(dialect: Dialect, v: Validated, entity: 'users' | 'groups', ordering: Ordering, page: LdapPage): { sql: string; bindings: unknown[] } {
  const where = compileWhere(v, dialect, entity);
  const bindings = [...where.bindings];
  let sql = ` WHERE (${where.sql})`;
  if (page.after) {
    const k = keysetAfter(ordering, page.after, entity);
    sql += ` AND (${k.sql})`;
    bindings.push(...k.bindings);
  }
  if (page.guard) {
    sql += ` AND (${guardSql(dialect, page.guard.fullAccess)})`;
    bindings.push(page.guard.id, page.guard.username);
  }
  // A literal LIMIT: SQLite plans a bound one less well, and the values in use are few.
  if (!Number.isSafeInteger(page.limit) || page.limit < 0) throw new Error(`bad limit ${page.limit}`);
  sql += ` ORDER BY ${compileOrderBy(ordering, entity)} LIMIT ${page.limit}`;
  return { sql, bindings };
}

export interface LdapUserSelect extends LdapPage {
  readonly memberOf: boolean;
  readonly superuser: boolean;
}

const heads = new Map<string, string>();

/** `SELECT <columns> FROM users` with the optional computed columns. */
function selectHead(dialect: Dialect, memberOf: boolean, superuser: boolean): string {
  const k = `${dialect}:${memberOf}:${superuser}`;
  let head = heads.get(k);
  if (head === undefined) {
    head = `SELECT ${userColumns('users')}, (users.password_hash IS NOT NULL AND users.password_hash <> '') AS dg_has_password`;
    if (memberOf) head += `, ${memberOfSql(dialect, 'users')} AS dg_member_of`;
    if (superuser) head += `, ${superuserSql(dialect, 'users')} AS dg_superuser`;
    head += ' FROM users';
    heads.set(k, head);
  }
  return head;
}

/** Users matching `v` in `ordering` (keyset after `after`), in one prepared statement. */
export async function selectLdapUsers(db: Database, v: Validated, opts: LdapUserSelect): Promise<LdapUserRecord[]> {
  const ordering = opts.ordering ?? parseOrdering('', 'users');
  const tail = pageTail(db.dialect, v, 'users', ordering, opts);
  const sql = selectHead(db.dialect, opts.memberOf, opts.superuser) + tail.sql;
  const bindings = tail.bindings;
  const rows = await preparedReader(db).arrays(sql, bindings);
  const keyAt = ordering.keys.map((k) => {
    const i = USER_COLUMNS.indexOf(k.column as (typeof USER_COLUMNS)[number]);
    if (i < 0) throw new Error(`ordering column ${k.column} is not selected`);
    return i;
  });
  const extra = USER_COLUMNS.length + 1;
  return rows.map((a) => {
    const key: Row = {};
    ordering.keys.forEach((k, i) => { key[k.column] = a[keyAt[i]!]; });
    return {
      user: userOf(a),
      memberOf: opts.memberOf ? textList(a[extra]) : null,
      superuser: opts.superuser ? toBool(a[opts.memberOf ? extra + 1 : extra]) : null,
      key,
    };
  });
}

const GROUP_COLUMNS = ['seq', 'id', 'name', 'name_ci', 'is_superuser', 'attributes', 'external_id', 'created_at', 'updated_at', 'version'] as const;

/** `json_group_array` (SQLite) or `ARRAY` (PostgreSQL) of `expr` over `from`, ordered. */
function nameList(dialect: Dialect, expr: string, from: string, order: string): string {
  return dialect === 'pg' ? `ARRAY(SELECT ${expr} ${from} ORDER BY ${order})` : `(SELECT json_group_array(${expr} ORDER BY ${order}) ${from})`;
}

/** A group as an LDAP entry needs it. */
export interface LdapGroupRecord {
  readonly group: Group;
  /** Usernames of the member users (seq order), or null when not asked for. */
  readonly memberUsers: readonly string[] | null;
  /** Names of the child groups, or null when not asked for. */
  readonly memberGroups: readonly string[] | null;
  /** Names of the parent groups, or null when not asked for. */
  readonly parents: readonly string[] | null;
  readonly key: Row;
}

export interface LdapGroupSelect extends LdapPage {
  readonly memberUsers: boolean;
  readonly memberGroups: boolean;
  readonly parents: boolean;
}

const groupHeads = new Map<string, string>();

function groupHead(dialect: Dialect, o: LdapGroupSelect): string {
  const k = `${dialect}:${o.memberUsers}:${o.memberGroups}:${o.parents}`;
  let head = groupHeads.get(k);
  if (head === undefined) {
    head = `SELECT ${GROUP_COLUMNS.map((c) => `groups.${c}`).join(', ')}`;
    if (o.memberUsers) head += `, ${nameList(dialect, 'lu.username', 'FROM group_members lm JOIN users lu ON lu.id = lm.user_id WHERE lm.group_id = groups.id', 'lu.seq')} AS dg_member_users`;
    if (o.memberGroups) head += `, ${nameList(dialect, 'lc.name', 'FROM group_parents lp JOIN groups lc ON lc.id = lp.group_id WHERE lp.parent_id = groups.id', 'lc.name_ci')} AS dg_member_groups`;
    if (o.parents) head += `, ${nameList(dialect, 'la.name', 'FROM group_parents lq JOIN groups la ON la.id = lq.parent_id WHERE lq.group_id = groups.id', 'la.name_ci')} AS dg_parents`;
    head += ' FROM groups';
    groupHeads.set(k, head);
  }
  return head;
}

/** Groups matching `v` in `ordering` (keyset after `after`) with the member and parent names asked for, in one prepared statement. */
export async function selectLdapGroups(db: Database, v: Validated, opts: LdapGroupSelect): Promise<LdapGroupRecord[]> {
  const ordering = opts.ordering ?? parseOrdering('', 'groups');
  const tail = pageTail(db.dialect, v, 'groups', ordering, opts);
  const sql = groupHead(db.dialect, opts) + tail.sql;
  const bindings = tail.bindings;
  const rows = await preparedReader(db).all(sql, bindings);
  return rows.map((r) => {
    const key: Row = {};
    for (const k of ordering.keys) key[k.column] = r[k.column];
    return {
      group: rowToGroup(r),
      memberUsers: opts.memberUsers ? textList(r.dg_member_users) : null,
      memberGroups: opts.memberGroups ? textList(r.dg_member_groups) : null,
      parents: opts.parents ? textList(r.dg_parents) : null,
      key,
    };
  });
}

/** A user about to bind or act over LDAP, with what decides what it may see. */
export interface LdapPrincipal {
  readonly user: User;
  readonly passwordHash: string | null;
  /** Superuser, or holder of `ldap.search_full_directory` (directly, or via groups and their parents). */
  readonly fullAccess: boolean;
  /** The account has a confirmed TOTP authenticator. */
  readonly hasTotp: boolean;
}

const principalCache = new Map<string, string>();

function principalSql(dialect: Dialect, by: 'username' | 'id' | 'check'): string {
  const k = `${dialect}:${by}`;
  let sql = principalCache.get(k);
  if (sql === undefined) {
    sql = buildPrincipalSql(dialect, by);
    principalCache.set(k, sql);
  }
  return sql;
}

/**
 * The closure walk is a correlated subquery (evaluated lazily, stopping at the first hit) rather
 * than a top-level CTE, which SQLite materializes per use: measured 20 µs against 300 µs.
 */
/** Whether the user row aliased `u` is a superuser or holds ldap.search_full_directory (directly or via groups and parents). */
function fullAccessSql(dialect: Dialect): string {
  const t = trueLiteral(dialect);
  const perm = `'${FULL_DIRECTORY}'`;
  const viaGroups = 'EXISTS (WITH RECURSIVE pc(id) AS (SELECT pm.group_id FROM group_members pm WHERE pm.user_id = u.id'
    + ' UNION SELECT pp.parent_id FROM group_parents pp JOIN pc ON pp.group_id = pc.id)'
    + ` SELECT 1 FROM pc CROSS JOIN groups pg WHERE pg.id = pc.id AND (pg.is_superuser = ${t}`
    + ` OR EXISTS (SELECT 1 FROM group_roles pgr CROSS JOIN role_permissions prp WHERE pgr.group_id = pc.id AND prp.role_id = pgr.role_id AND prp.permission = ${perm})))`;
  const direct = 'EXISTS (SELECT 1 FROM user_roles pur CROSS JOIN role_permissions prp'
    + ` WHERE pur.user_id = u.id AND prp.role_id = pur.role_id AND prp.permission = ${perm})`;
  return `(${viaGroups} OR ${direct})`;
}

function buildPrincipalSql(dialect: Dialect, by: 'username' | 'id' | 'check'): string {
  const t = trueLiteral(dialect);
  const full = fullAccessSql(dialect);
  if (by === 'check') return `SELECT ${full} AS dg_full_access FROM users u WHERE u.id = ? AND u.username = ? AND u.is_active = ${t}`;
  // What a cached bind must know besides the password comes in the same statement: the lock, the
  // change-after-reset flag and whether TOTP applies.
  const totp = `EXISTS (SELECT 1 FROM mfa_authenticators m WHERE m.user_id = u.id AND m.type = 'totp' AND m.confirmed = ${t})`;
  return `SELECT ${userColumns('u')}, u.password_hash, u.locked_until, u.password_must_change, ${full} AS dg_full_access, ${totp} AS dg_has_totp`
    + ` FROM users u WHERE u.${by === 'id' ? 'id' : 'username_ci'} = ?`;
}

/**
 * An identity a search statement verifies itself: its rows come back only while the user
 * `id` still exists under `username`, is active, and has (or lacks) full visibility as
 * `fullAccess` says. Saves the separate re-check (a round trip on PostgreSQL) whenever the
 * statement returns rows; an empty result says nothing, and the caller re-checks then.
 */
export interface IdentityGuard {
  readonly id: string;
  readonly username: string;
  readonly fullAccess: boolean;
}

const guards = new Map<string, string>();

function guardSql(dialect: Dialect, fullAccess: boolean): string {
  const k = `${dialect}:${fullAccess}`;
  let sql = guards.get(k);
  if (sql === undefined) {
    // A scalar subquery, not EXISTS: SQLite turns an EXISTS into a join and then evaluated the
    // visibility walk as a correlated subquery (300 µs against 60 µs); this runs once per statement.
    sql = `(SELECT 1 FROM users u WHERE u.id = ? AND u.username = ? AND u.is_active = ${trueLiteral(dialect)}`
      + ` AND ${fullAccess ? '' : 'NOT '}${fullAccessSql(dialect)} LIMIT 1) = 1`;
    guards.set(k, sql);
  }
  return sql;
}

/**
 * Whether the user `id` still exists under `username`, is active, and whether it has full LDAP
 * visibility: null when it can no longer act. One indexed lookup, no row mapping; run before
 * every LDAP operation of a bound connection.
 */
export async function checkLdapPrincipal(db: Database, id: string, username: string): Promise<{ fullAccess: boolean } | null> {
  if (!isUuid(id)) return null;
  const rows = await preparedReader(db).all(principalSql(db.dialect, 'check'), [id, username]);
  return rows[0] ? { fullAccess: toBool(rows[0].dg_full_access) } : null;
}

/** The user named (case-insensitively) or identified, with its password hash and LDAP visibility; one statement. */
export async function findLdapPrincipal(db: Database, by: { username: string } | { id: string }): Promise<LdapPrincipal | null> {
  let key: string;
  let sql: string;
  if ('id' in by) {
    if (!isUuid(by.id)) return null;
    key = by.id;
    sql = principalSql(db.dialect, 'id');
  } else {
    key = fold(by.username);
    sql = principalSql(db.dialect, 'username');
  }
  const rows = await preparedReader(db).all(sql, [key]);
  const r = rows[0];
  if (!r) return null;
  return { user: rowToUser(r), passwordHash: (r.password_hash as string | null) ?? null, fullAccess: toBool(r.dg_full_access), hasTotp: toBool(r.dg_has_totp) };
}

/**
 * How the database orders the text columns LDAP sorts on (the `*_ci` shadow columns, which
 * use the database's default collation): `codepoint` when that is byte order of UTF-8 (SQLite's
 * BINARY; PostgreSQL's C, POSIX and C.UTF-8), else `database` (a linguistic collation, which
 * only the database itself can apply: see sortTextsLikeDatabase). Asked once per database.
 */
export async function textCollation(db: Database): Promise<'codepoint' | 'database'> {
  if (db.dialect !== 'pg') return 'codepoint';
  let known = collations.get(db);
  if (known === undefined) {
    const rows = await preparedReader(db).all(
      "SELECT datcollate, to_jsonb(d) ->> 'datlocprovider' AS provider FROM pg_database d WHERE datname = current_database()", []);
    const collate = String(rows[0]?.datcollate ?? '');
    const provider = rows[0]?.provider === undefined || rows[0]?.provider === null ? 'c' : String(rows[0].provider);
    known = (provider === 'c' || provider === 'b') && /^(C|POSIX|C\.UTF-?8)$/i.test(collate) ? 'codepoint' : 'database';
    collations.set(db, known);
  }
  return known;
}
const collations = new WeakMap<Database, 'codepoint' | 'database'>();

/** `values` (distinct) in the order the database's default text collation puts them; one statement. */
export async function sortTextsLikeDatabase(db: Database, values: readonly string[]): Promise<string[]> {
  if (values.length < 2) return [...values];
  if (db.dialect !== 'pg') return [...values].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
  const rows = await preparedReader(db).all('SELECT v FROM unnest(CAST(? AS text[])) AS t(v) ORDER BY v', [values]);
  return rows.map((r) => String(r.v));
}
