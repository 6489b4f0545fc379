/**
 * LDAP Modify (RFC 4511 §4.6): every change of the request is applied, in order, to a copy of
 * the entry's writable attributes; only when all of them succeed is the result written, as one
 * service call (one transaction) guarded by the version the copy was made from. A concurrent
 * write in between makes the service refuse; the request is then recomputed from the new state.
 *
 * Members are the exception to strict value arithmetic: adding a present member or deleting an
 * absent one is a no-op (lldap and Keycloak's group mappers rely on it), which lets a group of a
 * million members change without reading them all.
 */
import { PreconditionFailed } from '../../src/domain/errors.js';
import type { Actor, Group, JsonObject, User } from '../../src/domain/types.js';
import type { DirectoryUserChange, MemberRef, MemberStep } from '../../src/services/directory-writes.js';
import { memberRefs } from './add-entry.js';
import { LdapError } from './errors.js';
import { applyValues } from './modify-values.js';
import { RESULT } from './result-codes.js';
import type { Session } from './session.js';
import { booleanValue, clearPassword, meaningful, textValues, writeField } from './write-attributes.js';
import { OP } from './messages.js';
import { decodeModify, type ModifyChange, type ModifyRequest } from './write-requests.js';
import { writer, writeTarget, type WriteTarget, writeOperation } from './write-support.js';

/** Times a Modify is recomputed after losing a race with another write. */
const RETRIES = 3;

/** Performs a Modify. @throws LdapError or a service error */
async function performModify(s: Session, req: ModifyRequest): Promise<void> {
  const actor = await writer(s, 'modify');
  const target = writeTarget(s, req.dn);
  for (let attempt = 1; ; attempt++) {
    try {
      if (target.kind === 'user') await modifyUser(s, actor, target, req.changes);
      else await modifyGroup(s, actor, target, req.changes);
      return;
    } catch (e) {
      if (!(e instanceof PreconditionFailed) || attempt >= RETRIES) throw e;
    }
  }
}

// ---- users -------------------------------------------------------------------------------

interface UserState {
  name: string;
  email: string | null;
  attributes: JsonObject;
  isActive: boolean;
  password?: string;
  /** The value a delete named as the current password (a self-service change proves it). */
  oldPassword?: string;
}

const words = (name: string) => name.trim().split(/\s+/).filter(Boolean);
/** sn and givenName as the entry shows them (entries.ts): stored, else derived from the name. */
function shownSn(u: UserState, username: string): string {
  const v = u.attributes.sn;
  if (typeof v === 'string' && v !== '') return v;
  const w = words(u.name);
  return w.length ? w[w.length - 1]! : username;
}
function shownGivenName(u: UserState): string | null {
  const v = u.attributes.givenName;
  if (typeof v === 'string' && v !== '') return v;
  const w = words(u.name);
  return w.length > 1 ? w.slice(0, -1).join(' ') : null;
}

async function modifyUser(s: Session, actor: Actor, target: WriteTarget, changes: readonly ModifyChange[]): Promise<void> {
  const user = await s.ctx.services.users.findByUsername(target.name);
  if (!user) throw new LdapError(RESULT.noSuchObject, `no such user: ${target.name}`, s.ctx.dit.usersDn);
  const state: UserState = { name: user.name, email: user.email, attributes: { ...user.attributes }, isActive: user.isActive };
  const spelled = (a: JsonObject) => [a.givenName, a.sn].filter((v) => typeof v === 'string' && v !== '').join(' ');
  const nameWasDerived = user.name === '' || words(user.name).join(' ') === spelled(user.attributes);
  let nameTouched = false, namesTouched = false;
  for (const c of changes) {
    const field = writeField('user', c.modification.type);
    const type = c.modification.type;
    const values = textValues(type, c.modification.values);
    switch (field.kind) {
      case 'objectClass':
        throw new LdapError(RESULT.objectClassViolation, 'objectClass: the object classes of an entry are fixed');
      case 'rdn':
        rdnChange(field.name, target, c.operation, values);
        break;
      case 'displayName':
        state.name = applyValues('displayName', state.name ? [state.name] : [], c.operation, values, { caseIgnore: true, single: true })[0] ?? '';
        nameTouched = true;
        break;
      case 'mail':
        state.email = applyValues('mail', state.email ? [state.email] : [], c.operation, values, { caseIgnore: true, single: true })[0] ?? null;
        break;
      case 'nameAttribute': {
        const shown = field.name === 'sn' ? shownSn(state, user.username) : shownGivenName(state);
        const next = applyValues(field.name, shown === null ? [] : [shown], c.operation, values, { caseIgnore: true, single: true })[0];
        if (next !== undefined && meaningful(next)) state.attributes[field.name] = next;
        else delete state.attributes[field.name];
        namesTouched = true;
        break;
      }
      case 'userPassword':
        passwordChange(state, c.operation, values);
        break;
      case 'dirgateActive': {
        if (c.operation === 'delete') throw new LdapError(RESULT.constraintViolation, 'dirgateActive: always has a value; replace it with TRUE or FALSE');
        const next = applyValues('dirgateActive', [], 'replace', values, { caseIgnore: false, single: true });
        if (next.length !== 1) throw new LdapError(RESULT.constraintViolation, 'dirgateActive: give TRUE or FALSE');
        state.isActive = booleanValue('dirgateActive', next[0]!);
        break;
      }
      case 'custom':
        customChange(state.attributes, field.name, c.operation, values);
        break;
      default:
        throw new LdapError(RESULT.objectClassViolation, `${type}: not allowed in a user entry`);
    }
  }
  // A name spelled from givenName and sn follows them (Keycloak changes first and last name, never displayName).
  if (!nameTouched && namesTouched && nameWasDerived) {
    const next = spelled(state.attributes);
    if (next !== '') state.name = next;
  }
  const change = diff(user, state);
  let proven = false;
  if (state.oldPassword !== undefined) {
    const check = await s.ctx.verifier.verify(user.username, state.oldPassword, { clientIp: s.clientIp }, 'ldap_modify');
    if (!check.ok) throw new LdapError(RESULT.noSuchAttribute, 'userPassword: the value to delete is not the current password');
    proven = true;
  }
  await s.ctx.services.directoryWrites.changeUser(actor, user.username, change, { ifVersion: user.version, ownPasswordProven: proven });
  if (change.password !== undefined) s.ctx.verifier.cache.forget(user.id);
}

/** cn and uid hold the username: only a change that keeps it is allowed (renames are ModifyDN). */
function rdnChange(name: 'cn' | 'uid', target: WriteTarget, operation: ModifyChange['operation'], values: readonly string[]): void {
  const same = values.every((v) => v.toLowerCase() === target.name.toLowerCase());
  if (operation === 'replace' && values.length === 1 && same) return;
  if (operation === 'add' && same && values.length > 0) throw new LdapError(RESULT.attributeOrValueExists, `${name}: the value ${target.name} is already present`);
  throw new LdapError(RESULT.notAllowedOnRDN, `${name}: holds the ${target.kind === 'user' ? 'username' : 'group name'}; rename the entry with ModifyDN instead`);
}

/**
 * userPassword: add or replace sets it; a delete naming the current value (followed by an add of
 * the new one — how Keycloak and LDIF scripts change a password) proves it. Removing is refused.
 */
function passwordChange(state: UserState, operation: ModifyChange['operation'], values: readonly string[]): void {
  if (values.length > 1) throw new LdapError(RESULT.constraintViolation, 'userPassword: holds a single value');
  if (operation === 'delete') {
    if (values.length === 0) throw new LdapError(RESULT.unwillingToPerform, 'userPassword: a password cannot be removed over LDAP');
    state.oldPassword = values[0]!;
    return;
  }
  if (operation === 'increment') throw new LdapError(RESULT.unwillingToPerform, 'userPassword: increment is not supported');
  if (values.length === 0) throw new LdapError(RESULT.unwillingToPerform, 'userPassword: a password cannot be removed over LDAP');
  state.password = clearPassword(values[0]!);
}

/** Values of a custom attribute as entries.ts shows them. */
function shownValues(v: unknown): string[] {
  const list = Array.isArray(v) ? v : [v];
  return list.flatMap((x) => typeof x === 'string' ? (x === '' ? [] : [x]) : typeof x === 'number' && Number.isFinite(x) ? [String(x)] : typeof x === 'boolean' ? [x ? 'TRUE' : 'FALSE'] : []);
}

/** RFC 4511 arithmetic on a custom attribute; its key is matched ignoring case, as LDAP names are. */
function customChange(attributes: JsonObject, name: string, operation: ModifyChange['operation'], values: readonly string[]): void {
  const key = Object.keys(attributes).find((k) => k.toLowerCase() === name.toLowerCase()) ?? name;
  const current = key in attributes ? shownValues(attributes[key]) : [];
  const next = applyValues(name, current, operation, values, { caseIgnore: false, single: false });
  if (next.length === current.length && next.every((v, i) => v === current[i])) return; // unchanged: keep the stored value as it is
  delete attributes[key];
  if (next.length === 1) attributes[key] = next[0]!;
  else if (next.length > 1) attributes[key] = next;
}

function diff(user: User, state: UserState): DirectoryUserChange {
  const change: { -readonly [K in keyof DirectoryUserChange]: DirectoryUserChange[K] } = {};
  if (state.name !== user.name) change.name = state.name;
  if ((state.email ?? null) !== (user.email ?? null)) change.email = state.email;
  if (JSON.stringify(state.attributes) !== JSON.stringify(user.attributes)) change.attributes = state.attributes;
  if (state.isActive !== user.isActive) change.isActive = state.isActive;
  if (state.password !== undefined) change.password = state.password;
  return change;
}

// ---- groups ------------------------------------------------------------------------------

async function modifyGroup(s: Session, actor: Actor, target: WriteTarget, changes: readonly ModifyChange[]): Promise<void> {
  const group: Group | null = await s.ctx.services.groups.findByName(target.name);
  if (!group) throw new LdapError(RESULT.noSuchObject, `no such group: ${target.name}`, s.ctx.dit.groupsDn);
  const attributes: JsonObject = { ...group.attributes };
  const steps: MemberStep[] = [];
  for (const c of changes) {
    const field = writeField('group', c.modification.type);
    const type = c.modification.type;
    const values = textValues(type, c.modification.values);
    switch (field.kind) {
      case 'objectClass':
        throw new LdapError(RESULT.objectClassViolation, 'objectClass: the object classes of an entry are fixed');
      case 'rdn':
        rdnChange(field.name, target, c.operation, values);
        break;
      case 'member':
      case 'memberUid': {
        const members: MemberRef[] = field.kind === 'member'
          ? memberRefs(s, field.name, values)
          : values.map((name) => ({ kind: 'user' as const, name }));
        const scope = field.kind === 'member' ? 'all' as const : 'users' as const;
        if (c.operation === 'add') steps.push({ op: 'add', members });
        else if (c.operation === 'delete') {
          // Deleting only Keycloak's placeholder removes nobody; deleting with no values removes everyone.
          if (members.length) steps.push({ op: 'remove', members });
          else if (values.length === 0) steps.push({ op: 'replace', scope, members: [] });
        }
        else if (c.operation === 'replace') steps.push({ op: 'replace', scope, members });
        else throw new LdapError(RESULT.unwillingToPerform, `${type}: increment is not supported`);
        break;
      }
      case 'custom':
        customChange(attributes, field.name, c.operation, values);
        break;
      default:
        throw new LdapError(RESULT.objectClassViolation, `${type}: not allowed in a group entry`);
    }
  }
  const attributesChanged = JSON.stringify(attributes) !== JSON.stringify(group.attributes);
  await s.ctx.services.directoryWrites.changeGroup(actor, group.name, {
    ...(attributesChanged ? { attributes } : {}), members: steps,
  }, { ifVersion: group.version });
}

export const modifyOperation = writeOperation({
  name: 'modify', requestTag: OP.MODIFY_REQUEST, responseTag: OP.MODIFY_RESPONSE, decode: decodeModify, perform: performModify,
  before: (s, req) => writeTarget(s, req.dn), after: (s, req) => writeTarget(s, req.dn),
});
