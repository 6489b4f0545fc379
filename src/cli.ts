#!/usr/bin/env node
/**
 * The command line's composition root (like main.ts for the server): loads the configuration,
 * opens the configured store's services only when a command needs them (services/open.ts refuses
 * to create a new empty store unless `--init` is given), and runs the command-line door
 * (protocols/cli). Like main.ts it is allowed to import both src/ and a door.
 */
import { ConfigError, loadConfig } from './config.js';
import type { Services } from './services/index.js';
import { openServices } from './services/open.js';
import type { CliContext } from '../protocols/cli/context.js';
import { buildProgram, runCli } from '../protocols/cli/program.js';

async function main(argv: string[]): Promise<number> {
  let opened: { services: Services; close: () => Promise<void> } | null = null;
  const ctx: CliContext = {
    out: process.stdout,
    err: process.stderr,
    async services() {
      opened ??= await openServices(loadConfig(), { poolMax: 4, init: program.opts<{ init?: boolean }>().init === true });
      return opened.services;
    },
  };
  const program = buildProgram(ctx);
  try {
    return await runCli(program, argv, ctx);
  } finally {
    await (opened as { close: () => Promise<void> } | null)?.close();
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: unknown) => {
  process.stderr.write(`dirgate: ${e instanceof ConfigError ? e.message : (e as Error)?.message ?? String(e)}\n`);
  process.exitCode = 1;
});
