/**
 * A peer SCIM server for side-by-side benchmarks: scimmy + scimmy-routers (express 5) serving an
 * in-memory store of the same users a benchmark seeded into dirgate, with a userName index so
 * `userName eq "…"` is a map lookup (what any real deployment of it would add first). Run as
 * its own process, like the spawned dirgate, so the two never share a CPU with the client:
 *
 *   const peer = await spawnScimmyPeer(users, token);   // → { base: 'http://127.0.0.1:PORT', stop }
 *   GET `${peer.base}/scim/v2/Users?filter=userName eq "…"`
 *
 * Reusable by any bench (issue 20 compares more request shapes against it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../test/support/ports.js';

/** A user as the peer stores it (a SCIM User body). */
export interface PeerUser {
  readonly id: string;
  readonly userName: string;
  readonly displayName?: string;
  readonly externalId?: string;
  readonly active: boolean;
  readonly emails?: ReadonlyArray<{ readonly value: string; readonly type?: string; readonly primary?: boolean }>;
}

export interface SpawnedPeer {
  /** e.g. http://127.0.0.1:40123 (SCIM at `${base}/scim/v2`) */
  readonly base: string;
  stop(): Promise<void>;
}

/** Starts the peer on a free loopback port with `users`; requests need `Authorization: Bearer <token>`. */
export async function spawnScimmyPeer(users: readonly PeerUser[], token: string): Promise<SpawnedPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'dirgate-scimmy-peer-'));
  const file = join(dir, 'users.json');
  writeFileSync(file, JSON.stringify(users));
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { PATH: process.env.PATH ?? '', PEER_USERS: file, PEER_PORT: String(port), PEER_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((ready, fail) => {
      child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) ready(); });
      child.once('exit', (code) => fail(new Error(`the scimmy peer exited (${code})`)));
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { base: `http://127.0.0.1:${port}`, stop };
}

type Expression = Record<string, [string, unknown] | unknown>;

/** The peer process: loads the users, declares the User resource, listens. */
async function serve(): Promise<void> {
  const { default: express } = await import('express');
  const { default: SCIMMY } = await import('scimmy');
  const { default: SCIMMYRouters } = await import('scimmy-routers');
  const token = process.env.PEER_TOKEN!;
  const users: PeerUser[] = JSON.parse(readFileSync(process.env.PEER_USERS!, 'utf8'));
  const byId = new Map(users.map((u) => [u.id, u]));
  const byUserName = new Map(users.map((u) => [u.userName.toLowerCase(), u]));
  const now = new Date().toISOString();
  const out = (u: PeerUser) => ({ ...u, meta: { created: now, lastModified: now } });

  /** `userName eq "…"` alone: the index answers; anything else is scimmy's own filter matching. */
  const lookup = (filter: Expression[]): PeerUser[] | undefined => {
    if (filter.length !== 1) return undefined;
    const keys = Object.keys(filter[0]!);
    const cond = filter[0]!.userName;
    if (keys.length !== 1 || !Array.isArray(cond) || cond[0] !== 'eq' || typeof cond[1] !== 'string') return undefined;
    const u = byUserName.get(cond[1].toLowerCase());
    return u ? [u] : [];
  };

  // scimmy's handler types describe its schema classes; the peer hands it plain SCIM objects.
  const egress = (resource: { id?: string; filter?: Expression[] & { match(values: unknown[]): unknown[] } }) => {
    if (resource.id) {
      const u = byId.get(resource.id);
      if (!u) throw new SCIMMY.Types.Error(404, '', `Resource ${resource.id} not found`);
      return out(u);
    }
    if (!resource.filter) return users.map(out);
    const hit = lookup(resource.filter);
    return hit ? hit.map(out) : resource.filter.match(users.map(out));
  };
  SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .egress(egress as never)
    .ingress(((resource: { id?: string }, data: Record<string, unknown>) => {
      const id = resource.id ?? crypto.randomUUID();
      const u = { ...(data as unknown as PeerUser), id };
      byId.set(id, u);
      byUserName.set(u.userName.toLowerCase(), u);
      if (!resource.id) users.push(u);
      return out(u);
    }) as never);

  const app = express();
  app.use('/scim/v2', new SCIMMYRouters({
    type: 'bearer',
    handler: (req: { header(name: string): string | undefined }) => {
      if (req.header('Authorization') !== `Bearer ${token}`) throw new Error('not authenticated');
      return 'bench';
    },
  }) as unknown as import('express').Router);
  const server = app.listen(Number(process.env.PEER_PORT), '127.0.0.1', () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

if (process.env.PEER_USERS && process.argv[1] === fileURLToPath(import.meta.url)) {
  serve().catch((e) => {
    process.stderr.write(`scimmy peer failed: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  });
}
