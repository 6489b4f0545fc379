import { Command, CommanderError } from 'commander';
import { isDirgateError } from '../../src/domain/errors.js';
import { Refused, type CliContext } from './context.js';
import { groupsCommands } from './groups-commands.js';
import { superuserCommands } from './superuser-commands.js';
import { tokensCommands } from './tokens-commands.js';
import { transferCommands } from './transfer-commands.js';
import { usersCommands } from './users-commands.js';

const EPILOG = `
Works on the configured store: DIRGATE_DATABASE_URL (or DIRGATE_CONFIG / config/default.yaml), the same
as \`npm start\`. A store that does not exist yet is created only with --init.
Exit codes: 0 done, 1 refused (the reason on stderr), 2 usage.`;

/** The command line's commands (DESIGN.md "Command line"); the composition root supplies the context. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('dirgate')
    .description('dirgate\'s command line: users, groups, tokens, export and import on the configured store')
    .option('--init', 'create and migrate the store when it does not exist yet')
    .addHelpText('after', EPILOG)
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (s) => ctx.out.write(s),
      writeErr: (s) => ctx.err.write(s),
    })
    .exitOverride();
  usersCommands(program, ctx);
  groupsCommands(program, ctx);
  tokensCommands(program, ctx);
  transferCommands(program, ctx);
  superuserCommands(program, ctx);
  for (const c of program.commands) {
    c.exitOverride().configureOutput({ writeOut: (s) => ctx.out.write(s), writeErr: (s) => ctx.err.write(s) });
    for (const sub of c.commands) sub.exitOverride().showHelpAfterError('(add --help for usage)');
  }
  return program;
}

/**
 * Runs one command line; resolves to the exit code (0 done, 1 refused, 2 usage) and never throws:
 * a refusal is one line on stderr, never a stack trace.
 */
export async function runCli(program: Command, argv: readonly string[], ctx: CliContext): Promise<number> {
  if (argv.length === 0) {
    ctx.err.write(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') {
        return e.code === 'commander.help' ? 2 : 0;
      }
      return 2; // commander already printed what was wrong with the usage
    }
    if (e instanceof Refused || isDirgateError(e)) {
      ctx.err.write(`dirgate: ${(e as Error).message}\n`);
      return 1;
    }
    throw e;
  }
}
