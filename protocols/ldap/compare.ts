/**
 * The compare operation (RFC 4511 §4.10) on any entry the bound user may see. Entries come from
 * the directory service search reads (same visibility rule, same rows), so Compare answers
 * exactly what a search of the entry would show.
 */
import { fixedEntry, groupEntry, userEntry } from './entries.js';
import type { Selection } from './entries.js';
import { LdapError } from './errors.js';
import { decodeCompare, OP, type CompareRequest } from './messages.js';
import { defineOperation, resultReply } from './operation.js';
import { RESULT } from './result-codes.js';
import type { EntryAttribute } from './responses.js';
import { rootDse } from './root-dse.js';
import type { Session } from './session.js';
import { subschemaEntry } from './subschema.js';

const ALL: Selection = { allUser: true, allOperational: true, names: new Set() };

export const compareOperation = defineOperation({
  name: 'compare',
  requestTag: OP.COMPARE_REQUEST,
  responseTag: OP.COMPARE_RESPONSE,
  decode: decodeCompare,
  perform: async (s, msg, req) => resultReply(msg.id, OP.COMPARE_RESPONSE, await handleCompare(s, req)),
});

/** compareTrue (6) or compareFalse (5). @throws LdapError (noSuchObject, noSuchAttribute, …) */
async function handleCompare(s: Session, req: CompareRequest): Promise<number> {
  const attr = req.attribute.trim().toLowerCase();
  if (attr === 'userpassword') throw new LdapError(RESULT.insufficientAccessRights, 'passwords cannot be compared; bind instead');
  const attrs = await entryOf(s, req.dn);
  const values = attrs.find(([n]) => n.toLowerCase() === attr)?.[1];
  if (!values) throw new LdapError(RESULT.noSuchAttribute, `the entry has no attribute ${req.attribute}`);
  const wanted = normalise(req.value.toString('utf8'));
  return values.some((v) => normalise(v) === wanted) ? RESULT.compareTrue : RESULT.compareFalse;
}

/** Case-insensitive, and spaces around DN separators ignored (memberOf, member). */
function normalise(v: string): string {
  return v.trim().toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
}

async function entryOf(s: Session, dn: string): Promise<readonly EntryAttribute[]> {
  const { dit, services } = s.ctx;
  const t = dit.classify(dn);
  if (t.kind === 'invalid') throw new LdapError(RESULT.invalidDNSyntax, `invalid DN: ${dn}`);
  if (t.kind === 'none') throw new LdapError(RESULT.noSuchObject, `no such entry: ${dn}`, t.matched);
  if (t.kind === 'rootDse') return rootDse(dit, s.ctx.tls);
  if (t.kind === 'subschema') return subschemaEntry(s.ctx.config.ldap.readOnly);
  const me = await s.identity();
  if (!me) throw new LdapError(RESULT.insufficientAccessRights, 'anonymous clients may read only the root DSE and cn=subschema; bind first');
  const viewer = { id: me.user.id, username: me.user.username, fullAccess: me.fullAccess };
  switch (t.kind) {
    case 'base': case 'users': case 'groups':
      return fixedEntry(dit, t.kind).attrs;
    case 'user': {
      const r = await services.directory.user(viewer, t.name, { memberOf: true, superuser: true });
      if (!r) throw new LdapError(RESULT.noSuchObject, `no such entry: ${dn}`, dit.usersDn);
      return userEntry(dit, r.user, r.memberOf ?? [], r.superuser === true, ALL);
    }
    case 'group': {
      const r = await services.directory.group(viewer, t.name, { memberUsers: true, memberGroups: true, parents: true });
      if (!r) throw new LdapError(RESULT.noSuchObject, `no such entry: ${dn}`, dit.groupsDn);
      return groupEntry(dit, r.group, r.memberUsers ?? [], r.memberGroups ?? [], r.parents ?? [], ALL);
    }
  }
}
