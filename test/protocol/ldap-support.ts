/** Helpers for the LDAP protocol suites: the OpenLDAP command-line tools, test data, certificates. */
import { execFile, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, InvalidCredentialsError, type Control } from 'ldapts';
import type { Services } from '../../src/services/index.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';

export const BASE = 'dc=example,dc=com';
export const userDn = (name: string) => `cn=${name},ou=users,${BASE}`;
export const groupDn = (name: string) => `cn=${name},ou=groups,${BASE}`;

/**
 * Whether an OpenLDAP tool is installed. Under CI=true a missing tool fails the suite instead
 * of skipping it (.ci/run installs ldap-utils).
 */
/** Whether a simple bind of `dn` with `password` (and `control`) succeeds (false on invalidCredentials; other errors throw). */
export async function bindOk(url: string, dn: string, password: string, control?: Control): Promise<boolean> {
  const client = new Client({ url });
  try {
    await client.bind(dn, password, control);
    return true;
  } catch (e) {
    if (e instanceof InvalidCredentialsError) return false;
    throw e;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

export function haveTool(name: string): boolean {
  const ok = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  if (!ok && process.env.CI === 'true') throw new Error(`${name} is missing: install ldap-utils (CI=true forbids skipping)`);
  return ok;
}

export interface ToolResult { readonly code: number; readonly stdout: string; readonly stderr: string }

/** Runs a tool asynchronously (the server under test runs in this process). */
export function run(cmd: string, args: readonly string[], env: Record<string, string> = {}): Promise<ToolResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { env: { ...process.env, LDAPCONF: '/dev/null', LDAPRC: '/dev/null', ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 30000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** DNs in ldapsearch LDIF output (unwrapped). */
export function dnsOf(ldif: string): string[] {
  return ldif.replace(/\n /g, '').split('\n').filter((l) => l.startsWith('dn: ')).map((l) => l.slice(4));
}

/** `attr: value` lines of ldapsearch output for one attribute (case-insensitive name). */
export function valuesOf(ldif: string, attr: string): string[] {
  const prefix = `${attr.toLowerCase()}: `;
  return ldif.replace(/\n /g, '').split('\n').filter((l) => l.toLowerCase().startsWith(prefix)).map((l) => l.slice(prefix.length));
}

/** Creates `n` users `user0001…` (no password) in one transaction. */
export async function seedUsers(services: Services, n: number, prefix = 'user'): Promise<void> {
  await services.units.run(async (unit) => {
    for (let i = 1; i <= n; i++) {
      const name = `${prefix}${String(i).padStart(4, '0')}`;
      await services.users.create({ username: name, name: `User ${i}`, email: `${name}@example.com` }, SYSTEM_ACTOR, { unit });
    }
  });
}

/** A self-signed certificate for 127.0.0.1 in a temp folder (never committed). */
export function makeCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-ldap-tls-'));
  const cert = join(dir, 'cert.pem'), key = join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

/** The Notice of Disconnection's OID (RFC 4511 §4.4.1), as a refused connection receives it. */
export const NOTICE_OID = '1.3.6.1.4.1.1466.20036';

/** Connects from `from` without speaking; resolves with what the server sent and whether it closed within `ms`. */
export async function attemptConnection(port: number, from: string, ms = 3000): Promise<{ data: Buffer; closed: boolean }> {
  const s = connect({ port, host: '127.0.0.1', localAddress: from });
  s.on('error', () => undefined);
  const chunks: Buffer[] = [];
  s.on('data', (d: Buffer) => chunks.push(d));
  await once(s, 'connect');
  const closed = await Promise.race([once(s, 'close').then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
  s.destroy();
  return { data: Buffer.concat(chunks), closed };
}

/** An ldapts client connected from `from`, once the server has served it a root DSE read. */
export async function openFrom(url: string, from: string): Promise<Client> {
  // ldapts calls createConnection(port, host).
  const createConnection = ((port: number, host: string) => connect({ port, host, localAddress: from })) as typeof connect;
  const c = new Client({ url, createConnection });
  await c.search('', { scope: 'base', filter: '(objectClass=*)' });
  return c;
}
