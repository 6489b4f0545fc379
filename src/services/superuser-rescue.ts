/**
 * The way back in when nobody can sign in (`dirgate create-superuser`): an account, active and
 * a member of a superuser group, with a one-time recovery link or the password given.
 */
import type { Actor, Group, User } from '../domain/types.js';
import { compare } from '../query/ast.js';
import { DEFAULT_QUERY_LIMITS, validate } from '../query/validate.js';
import type { Database } from '../store/database.js';
import { recordEvent } from './events.js';
import type { GroupService } from './groups.js';
import type { RecoveryLink, RecoveryService } from './recovery.js';
import { joining, type TxOptions } from './transactions.js';
import type { UserService } from './users.js';

export interface Rescued {
  readonly user: User;
  readonly created: boolean;
  readonly group: Group;
  /** The recovery link, when no password was given. */
  readonly link: RecoveryLink | null;
}

export class SuperuserRescue {
  constructor(
    private readonly db: Database,
    private readonly users: UserService,
    private readonly groups: GroupService,
    private readonly recovery: RecoveryService,
  ) {}

  /**
   * Creates `username` (or reactivates it), adds it to a superuser group (`admins`, created when
   * no group grants superuser) and sets `password` or makes a recovery link. Records
   * `superuser_created`. @throws InvalidValue (username, password policy)
   */
  async createSuperuser(username: string, password: string | undefined, actor: Actor): Promise<Rescued> {
    if (password !== undefined) await this.users.checkPasswordPolicy(password);
    const { user, created, group } = await this.db.transaction(async (trx) => {
      const opts = joining(trx);
      const existing = await this.users.findByUsername(username, opts);
      const u = existing
        ? (existing.isActive ? existing : await this.users.update(existing.id, { isActive: true }, actor, opts))
        : await this.users.create({ username, type: 'internal' }, actor, opts);
      const g = await this.superuserGroup(actor, opts);
      if (!(await this.groups.memberIds(g.id, opts)).includes(u.id)) await this.groups.changeMembers(g.id, { addUsers: [u.id] }, actor, opts);
      await recordEvent(trx, actor, 'superuser_created', { type: 'user', id: u.id }, { username: u.username, group: g.name, created: !existing });
      return { user: u, created: !existing, group: g };
    });
    if (password !== undefined) {
      await this.users.setPassword(user.id, password, actor);
      return { user, created, group, link: null };
    }
    return { user, created, group, link: await this.recovery.createLink(user.id, actor) };
  }

  /** `admins` when it grants superuser, else the first flagged group, else a new one. */
  private async superuserGroup(actor: Actor, opts: TxOptions): Promise<Group> {
    const admins = await this.groups.findByName('admins', opts);
    if (admins?.isSuperuser) return admins;
    const flagged = await this.groups.list(validate(compare('is_superuser', 'eq', true), 'groups', DEFAULT_QUERY_LIMITS), { limit: 1, offset: 0, ...opts });
    if (flagged.groups[0]) return flagged.groups[0];
    return this.groups.create({ name: admins ? 'superusers' : 'admins', isSuperuser: true }, actor, opts);
  }
}
