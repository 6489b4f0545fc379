import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const CLI = resolve('dist/src/cli.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** Runs the command line as an operator would, against the store named by `url` (DIRGATE_DATABASE_URL). */
export function runCli(url: string, args: string[], opts: { npx?: boolean; cwd?: string; stdin?: string } = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const [cmd, argv] = opts.npx ? ['npx', ['--no-install', 'dirgate', ...args]] : [process.execPath, [CLI, ...args]];
    const child = spawn(cmd as string, argv as string[], {
      cwd: opts.cwd ?? process.cwd(),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DIRGATE_DATABASE_URL: url, DIRGATE_LOG_LEVEL: 'warn', DIRGATE_SCRYPT_N: '1024' },
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '';
    child.stdout!.on('data', (d) => { stdout += d; });
    child.stderr!.on('data', (d) => { stderr += d; });
    if (opts.stdin !== undefined) child.stdin!.end(opts.stdin);
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}
