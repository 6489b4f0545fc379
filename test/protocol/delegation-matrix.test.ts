/**
 * The delegation matrix (issue 13): every mutating operation of the admin API that can reach a
 * user or a group, and the SCIM and LDAP operations that can, × target (plain user, superuser,
 * plain group, superuser group, group whose parent is superuser) × actor (a superuser; a holder
 * of exactly the needed permission; a holder of it on that one object; a holder of it on another
 * object; an impersonation session of the holder). Each cell's expected answer is computed from
 * the rules (`expected` below), and each cell runs for real against one booted server per dialect.
 */
import { expect } from 'chai';
import type { Permission } from '../../src/domain/permissions.js';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { objectTypeOf } from '../../src/services/access.js';
import { RULES } from '../../src/services/delegation-rules.js';
import type { Services } from '../../src/services/index.js';
import { dialects } from '../support/databases.js';
import { ADMIN_PASSWORD, bootServer, type BootedServer } from '../support/server.js';
import { haveTool, run, userDn } from './ldap-support.js';
import { PATCH_OP } from './scim-support.js';
import { holder, impersonationOf, objectHolder, PASSWORD, superuser, unique, type Holder } from './delegation-support.js';

type TargetKind = 'user' | 'superuser' | 'group' | 'superuser_group' | 'child_of_superuser';
type ActorKind = 'superuser' | 'holder' | 'on_object' | 'on_other_object' | 'impersonation';
const USER_TARGETS: TargetKind[] = ['user', 'superuser'];
const GROUP_TARGETS: TargetKind[] = ['group', 'superuser_group', 'child_of_superuser'];
const PROTECTED = new Set<TargetKind>(['superuser', 'superuser_group', 'child_of_superuser']);

interface Target {
  readonly kind: TargetKind;
  readonly id: string;
  readonly name: string;
  /** For groups: a direct member. */
  readonly memberId?: string;
}

interface Cell {
  readonly server: BootedServer;
  readonly target: Target;
  /** The bearer token (admin, SCIM) of the actor. */
  readonly token: string;
  /** For LDAP: the actor's bind DN and password. */
  readonly bind: { dn: string; password: string };
  /** A plain group (for operations on a user's memberships) and an empty role. */
  readonly plainGroupId: string;
  readonly emptyRoleId: string;
}

interface Op {
  readonly name: string;
  /** The route-table entry it exercises (`METHOD /path/{param}`), for the coverage check; none for SCIM and LDAP. */
  readonly route?: string;
  readonly door: 'admin' | 'scim' | 'ldap';
  readonly targets: readonly TargetKind[];
  readonly permission: Permission;
  /** The object the permission is checked on: the target, or the shared plain group. */
  readonly objectOf?: 'target' | 'plain_group';
  /**
   * The operation grants beyond what the holder holds (makes a group superuser; grants user.view on
   * an object the holder of role.change does not view): refused by the grant rule, even on a plain target.
   */
  readonly grantsBeyondHolder?: boolean;
  /** An impersonation session may not do this at all. */
  readonly refusedInImpersonation?: boolean;
  /** The answer when allowed (admin/SCIM: HTTP status; LDAP: result code). */
  readonly ok: number;
  readonly call: (c: Cell) => Promise<{ status: number; body: Record<string, unknown> }>;
}

async function http(c: Cell, method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${c.server.http}${path}`, {
    method,
    headers: { authorization: `Bearer ${c.token}`, ...(body !== undefined ? { 'content-type': path.startsWith('/scim') ? 'application/scim+json' : 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) as Record<string, unknown> : {} };
}
const api = (c: Cell, method: string, path: string, body?: unknown) => http(c, method, `/api/v1${path}`, body);

const ALL_OPS: readonly Op[] = [
  // users
  { name: 'PATCH /users/{id} name', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'PATCH', `/users/${c.target.id}`, { name: 'changed' }) },
  { name: 'PATCH /users/{id} deactivate', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'PATCH', `/users/${c.target.id}`, { is_active: false }) },
  { name: 'DELETE /users/{id}', door: 'admin', targets: USER_TARGETS, permission: 'user.delete', ok: 204, call: (c) => api(c, 'DELETE', `/users/${c.target.id}`) },
  { name: 'POST /users/bulk_delete', door: 'admin', targets: USER_TARGETS, permission: 'user.delete', ok: 200, call: (c) => api(c, 'POST', '/users/bulk_delete', { ids: [c.target.id] }) },
  { name: 'POST /users/{id}/set_password', door: 'admin', targets: USER_TARGETS, permission: 'user.set_password', ok: 204, call: (c) => api(c, 'POST', `/users/${c.target.id}/set_password`, { password: 'a-new-password-1' }) },
  { name: 'POST /users/{id}/recovery', door: 'admin', targets: USER_TARGETS, permission: 'user.recovery', ok: 200, call: (c) => api(c, 'POST', `/users/${c.target.id}/recovery`) },
  // No SMTP server in this suite: an allowed request gets as far as "email is not configured".
  { name: 'POST /users/{id}/recovery_email', door: 'admin', targets: USER_TARGETS, permission: 'user.recovery', ok: 400, call: (c) => api(c, 'POST', `/users/${c.target.id}/recovery_email`) },
  { name: 'POST /users/{id}/impersonate', door: 'admin', targets: USER_TARGETS, permission: 'user.impersonate', refusedInImpersonation: true, ok: 200, call: (c) => api(c, 'POST', `/users/${c.target.id}/impersonate`, { reason: 'matrix' }) },
  { name: 'GET /users/{id}/sessions', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'GET', `/users/${c.target.id}/sessions`) },
  { name: 'DELETE /users/{id}/sessions', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'DELETE', `/users/${c.target.id}/sessions`) },
  { name: 'GET /tokens?user=', route: 'GET /tokens', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'GET', `/tokens?user=${c.target.id}`) },
  { name: 'POST /tokens {user}', door: 'admin', targets: USER_TARGETS, permission: 'user.change', refusedInImpersonation: true, ok: 201, call: (c) => api(c, 'POST', '/tokens', { user: c.target.id, description: 'matrix' }) },
  { name: 'POST /users/{id}/roles', door: 'admin', targets: USER_TARGETS, permission: 'role.assign', ok: 204, call: (c) => api(c, 'POST', `/users/${c.target.id}/roles`, { role: c.emptyRoleId }) },
  { name: 'POST /users/{id}/groups', door: 'admin', targets: USER_TARGETS, permission: 'group.change', objectOf: 'plain_group', ok: 200, call: (c) => api(c, 'POST', `/users/${c.target.id}/groups`, { group: c.plainGroupId }) },
  { name: 'POST /users/{id}/unlock', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'POST', `/users/${c.target.id}/unlock`) },
  { name: 'DELETE /users/{id}/roles/{role}', door: 'admin', targets: USER_TARGETS, permission: 'role.assign', ok: 204, call: async (c) => {
    await c.server.running.services.roles.assign({ userId: c.target.id }, c.emptyRoleId, true, SYSTEM_ACTOR);
    return api(c, 'DELETE', `/users/${c.target.id}/roles/${c.emptyRoleId}`);
  } },
  { name: 'DELETE /users/{id}/groups/{group}', door: 'admin', targets: USER_TARGETS, permission: 'group.change', objectOf: 'plain_group', ok: 204, call: async (c) => {
    await c.server.running.services.groups.changeMembers(c.plainGroupId, { addUsers: [c.target.id] }, SYSTEM_ACTOR);
    return api(c, 'DELETE', `/users/${c.target.id}/groups/${c.plainGroupId}`);
  } },
  { name: 'POST /users/{id}/groups/create', door: 'admin', targets: USER_TARGETS, permission: 'group.add', ok: 201, call: (c) => api(c, 'POST', `/users/${c.target.id}/groups/create`, { name: unique('made-for') }) },
  { name: 'POST /users/{id}/sessions/bulk_delete', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: async (c) => {
    const { session } = await c.server.running.services.auth.createSession(c.target.id, {});
    return api(c, 'POST', `/users/${c.target.id}/sessions/bulk_delete`, { ids: [session.id] });
  } },
  { name: 'DELETE /sessions/{id}', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 204, call: async (c) => {
    const { session } = await c.server.running.services.auth.createSession(c.target.id, {});
    return api(c, 'DELETE', `/sessions/${session.id}`);
  } },
  { name: 'DELETE /tokens/{id}', door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 204, call: async (c) => {
    const { token } = await c.server.running.services.auth.createToken(c.target.id, {}, SYSTEM_ACTOR);
    return api(c, 'DELETE', `/tokens/${token.id}`);
  } },
  ...(['consents', 'oauth_refresh_tokens', 'mfa_authenticators'] as const).flatMap((kind): Op[] => [
    { name: `DELETE /users/{id}/${kind}`, door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 200, call: (c) => api(c, 'DELETE', `/users/${c.target.id}/${kind}`) },
    { name: `DELETE /users/{id}/${kind}/{item}`, door: 'admin', targets: USER_TARGETS, permission: 'user.change', ok: 204, call: async (c) => {
      const seeded = await c.server.running.services.artifacts.seed(c.target.id, kind === 'consents' ? { consent: {} } : kind === 'mfa_authenticators' ? { mfa: { type: 'totp' } } : { refreshToken: { token: unique('refresh') } });
      return api(c, 'DELETE', `/users/${c.target.id}/${kind}/${seeded.consent ?? seeded.mfa ?? seeded.refreshToken}`);
    } },
  ]),
  { name: 'POST /roles/{id}/object_permissions on the target', route: 'POST /roles/{id}/object_permissions', door: 'admin', targets: USER_TARGETS, permission: 'role.change', grantsBeyondHolder: true, ok: 201, call: async (c) => {
    const role = await c.server.running.services.roles.create({ name: unique('grant-to') }, SYSTEM_ACTOR);
    return api(c, 'POST', `/roles/${role.id}/object_permissions`, { permission: 'user.view', object_type: 'user', object_id: c.target.id });
  } },
  // groups
  { name: 'PATCH /groups/{id} attributes', door: 'admin', targets: GROUP_TARGETS, permission: 'group.change', ok: 200, call: (c) => api(c, 'PATCH', `/groups/${c.target.id}`, { attributes: { note: 'x' } }) },
  { name: 'PATCH /groups/{id} is_superuser', door: 'admin', targets: GROUP_TARGETS, permission: 'group.change', grantsBeyondHolder: true, ok: 200, call: (c) => api(c, 'PATCH', `/groups/${c.target.id}`, { is_superuser: true }) },
  { name: 'DELETE /groups/{id}', door: 'admin', targets: GROUP_TARGETS, permission: 'group.delete', ok: 204, call: (c) => api(c, 'DELETE', `/groups/${c.target.id}`) },
  { name: 'POST /groups/{id}/add_user', door: 'admin', targets: GROUP_TARGETS, permission: 'group.change', ok: 200, call: async (c) => api(c, 'POST', `/groups/${c.target.id}/add_user`, { user: (await plainUser(c.server.running.services)).id }) },
  { name: 'POST /groups/{id}/remove_user', door: 'admin', targets: GROUP_TARGETS, permission: 'group.change', ok: 200, call: (c) => api(c, 'POST', `/groups/${c.target.id}/remove_user`, { user: c.target.memberId }) },
  { name: 'POST /groups/{id}/roles', door: 'admin', targets: GROUP_TARGETS, permission: 'role.assign', ok: 204, call: (c) => api(c, 'POST', `/groups/${c.target.id}/roles`, { role: c.emptyRoleId }) },
  { name: 'DELETE /groups/{id}/roles/{role}', door: 'admin', targets: GROUP_TARGETS, permission: 'role.assign', ok: 204, call: async (c) => {
    await c.server.running.services.roles.assign({ groupId: c.target.id }, c.emptyRoleId, true, SYSTEM_ACTOR);
    return api(c, 'DELETE', `/groups/${c.target.id}/roles/${c.emptyRoleId}`);
  } },
  { name: 'POST /groups with the target as parent', door: 'admin', targets: GROUP_TARGETS, permission: 'group.add', ok: 201, call: (c) => api(c, 'POST', '/groups', { name: unique('child'), parents: [c.target.id] }) },
  // SCIM (a provisioning token)
  { name: 'SCIM PATCH /Users/{id}', door: 'scim', targets: USER_TARGETS, permission: 'scim.provision', ok: 200, call: (c) => http(c, 'PATCH', `/scim/v2/Users/${c.target.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'replace', path: 'displayName', value: 'changed' }] }) },
  { name: 'SCIM DELETE /Users/{id}', door: 'scim', targets: USER_TARGETS, permission: 'scim.provision', ok: 204, call: (c) => http(c, 'DELETE', `/scim/v2/Users/${c.target.id}`) },
  { name: 'SCIM PATCH /Groups/{id} add member', door: 'scim', targets: GROUP_TARGETS, permission: 'scim.provision', ok: 204, call: async (c) => http(c, 'PATCH', `/scim/v2/Groups/${c.target.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: (await plainUser(c.server.running.services)).id }] }] }) },
  // LDAP Password Modify (RFC 3062) through ldappasswd
  { name: 'LDAP Password Modify', door: 'ldap', targets: USER_TARGETS, permission: 'user.set_password', ok: 0, call: async (c) => {
    const r = await run('ldappasswd', ['-x', '-H', c.server.ldap, '-D', c.bind.dn, '-w', c.bind.password, '-s', 'ldap-new-password-1', userDn(c.target.name)]);
    const code = r.code === 0 ? 0 : Number(/\((\d+)\)/.exec(r.stdout + r.stderr)?.[1] ?? -1);
    return { status: code, body: { detail: r.stdout + r.stderr } };
  } },
];

/** Admin operations name their route by their first two words (`PATCH /users/{id} name` → `PATCH /users/{id}`). */
const OPS: readonly Op[] = ALL_OPS.map((op) => (op.door === 'admin' ? { ...op, route: op.route ?? op.name.split(' ').slice(0, 2).join(' ') } : op));

/**
 * Mutating routes that name a user or a group but are not in the matrix, and why. Every other
 * mutating route of the served OpenAPI document that reaches a user or group must be in OPS.
 */
const NOT_IN_MATRIX: Readonly<Record<string, string>> = {
  'DELETE /roles/{id}/object_permissions': 'takes a grant away from a role; grants nothing, reaches no account',
};

/** Whether a route of the OpenAPI document reaches one user or group (so the rules apply to it). */
function reachesUserOrGroup(method: string, path: string): boolean {
  if (method === 'get') return false;
  return /^\/(users|groups)\/\{id\}/.test(path) || /^\/(sessions|tokens)\/\{id\}$/.test(path)
    || path === '/tokens' || path === '/users/bulk_delete' || path.startsWith('/roles/{id}/object_permissions');
}

/** What the rules say a cell answers: the success status, or a refusal naming a permission or a rule. */
function expected(op: Op, target: TargetKind, actor: ActorKind): { status: number; permission?: string; rule?: string } {
  const refused = op.door === 'ldap' ? 50 : 403;
  if (actor === 'superuser') return { status: op.ok };
  if (actor === 'on_other_object') return { status: refused, permission: op.permission };
  if (actor === 'impersonation' && op.refusedInImpersonation) return { status: refused, rule: RULES.impersonationSession };
  if (PROTECTED.has(target)) return { status: refused, rule: RULES.noPathToSuperuser };
  if (op.grantsBeyondHolder) return { status: refused, rule: RULES.grantOnlyWhatYouHold };
  return { status: op.ok };
}

/** The actors an operation is tried with: object holders only for permissions a role may hold on one object. */
function actorsOf(op: Op): ActorKind[] {
  const all: ActorKind[] = ['superuser', 'holder'];
  if (objectTypeOf(op.permission) !== null && op.door !== 'scim') all.push('on_object', 'on_other_object');
  if (op.door !== 'ldap') all.push('impersonation');
  return all;
}

async function plainUser(s: Services) {
  return s.users.create({ username: unique('plain'), password: PASSWORD }, SYSTEM_ACTOR);
}

async function makeTarget(s: Services, kind: TargetKind): Promise<Target> {
  if (kind === 'user') {
    const u = await plainUser(s);
    return { kind, id: u.id, name: u.username };
  }
  if (kind === 'superuser') {
    const u = await superuser(s);
    return { kind, id: u.id, name: u.username };
  }
  const admins = (await s.groups.findByName('admins'))!;
  const g = await s.groups.create({
    name: unique(kind), ...(kind === 'superuser_group' ? { isSuperuser: true } : {}), ...(kind === 'child_of_superuser' ? { parents: [admins.id] } : {}),
  }, SYSTEM_ACTOR);
  const member = await plainUser(s);
  await s.groups.changeMembers(g.id, { addUsers: [member.id] }, SYSTEM_ACTOR);
  return { kind, id: g.id, name: g.name, memberId: member.id };
}

for (const dialect of dialects()) {
  describe(`delegation matrix on ${dialect}`, function () {
    this.timeout(300000);
    const tools = haveTool('ldappasswd');
    let server: BootedServer;
    let s: Services;
    let plainGroupId: string;
    let emptyRoleId: string;
    const holders = new Map<string, Holder>();
    const otherHolders = new Map<string, Holder>();
    const sessions = new Map<string, string>();
    let otherUserId: string;
    let otherGroupId: string;

    before(async () => {
      server = await bootServer(dialect);
      s = server.running.services;
      plainGroupId = (await s.groups.create({ name: 'matrix-plain' }, SYSTEM_ACTOR)).id;
      emptyRoleId = (await s.roles.create({ name: 'matrix-empty', permissions: [] }, SYSTEM_ACTOR)).id;
      otherUserId = (await plainUser(s)).id;
      otherGroupId = (await s.groups.create({ name: 'matrix-other' }, SYSTEM_ACTOR)).id;
    });
    after(async () => { await server?.stop(); });

    async function globalHolder(op: Op): Promise<Holder> {
      let h = holders.get(op.permission);
      if (!h) {
        h = await holder(s, [op.permission], `g-${op.permission.replace('.', '-')}`);
        holders.set(op.permission, h);
      }
      return h;
    }

    async function actorFor(op: Op, actor: ActorKind, target: Target): Promise<{ token: string; bind: { dn: string; password: string } }> {
      if (actor === 'superuser') return { token: server.token, bind: { dn: userDn('admin'), password: ADMIN_PASSWORD } };
      let h: Holder;
      if (actor === 'holder') h = await globalHolder(op);
      else if (actor === 'impersonation') {
        const g = await globalHolder(op);
        let token = sessions.get(op.permission);
        if (!token) {
          token = await impersonationOf(server, g.id);
          sessions.set(op.permission, token);
        }
        return { token, bind: { dn: '', password: '' } };
      } else if (actor === 'on_object') {
        const type = objectTypeOf(op.permission)!;
        const id = op.objectOf === 'plain_group' ? plainGroupId : target.id;
        h = await objectHolder(s, op.permission, { type, id });
      } else {
        h = otherHolders.get(op.permission)!;
        if (!h) {
          const type = objectTypeOf(op.permission)!;
          h = await objectHolder(s, op.permission, { type, id: type === 'user' ? otherUserId : otherGroupId });
          otherHolders.set(op.permission, h);
        }
      }
      return { token: h.token, bind: { dn: userDn(h.username), password: PASSWORD } };
    }

    it('covers every mutating route of the served route table that reaches a user or a group', async () => {
      const doc = (await (await fetch(`${server.http}/api/v1/schema`)).json()) as { paths: Record<string, Record<string, unknown>> };
      const reaching = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((m) => reachesUserOrGroup(m, path)).map((m) => `${m.toUpperCase()} ${path}`));
      expect(reaching.length).to.be.greaterThan(25);
      const covered = new Set(OPS.map((o) => o.route).filter((r): r is string => !!r));
      const missing = reaching.filter((r) => !covered.has(r) && !(r in NOT_IN_MATRIX));
      expect(missing, 'mutating routes reaching a user or group that the matrix does not try').to.deep.equal([]);
      const all = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      for (const r of covered) expect(all, `${r} is in the matrix but not in the route table`).to.include(r);
    });

    it('every cell answers as the rules say', async function () {
      if (!tools) this.skip();
      const failures: string[] = [];
      let cells = 0;
      const seen = { allowed: 0, refusedByPermission: 0, refusedByRule: 0 };
      for (const op of OPS) {
        for (const kind of op.targets) {
          for (const actor of actorsOf(op)) {
            const target = await makeTarget(s, kind);
            const a = await actorFor(op, actor, target);
            const want = expected(op, kind, actor);
            const got = await op.call({ server, target, token: a.token, bind: a.bind, plainGroupId, emptyRoleId });
            cells++;
            if (want.rule) seen.refusedByRule++;
            else if (want.permission) seen.refusedByPermission++;
            else seen.allowed++;
            const label = `${op.name} × ${kind} × ${actor}`;
            if (got.status !== want.status) {
              failures.push(`${label}: expected ${want.status}, got ${got.status} ${JSON.stringify(got.body).slice(0, 200)}`);
              continue;
            }
            const text = JSON.stringify(got.body);
            if (want.rule && op.door === 'admin' && got.body.rule !== want.rule) failures.push(`${label}: expected rule ${want.rule}, got ${text.slice(0, 200)}`);
            if (want.rule && op.door !== 'admin' && !text.includes(want.rule)) failures.push(`${label}: the refusal should name ${want.rule}: ${text.slice(0, 200)}`);
            if (want.permission && op.door === 'admin' && got.body.permission !== want.permission) failures.push(`${label}: expected permission ${want.permission}, got ${text.slice(0, 200)}`);
          }
        }
      }
      expect(cells).to.be.greaterThan(200);
      // The matrix exercises all three outcomes, not only one.
      expect(seen.allowed, JSON.stringify(seen)).to.be.greaterThan(60);
      expect(seen.refusedByRule, JSON.stringify(seen)).to.be.greaterThan(60);
      expect(seen.refusedByPermission, JSON.stringify(seen)).to.be.greaterThan(20);
      expect(failures, failures.join('\n')).to.deep.equal([]);
    });
  });
}
