import type { Command } from 'commander';
import { CLI_ACTOR, print, Refused, type CliContext } from './context.js';

/** `dirgate tokens create`: an API token for a user; the key is printed once and stored only as a hash. */
export function tokensCommands(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('API tokens');
  tokens.command('create <user>')
    .description('a new API token for a user (by username or id); the key is printed once on stdout')
    .option('--description <text>', 'what the token is for', 'created with the command line')
    .option('--expires-days <days>', 'expire after this many days (default: never)')
    .option('--json', 'print {id, key, key_prefix, expires} as JSON')
    .action(async (ref: string, o: { description: string; expiresDays?: string; json?: boolean }) => {
      let expiresAt: Date | null = null;
      if (o.expiresDays !== undefined) {
        const days = Number(o.expiresDays);
        if (!Number.isInteger(days) || days < 1) throw new Refused('--expires-days must be a whole number of days, at least 1');
        expiresAt = new Date(Date.now() + days * 86_400_000);
      }
      const services = await ctx.services();
      const user = await services.users.resolve(ref);
      const { key, token } = await services.auth.createToken(user.id, { description: o.description, expiresAt }, CLI_ACTOR);
      print(ctx, !!o.json, { id: token.id, key, key_prefix: token.keyPrefix, expires: token.expiresAt?.toISOString() ?? null }, () => key);
    });
}
