import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Permission } from '../../src/domain/permissions.js';
import { SYSTEM_ACTOR, type User } from '../../src/domain/types.js';
import { bootServer, type BootedServer } from '../support/server.js';
import type { Dialect } from '../../src/store/database.js';
import { bindOk, userDn } from './ldap-support.js';

/** Helpers shared by the admin extension suites (recovery, impersonation, exports). */

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** One admin API call over real HTTP. */
export async function api(server: { http: string }, method: string, path: string, token: string | null, body?: unknown): Promise<ApiResponse> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${server.http}/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let json: unknown = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: r.status, headers: r.headers, text, json };
}

/** A user made through the service layer (the users endpoints are another issue's), with optional permissions. */
export async function makeUser(server: BootedServer, username: string, opts: { password?: string; email?: string; permissions?: Permission[] } = {}): Promise<User> {
  const { services } = server.running;
  const user = await services.users.create({ username, name: `${username} name`, email: opts.email, password: opts.password }, SYSTEM_ACTOR);
  if (opts.permissions?.length) {
    const role = await services.roles.create({ name: `${username}-role`, permissions: opts.permissions }, SYSTEM_ACTOR);
    await services.roles.assign({ userId: user.id }, role.id, true, SYSTEM_ACTOR);
  }
  return user;
}

/** A session token from POST /auth/login. */
export async function login(server: { http: string }, username: string, password: string): Promise<string> {
  const r = await api(server, 'POST', '/auth/login', null, { username, password });
  if (r.status !== 200) throw new Error(`login ${username}: ${r.status} ${r.text}`);
  return r.json.token as string;
}

export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Polls `fn` until it returns a value other than undefined. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000, every = 100): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** Events of one action, oldest first, straight from the store. */
export async function eventsOf(server: BootedServer, action: string): Promise<Record<string, unknown>[]> {
  const rows = await server.database.db.knex('events').where({ action }).orderBy('seq', 'asc');
  return rows.map((r: Record<string, unknown>) => ({ ...r, context: typeof r.context === 'string' ? JSON.parse(r.context) : r.context }));
}

/**
 * Inserts `n` users (`bulk1`…`bulkN`, with email and an attribute) in one SQL statement, for
 * exports big enough to interrupt. Returns how many users the table then holds.
 */
export async function seedBulkUsers(db: import('../../src/store/database.js').Database, n: number): Promise<number> {
  if (db.dialect === 'pg') {
    await db.knex.raw(`insert into users (id, username, username_ci, name, name_ci, email, email_ci, path, type, is_active, attributes, created_at, updated_at, version)
      select lpad(to_hex(g), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(g), 12, '0'), 'bulk' || g, 'bulk' || g, 'Bulk User ' || g, 'bulk user ' || g,
        'bulk' || g || '@example.test', 'bulk' || g || '@example.test', 'users', 'internal', true, jsonb_build_object('n', g), now(), now(), 1
      from generate_series(1, ?) g`, [n]);
  } else {
    await db.knex.raw(`with recursive s(g) as (select 1 union all select g + 1 from s where g < ?)
      insert into users (id, username, username_ci, name, name_ci, email, email_ci, path, type, is_active, attributes, created_at, updated_at, version)
      select printf('%08x-0000-4000-8000-%012x', g, g), 'bulk' || g, 'bulk' || g, 'Bulk User ' || g, 'bulk user ' || g,
        'bulk' || g || '@example.test', 'bulk' || g || '@example.test', 'users', 'internal', 1, json_object('n', g),
        strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 1
      from s`, [n]);
  }
  const row = await db.knex('users').count<{ n: number }[]>({ n: '*' }).first();
  return Number(row?.n ?? 0);
}

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];

/** Skips a browser test outside CI when Debian's chromium is missing; under CI=true it fails instead. */
export function requireChromium(test: Mocha.Context): void {
  if (existsSync(CHROMIUM)) return;
  if (process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing (apt-get install chromium); CI cannot skip the browser journey`);
  test.skip();
}

export interface SmtpSink {
  readonly port: number;
  readonly mails: ParsedMail[];
  /** Mails received for `address`, in arrival order. */
  to(address: string): ParsedMail[];
  close(): Promise<void>;
}

/** A real SMTP server on loopback that keeps what it receives; recipients at @reject.test get a 550. */
export async function smtpSink(): Promise<SmtpSink> {
  const mails: ParsedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, cb) {
      if (address.address.endsWith('@reject.test')) {
        cb(Object.assign(new Error('5.1.1 <' + address.address + '>: mailbox unavailable'), { responseCode: 550 }));
        return;
      }
      cb();
    },
    onData(stream, _session, cb) {
      simpleParser(stream).then((m) => { mails.push(m); cb(); }, (e: Error) => cb(e));
    },
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port,
    mails,
    to: (address) => mails.filter((m) => JSON.stringify(m.to ?? '').toLowerCase().includes(address.toLowerCase())),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A whole dirgate whose email goes to `smtp`, its public URL on its own HTTP port (so links in mails open it). */
export async function bootWithMail(dialect: Dialect, smtp: SmtpSink, overrides: Record<string, unknown> = {}): Promise<{ server: BootedServer; publicUrl: string }> {
  const port = await freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  const server = await bootServer(dialect, {
    'http.port': port,
    'http.public_url': publicUrl,
    'email.smtp_url': `smtp://127.0.0.1:${smtp.port}`,
    'email.from': 'dirgate <noreply@dirgate.test>',
    ...overrides,
  });
  return { server, publicUrl };
}

/** Whether a simple LDAP bind as `cn=<username>,ou=users,<base>` succeeds. */
export async function ldapBind(server: { ldap: string }, username: string, password: string): Promise<boolean> {
  return bindOk(server.ldap, userDn(username), password);
}
