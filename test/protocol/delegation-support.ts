/** Fixtures for the delegation suites: users holding a permission globally or on one object, targets, sessions. */
import type { Permission } from '../../src/domain/permissions.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import type { Services } from '../../src/services/index.js';
import type { BootedServer } from '../support/server.js';

export const PASSWORD = 'delegation-password-1';

let counter = 0;
/** A name no other fixture of this process uses. */
export function unique(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export interface Holder {
  readonly id: string;
  readonly username: string;
  /** An API token of the holder. */
  readonly token: string;
  readonly roleId: string;
}

/** A user (with a password, for LDAP binds) holding `permissions` through a role assigned directly. */
export async function holder(s: Services, permissions: readonly string[], prefix = 'holder'): Promise<Holder> {
  const u = await s.users.create({ username: unique(prefix), password: PASSWORD }, SYSTEM_ACTOR);
  const role = await s.roles.create({ name: unique(`role-${prefix}`), permissions }, SYSTEM_ACTOR);
  await s.roles.assign({ userId: u.id }, role.id, true, SYSTEM_ACTOR);
  const { key } = await s.auth.createToken(u.id, { description: 'test' }, SYSTEM_ACTOR);
  return { id: u.id, username: u.username, token: key, roleId: role.id };
}

/** A user holding `permission` on exactly one object (through a role granted by the system). */
export async function objectHolder(s: Services, permission: Permission, object: { type: 'user' | 'group'; id: string }, prefix = 'objholder'): Promise<Holder> {
  const h = await holder(s, [], prefix);
  await s.roles.grantOnObject(h.roleId, { permission, objectType: object.type, objectId: object.id }, SYSTEM_ACTOR);
  return h;
}

/** A fresh superuser account (member of `admins`). */
export async function superuser(s: Services, prefix = 'su'): Promise<{ id: string; username: string }> {
  const u = await s.users.create({ username: unique(prefix), password: PASSWORD }, SYSTEM_ACTOR);
  const admins = (await s.groups.findByName('admins'))!;
  await s.groups.changeMembers(admins.id, { addUsers: [u.id] }, SYSTEM_ACTOR);
  return { id: u.id, username: u.username };
}

/** An impersonation session of `target` opened by the bootstrap superuser; returns the session token. */
export async function impersonationOf(server: BootedServer, targetId: string): Promise<string> {
  const res = await fetch(`${server.http}/api/v1/users/${targetId}/impersonate`, {
    method: 'POST', headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ reason: 'delegation test' }),
  });
  if (res.status !== 200) throw new Error(`impersonation failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { token: string }).token;
}

/** Polls for an `access_refused` event naming `rule` on a target (refusals are recorded after the rollback). */
export async function refusalRecorded(s: Services, rule: string, targetId: string | null): Promise<boolean> {
  for (let i = 0; i < 40; i++) {
    const { events } = await s.events.list({ action: 'access_refused', limit: 100, offset: 0 });
    if (events.some((e) => e.context.rule === rule && (targetId === null || e.targetId === targetId))) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}
