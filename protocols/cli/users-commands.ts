import type { Command } from 'commander';
import { userShape } from '../../src/domain/shapes.js';
import type { User } from '../../src/domain/types.js';
import { parseAdminQuery } from '../../src/query/admin-query.js';
import { parseOrdering } from '../../src/query/ordering.js';
import { CLI_ACTOR, print, Refused, table, tsvRow, type CliContext } from './context.js';
import { passwordFrom } from './password-input.js';

const LIST_HEADER = ['username', 'name', 'email', 'is_active', 'type', 'path', 'id'] as const;
const listRow = (u: User) => [u.username, u.name, u.email, u.isActive, u.type, u.path, u.id];

/** `dirgate users …`: the admin API's user jobs, for scripts. */
export function usersCommands(program: Command, ctx: CliContext): void {
  const users = program.command('users').description('list, create, show and change users');

  users.command('list')
    .description('the users matching a query (all users without --search), streamed page by page')
    .option('--search <query>', 'query language, e.g. \'is_active = True and email endswith "@corp.com"\'', '')
    .option('--ordering <fields>', 'e.g. username or -last_login,username', 'username')
    .option('--json', 'one JSON array of users (the admin API\'s shape)')
    .action(async (o: { search: string; ordering: string; json?: boolean }) => {
      const services = await ctx.services();
      const v = parseAdminQuery(o.search, 'users', services.config.query);
      const ordering = parseOrdering(o.ordering, 'users');
      let n = 0;
      if (o.json) ctx.out.write('[');
      else ctx.out.write(`${LIST_HEADER.join('\t')}\n`);
      for await (const page of services.users.stream(v, ordering)) {
        for (const u of page) {
          if (o.json) ctx.out.write(`${n ? ',' : ''}\n  ${JSON.stringify(userShape(u))}`);
          else ctx.out.write(`${tsvRow(listRow(u))}\n`);
          n++;
        }
      }
      if (o.json) ctx.out.write(n ? '\n]\n' : ']\n');
      else ctx.err.write(`${n} user${n === 1 ? '' : 's'}\n`);
    });

  users.command('create <username>')
    .description('a new user')
    .option('--email <email>')
    .option('--name <name>')
    .option('--path <path>', 'folder, e.g. users/sales')
    .option('--type <type>', 'internal, external, service_account or internal_service_account')
    .option('--password <password>', 'initial password (see --password-stdin)')
    .option('--password-stdin', 'read the initial password from the first line of stdin')
    .option('--inactive', 'create the user deactivated')
    .option('--json', 'print the user as JSON')
    .action(async (username: string, o: { email?: string; name?: string; path?: string; type?: string; password?: string; passwordStdin?: boolean; inactive?: boolean; json?: boolean }) => {
      const services = await ctx.services();
      const password = await passwordFrom(o);
      const user = await services.users.create({
        username,
        ...(o.email !== undefined ? { email: o.email } : {}),
        ...(o.name !== undefined ? { name: o.name } : {}),
        ...(o.path !== undefined ? { path: o.path } : {}),
        ...(o.type !== undefined ? { type: o.type } : {}),
        ...(password !== undefined ? { password } : {}),
        ...(o.inactive ? { isActive: false } : {}),
      }, CLI_ACTOR);
      print(ctx, !!o.json, userShape(user), () => `created user ${user.username} (${user.id})`);
    });

  users.command('show <user>')
    .description('one user (by username or id), with its groups')
    .option('--json', 'print as JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const services = await ctx.services();
      const user = await services.users.resolve(ref);
      const groups = (await services.users.groupsOf([user.id])).get(user.id) ?? [];
      const shape = { ...userShape(user), groups: groups.map((g) => g.name) };
      print(ctx, !!o.json, shape, () => table(['field', 'value'], Object.entries(shape).map(([k, v]) => [k, typeof v === 'object' && v !== null ? JSON.stringify(v) : v])));
    });

  users.command('set-password <user>')
    .description('set a user\'s password (the password policy applies)')
    .option('--password <password>')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (ref: string, o: { password?: string; passwordStdin?: boolean }) => {
      const password = await passwordFrom(o);
      if (password === undefined) throw new Refused('set-password needs --password or --password-stdin');
      const services = await ctx.services();
      const user = await services.users.resolve(ref);
      await services.users.setPassword(user.id, password, CLI_ACTOR);
      ctx.err.write(`password set for ${user.username}\n`);
    });

  for (const [name, active] of [['deactivate', false], ['activate', true]] as const) {
    users.command(`${name} <user>`)
      .description(active ? 'let a deactivated user in again' : 'lock a user out of every door at once (sessions revoked)')
      .action(async (ref: string) => {
        const services = await ctx.services();
        const user = await services.users.resolve(ref);
        await services.users.update(user.id, { isActive: active }, CLI_ACTOR);
        ctx.err.write(`${user.username} ${active ? 'activated' : 'deactivated'}\n`);
      });
  }

  users.command('delete <user>')
    .description('delete a user')
    .action(async (ref: string) => {
      const services = await ctx.services();
      const user = await services.users.resolve(ref);
      await services.users.delete(user.id, CLI_ACTOR);
      ctx.err.write(`deleted ${user.username}\n`);
    });

  users.command('recovery-link <user>')
    .description('a one-time link where the user sets a new password (printed on stdout)')
    .option('--json', 'print {link, expires} as JSON')
    .action(async (ref: string, o: { json?: boolean }) => {
      const services = await ctx.services();
      const user = await services.users.resolve(ref);
      const link = await services.recovery.createLink(user.id, CLI_ACTOR);
      print(ctx, !!o.json, { link: link.link, expires: link.expires.toISOString() }, () => link.link);
    });
}
