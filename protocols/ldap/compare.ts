/** The compare operation (RFC 4511 §4.10) on any entry the bound user may see. */
import { fixedEntry, groupEntry, userEntry } from './entries.js';
import type { Selection } from './entries.js';
import { LdapError } from './errors.js';
import type { CompareRequest } from './messages.js';
import { RESULT } from './result-codes.js';
import type { EntryAttribute } from './responses.js';
import { rootDse } from './root-dse.js';
import type { Session } from './session.js';
import { subschemaEntry } from './subschema.js';

const ALL: Selection = { allUser: true, allOperational: true, names: new Set() };

/** compareTrue (6) or compareFalse (5). @throws LdapError (noSuchObject, noSuchAttribute, …) */
export async function handleCompare(s: Session, req: CompareRequest): Promise<number> {
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
  if (t.kind === 'subschema') return subschemaEntry();
  const me = await s.identity();
  if (!me) throw new LdapError(RESULT.insufficientAccessRights, 'anonymous clients may read only the root DSE and cn=subschema; bind first');
  switch (t.kind) {
    case 'base': case 'users': case 'groups':
      return fixedEntry(dit, t.kind).attrs;
    case 'user': {
      const u = await services.users.findByUsername(t.name);
      if (!u || (!me.fullAccess && u.id !== me.user.id)) throw new LdapError(RESULT.noSuchObject, `no such entry: ${dn}`, dit.usersDn);
      const groups = (await services.users.groupsOf([u.id])).get(u.id) ?? [];
      return userEntry(dit, u, groups.map((g) => g.name), await services.access.isSuperuser(u.id), ALL);
    }
    case 'group': {
      const g = await services.groups.findByName(t.name);
      const visible = g && (me.fullAccess || (await services.groups.membersOf([g.id])).get(g.id)?.some((u) => u.id === me.user.id));
      if (!g || !visible) throw new LdapError(RESULT.noSuchObject, `no such entry: ${dn}`, dit.groupsDn);
      const [members, children, parents] = await Promise.all([
        services.groups.membersOf([g.id]), services.groups.childrenOf([g.id]), services.groups.parentsOf([g.id]),
      ]);
      const names = <T>(m: Map<string, T[]>, f: (x: T) => string) => (m.get(g.id) ?? []).map(f);
      return groupEntry(dit, g, names(members, (u) => u.username), names(children, (c) => c.name), names(parents, (p) => p.name), ALL);
    }
  }
}
