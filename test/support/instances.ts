import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { waitFor } from '../protocol/ext-support.js';
import { ADMIN_PASSWORD, ADMIN_TOKEN } from './server.js';

const MAIN = resolve('dist/src/main.js');

export interface Instance {
  readonly child: ChildProcess;
  readonly http: string;
  readonly ldap: string;
  output(): string;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** `node dist/src/main.js` as a child process, the way an operator runs it; resolves once it listens. */
export async function startInstance(env: Record<string, string>): Promise<Instance> {
  let out = '';
  const child = spawn(process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '', DIRGATE_HOST: '127.0.0.1', DIRGATE_HTTP_PORT: '0', DIRGATE_LDAP_PORT: '0', DIRGATE_LDAPS_PORT: '0',
      // One process per instance unless a test asks for workers (instances are what these tests are about).
      DIRGATE_WORKERS: '1', DIRGATE_LOG_LEVEL: 'info', DIRGATE_SCRYPT_N: '1024', DIRGATE_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD, DIRGATE_BOOTSTRAP_TOKEN: ADMIN_TOKEN,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { out += d; });
  const [port, ldapPort] = await waitFor('the instance to listen', async () => {
    if (child.exitCode !== null) throw new Error(`instance exited with ${child.exitCode}: ${out}`);
    const m = /"http":(\d+),"ldap":(\d+),.*"msg":"dirgate is up"/.exec(out);
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  }, 30_000, 50);
  return {
    child,
    http: `http://127.0.0.1:${port}`,
    ldap: `ldap://127.0.0.1:${ldapPort}`,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export async function killHard(i: Instance): Promise<void> {
  if (i.child.exitCode !== null || i.child.signalCode !== null) return;
  const exited = once(i.child, 'exit');
  i.child.kill('SIGKILL');
  await exited;
}

