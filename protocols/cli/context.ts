import type { Writable } from 'node:stream';
import type { Actor } from '../../src/domain/types.js';
import type { Services } from '../../src/services/index.js';

/**
 * What a command gets from the composition root (src/cli.ts): the services of the configured
 * store, opened on first use (so `--help` and usage errors never touch a store), and where to write.
 */
export interface CliContext {
  services(): Promise<Services>;
  readonly out: Writable;
  readonly err: Writable;
}

/**
 * The command line acts as the system (it works on the store directly), recorded in events as the
 * actor `cli`: the superuser rules pass; the last-superuser guard still holds.
 */
export const CLI_ACTOR: Actor = Object.freeze({ userId: null, username: 'cli', clientIp: null, system: true });

/** A refusal the operator must read: exit code 1, the message on stderr. */
export class Refused extends Error {}

/** Writes one value as JSON (`--json`) or as the text a person reads. */
export function print(ctx: CliContext, json: boolean, value: unknown, text: () => string): void {
  ctx.out.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Tab-separated rows under a header: readable in a terminal, splittable with `cut -f`. */
export function table(header: readonly string[], rows: ReadonlyArray<readonly unknown[]>): string {
  return [header, ...rows].map(tsvRow).join('\n');
}

/** One tab-separated line (tabs and newlines inside a value become spaces). */
export function tsvRow(row: readonly unknown[]): string {
  return row.map((v) => (v === null || v === undefined ? '' : String(v).replace(/[\t\r\n]/g, ' '))).join('\t');
}
