import type { Readable } from 'node:stream';

/**
 * A password from `--password` or, with `--password-stdin`, the first line of standard input
 * (so it stays out of the process list and shell history).
 */
export async function passwordFrom(opts: { password?: string; passwordStdin?: boolean }, stdin: Readable = process.stdin): Promise<string | undefined> {
  if (opts.password !== undefined) return opts.password;
  if (!opts.passwordStdin) return undefined;
  let text = '';
  for await (const chunk of stdin) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}
