import type { Command } from 'commander';
import { CLI_ACTOR, print, type CliContext } from './context.js';
import { passwordFrom } from './password-input.js';

/**
 * `dirgate create-superuser USERNAME`: the way back in when no superuser can sign in. Creates the
 * account (or reactivates an existing one), makes it a member of a superuser group (`admins`) and
 * prints a one-time recovery link, or sets the password given (src/services/superuser-rescue.ts).
 */
export function superuserCommands(program: Command, ctx: CliContext): void {
  program.command('create-superuser <username>')
    .description('create or promote a superuser on the configured store; prints a one-time recovery link unless a password is given')
    .option('--password <password>', 'set this password instead of printing a recovery link (see --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--json', 'print {id, username, created, group, link, expires} as JSON')
    .action(async (username: string, o: { password?: string; passwordStdin?: boolean; json?: boolean }) => {
      const password = await passwordFrom(o);
      const services = await ctx.services();
      const r = await services.rescue.createSuperuser(username, password, CLI_ACTOR);
      const what = `${r.created ? 'created' : 'promoted'} ${r.user.username} (member of ${r.group.name}, superuser)`;
      print(ctx, !!o.json, {
        id: r.user.id, username: r.user.username, created: r.created, group: r.group.name,
        link: r.link?.link ?? null, expires: r.link?.expires.toISOString() ?? null,
      }, () => (r.link
        ? `${what}\nset its password within ${Math.round((r.link.expires.getTime() - Date.now()) / 60000)} minutes, once, at:\n${r.link.link}`
        : `${what}; the password is set`));
    });
}
