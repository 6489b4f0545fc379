/**
 * The plan of a search (RFC 4511 §4.5.1): which entries its base and scope cover, as parts —
 * fixed entries (the base, ou=users, ou=groups), rows of users or groups — before anything is
 * read. A sorted search over several parts is one merged phase (RFC 2891: one ordering, not
 * one kind after the other). Pure: no database, no session.
 */
import type { Dit } from './dit.js';
import { fixedEntry } from './entries.js';
import { Scope } from './messages.js';
import { RESULT } from './result-codes.js';
import type { EntryAttribute } from './responses.js';
import { rootDse } from './root-dse.js';
import { subschemaEntry } from './subschema.js';

export type Entity = 'users' | 'groups';

export type Part =
  | { readonly kind: 'fixed'; readonly dn: string; readonly attrs: readonly EntryAttribute[] }
  /** Rows of `entity`; `onlyBase`: just the entry the search base names. */
  | { readonly kind: 'rows'; readonly entity: Entity; readonly onlyBase?: boolean };

export type Phase = Part | { readonly kind: 'merged'; readonly parts: readonly Part[] };

/** The entry a search base names. */
export interface BaseEntry {
  readonly entity: Entity;
  readonly name: string;
}

export type SearchPlan =
  /** Answered without reading anything. */
  | { readonly kind: 'result'; readonly code: number; readonly message: string; readonly matchedDn: string }
  /** One entry outside the tree (root DSE, subschema), readable without a bind. */
  | { readonly kind: 'single'; readonly dn: string; readonly attrs: readonly EntryAttribute[] }
  /** Directory entries (a bound viewer only); `base`: the entry the base names, located first. */
  | { readonly kind: 'tree'; readonly parts: readonly Part[]; readonly base: BaseEntry | null };

/** What a search of `base` with `scope` covers. */
export function planSearch(dit: Dit, base: string, scope: Scope, tls: boolean, readOnly = false): SearchPlan {
  const target = dit.classify(base);
  const result = (code: number, message: string, matchedDn = ''): SearchPlan => ({ kind: 'result', code, message, matchedDn });
  const fixed = (k: 'base' | 'users' | 'groups'): Part => ({ kind: 'fixed', ...fixedEntry(dit, k) });
  const users: Part = { kind: 'rows', entity: 'users' };
  const groups: Part = { kind: 'rows', entity: 'groups' };
  const tree = (parts: Part[], located: BaseEntry | null = null): SearchPlan => ({ kind: 'tree', parts, base: located });
  switch (target.kind) {
    case 'invalid': return result(RESULT.invalidDNSyntax, `invalid DN: ${base}`);
    case 'none': return result(RESULT.noSuchObject, `no such entry: ${base}`, target.matched);
    case 'subschema':
      return scope === Scope.One ? result(RESULT.success, '') : { kind: 'single', dn: 'cn=subschema', attrs: subschemaEntry(readOnly) };
    case 'rootDse':
      if (scope === Scope.Base) return { kind: 'single', dn: '', attrs: rootDse(dit, tls) };
      // One level below the root DSE is the naming context; a subtree search covers the tree.
      return tree(scope === Scope.One ? [fixed('base')] : [fixed('base'), fixed('users'), fixed('groups'), users, groups]);
    case 'base':
      if (scope === Scope.Base) return tree([fixed('base')]);
      if (scope === Scope.One) return tree([fixed('users'), fixed('groups')]);
      return tree([fixed('base'), fixed('users'), fixed('groups'), users, groups]);
    case 'users':
    case 'groups': {
      const parts: Part[] = [];
      if (scope !== Scope.One) parts.push(fixed(target.kind));
      if (scope !== Scope.Base) parts.push(target.kind === 'users' ? users : groups);
      return tree(parts);
    }
    case 'user':
    case 'group': {
      const entity: Entity = target.kind === 'user' ? 'users' : 'groups';
      return tree(scope === Scope.One ? [] : [{ kind: 'rows', entity, onlyBase: true }], { entity, name: target.name });
    }
  }
}

/** The phases a search runs: with a sort control, several parts merge into one ordering. */
export function phasesOf(parts: readonly Part[], sorted: boolean): readonly Phase[] {
  return sorted && parts.length > 1 ? [{ kind: 'merged', parts }] : parts;
}
