/**
 * The Pre-Read and Post-Read controls (RFC 4527): a write may ask for the entry as it was just
 * before (Modify, Delete, ModifyDN) or as it is just after (Add, Modify, ModifyDN), with the
 * attributes it names (`AttributeSelection`, as a search's list: `*`, `+`, names). The entry
 * is read as the writer may see it (search's rule: full access, or the writer's own entry);
 * one it may not see is refused with 50 when the control is critical, left out when not.
 * The pre-read happens right before the write's transaction, not inside it.
 */
import { BerReader, BerWriter, TAG } from './ber.js';
import { groupEntry, parseSelection, userEntry, type Selection } from './entries.js';
import { LdapError } from './errors.js';
import type { Control } from './messages.js';
import { OP } from './messages.js';
import type { ResponseControl } from './responses.js';
import { RESULT } from './result-codes.js';
import { CONTROL } from './root-dse.js';
import type { Session } from './session.js';
import type { WriteTarget } from './write-support.js';

export interface ReadRequest {
  readonly oid: string;
  readonly critical: boolean;
  readonly selection: Selection;
}

/** The Pre-Read or Post-Read control of a message, if any. @throws LdapError 2 for a malformed value */
export function readRequest(controls: readonly Control[], oid: typeof CONTROL.PRE_READ | typeof CONTROL.POST_READ): ReadRequest | null {
  const c = controls.find((x) => x.oid === oid);
  if (!c) return null;
  const names: string[] = [];
  try {
    if (c.value && c.value.length > 0) {
      const list = new BerReader(c.value).readSequence(TAG.SEQUENCE);
      while (list.hasMore()) names.push(list.readString());
    }
  } catch {
    throw new LdapError(RESULT.protocolError, `the ${oid === CONTROL.PRE_READ ? 'Pre-Read' : 'Post-Read'} control's value is not an attribute list`);
  }
  return { oid, critical: c.critical, selection: parseSelection(names) };
}

/**
 * Refuses a critical control the writer could not be answered, before anything is written.
 * @throws LdapError 50
 */
export async function checkReadable(s: Session, req: ReadRequest, target: WriteTarget): Promise<void> {
  if (!req.critical) return;
  const me = await s.identity();
  const own = target.kind === 'user' && me !== null && me.user.username.toLowerCase() === target.name.toLowerCase();
  if (!me || !(me.fullAccess || own)) {
    throw new LdapError(RESULT.insufficientAccessRights, `the ${req.oid === CONTROL.PRE_READ ? 'Pre-Read' : 'Post-Read'} control needs read access to the entry (ldap.search_full_directory)`);
  }
}

/** The response control carrying the entry (a SearchResultEntry), or null when it cannot be read. */
export async function readEntryControl(s: Session, req: ReadRequest, target: WriteTarget): Promise<ResponseControl | null> {
  const entry = await readable(s, target, req.selection);
  if (!entry) return null;
  const w = new BerWriter(512);
  w.startSequence(OP.SEARCH_ENTRY);
  w.writeString(entry.dn);
  w.startSequence();
  for (const [name, values] of entry.attrs) {
    w.startSequence();
    w.writeString(name);
    w.startSequence(TAG.SET);
    for (const v of values) w.writeString(v);
    w.endSequence();
    w.endSequence();
  }
  w.endSequence();
  w.endSequence();
  return { oid: req.oid, value: Buffer.from(w.toBuffer()) };
}

/** The entry as a search by the writer would show it (the directory service's visibility rule). */
async function readable(s: Session, target: WriteTarget, sel: Selection) {
  const { services, dit } = s.ctx;
  const me = await s.identity();
  if (!me) return null;
  const viewer = { id: me.user.id, username: me.user.username, fullAccess: me.fullAccess };
  if (target.kind === 'user') {
    const r = await services.directory.user(viewer, target.name, { memberOf: true, superuser: true });
    return r ? { dn: dit.userDn(r.user.username), attrs: userEntry(dit, r.user, r.memberOf ?? [], r.superuser === true, sel) } : null;
  }
  const r = await services.directory.group(viewer, target.name, { memberUsers: true, memberGroups: true, parents: true });
  return r ? { dn: dit.groupDn(r.group.name), attrs: groupEntry(dit, r.group, r.memberUsers ?? [], r.memberGroups ?? [], r.parents ?? [], sel) } : null;
}
