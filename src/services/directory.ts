/**
 * The directory as LDAP reads it (and, later, the console's lists and LDAP writes): entries of
 * users and groups, each page one prepared statement (store/ldap-read-store.ts), always
 * narrowed to what the viewer may see (visibility.ts). The LDAP door asks this service and
 * never the store.
 */
import type { Config } from '../config.js';
import { compare } from '../query/ast.js';
import type { Ordering } from '../query/ordering.js';
import { matchAll, restrict, type Validated } from '../query/validate.js';
import type { Database } from '../store/database.js';
import {
  selectLdapGroups, selectLdapUsers, sortTextsLikeDatabase, textCollation,
  type LdapGroupRecord, type LdapUserRecord,
} from '../store/ldap-read-store.js';
import { preparedReader } from '../store/prepared.js';
import type { AuthService } from './auth.js';
import { BindVerifier, type BindCacheShare } from './bind-cache.js';
import { restrictToViewer, type Viewer } from './visibility.js';

export type { LdapGroupRecord, LdapPrincipal, LdapUserRecord } from '../store/ldap-read-store.js';
export type { Viewer } from './visibility.js';

/** Where a keyset page continues: the ordering key columns of the last entry taken. */
export type KeysetPosition = Readonly<Record<string, unknown>>;

/** One keyset page of a list. */
export interface DirectoryPage {
  readonly ordering?: Ordering;
  readonly limit: number;
  readonly after?: KeysetPosition | null;
  /**
   * The statement itself checks that the viewer still exists under its username, is active and
   * still has (or lacks) full access; its rows come back only then. An empty page says nothing
   * about the viewer: check it separately.
   */
  readonly checkViewer?: boolean;
}

/** What a user entry carries besides its row. */
export interface UserParts {
  /** Names of the direct groups (memberOf). */
  readonly memberOf: boolean;
  /** Whether the user is a superuser through any group. */
  readonly superuser: boolean;
}

/** What a group entry carries besides its row. */
export interface GroupParts {
  readonly memberUsers: boolean;
  readonly memberGroups: boolean;
  readonly parents: boolean;
}

/** How the database orders the text columns entries sort on (see ldap-read-store.ts textCollation). */
export type TextOrder = 'codepoint' | 'database';

export class DirectoryService {
  constructor(
    private readonly db: Database, private readonly auth: AuthService, private readonly config: Config,
    /** Worker processes of one instance share their bind caches through this (src/supervisor.ts). */
    private readonly bindCacheShare: BindCacheShare | null = null,
  ) {}

  /**
   * A text that changes whenever anything commits to the database, from any connection of any
   * process or instance (SQLite: one pragma; PostgreSQL: one round trip); null when the store
   * cannot tell (`:memory:`). What was read after it had a value is still the database's while
   * it keeps that value. @throws Unavailable
   */
  snapshot(): Promise<string | null> {
    return preparedReader(this.db).snapshot();
  }

  /** Users matching `v` that the viewer may see, one keyset page. @throws Unavailable */
  async users(viewer: Viewer, v: Validated, page: DirectoryPage & UserParts): Promise<LdapUserRecord[]> {
    return selectLdapUsers(this.db, restrictToViewer(v, viewer), {
      ...(page.ordering ? { ordering: page.ordering } : {}), limit: page.limit, ...(page.after ? { after: { ...page.after } } : {}),
      ...(page.checkViewer ? { guard: viewer } : {}), memberOf: page.memberOf, superuser: page.superuser,
    });
  }

  /** Groups matching `v` that the viewer may see, one keyset page. @throws Unavailable */
  async groups(viewer: Viewer, v: Validated, page: DirectoryPage & GroupParts): Promise<LdapGroupRecord[]> {
    return selectLdapGroups(this.db, restrictToViewer(v, viewer), {
      ...(page.ordering ? { ordering: page.ordering } : {}), limit: page.limit, ...(page.after ? { after: { ...page.after } } : {}),
      ...(page.checkViewer ? { guard: viewer } : {}),
      memberUsers: page.memberUsers, memberGroups: page.memberGroups, parents: page.parents,
    });
  }

  /** The user named (ignoring case), when the viewer may see it. @throws Unavailable */
  async user(viewer: Viewer, username: string, parts: UserParts): Promise<LdapUserRecord | null> {
    const [r] = await this.users(viewer, restrict(matchAll('users'), compare('username', 'eq', username)), { limit: 1, ...parts });
    return r ?? null;
  }

  /** The group named (ignoring case), when the viewer may see it. @throws Unavailable */
  async group(viewer: Viewer, name: string, parts: GroupParts): Promise<LdapGroupRecord | null> {
    const [r] = await this.groups(viewer, restrict(matchAll('groups'), compare('name', 'eq', name)), { limit: 1, ...parts });
    return r ?? null;
  }

  /** How the database orders entry texts (asked once per database). */
  textOrder(): Promise<TextOrder> {
    return textCollation(this.db);
  }

  /** `values` (distinct) in the database's own text order, for a `database` text order. */
  sortTexts(values: readonly string[]): Promise<string[]> {
    return sortTextsLikeDatabase(this.db, values);
  }

  /** The LDAP listener's bind verifier (its cache is per listener). */
  bindVerifier(onWriteError: (err: unknown, dropped: number) => void): BindVerifier {
    return new BindVerifier(this.db, this.auth, this.config.ldap.bindCacheTtl, onWriteError, this.bindCacheShare);
  }
}
