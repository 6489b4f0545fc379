/**
 * The search operation (RFC 4511 §4.5): base/one/sub from any DN of the tree, filters compiled
 * by the query engine into SQL, entries streamed in keyset batches (never the whole directory
 * in memory), size and time limits, paged results (RFC 2696) and server-side sort (RFC 2891).
 */
import { compare, hasMember } from '../../src/query/ast.js';
import type { QueryNode } from '../../src/query/ast.js';
import { ldapFilterToQuery } from '../../src/query/ldap-filter.js';
import type { LdapFilter } from '../../src/query/ldap-filter.js';
import { parseOrdering } from '../../src/query/ordering.js';
import type { Ordering } from '../../src/query/ordering.js';
import { restrict } from '../../src/query/validate.js';
import type { Validated } from '../../src/query/validate.js';
import { compareCodePoints } from '../../src/query/sql-text.js';
import { selectLdapGroups, selectLdapUsers, sortTextsLikeDatabase, textCollation, type IdentityGuard } from '../../src/store/ldap-read-store.js';
import type { LdapGroupRecord, LdapUserRecord } from '../../src/store/ldap-read-store.js';
import type { Row } from '../../src/store/query-sql.js';
import { fixedEntry, groupEntry, parseSelection, selectAttributes, userEntry, wants } from './entries.js';
import type { Selection } from './entries.js';
import { decodeFilter, matchEntry } from './filters.js';
import { decodeSearch, OP, Scope } from './messages.js';
import { defineOperation, resultReply, type Reply } from './operation.js';
import type { Message, SearchRequest } from './messages.js';
import { decodePagedControl, pagedResponse, searchFingerprint } from './paged-results.js';
import type { PageState, PagedRequest } from './paged-results.js';
import { RESULT } from './result-codes.js';
import { encodeEntry } from './responses.js';
import type { EntryAttribute, ResponseControl } from './responses.js';
import { CONTROL, rootDse } from './root-dse.js';
import type { Identity, Session } from './session.js';
import { decodeSortControl, orderingFor, sortColumn, sortResponse } from './sort-control.js';
import type { SortKey } from './sort-control.js';
import { subschemaEntry } from './subschema.js';

type Entity = 'users' | 'groups';
/** One database round trip's worth of encoded entries. */
interface Batch {
  readonly entries: Buffer[];
  /** Rows fetched (one more than `entries` when the budget ran out). */
  readonly fetched: number;
  /** Keyset position after the last entry sent. */
  readonly last: Row | null;
}
type Part =
  | { readonly kind: 'fixed'; readonly dn: string; readonly attrs: readonly EntryAttribute[] }
  | { readonly kind: 'rows'; readonly entity: Entity; readonly extra?: QueryNode };
/** A sorted search over several parts is one phase: their sorted streams merged. */
type Phase = Part | { readonly kind: 'merged'; readonly parts: readonly Part[] };

/** One entry of a merged (sorted) search, with what orders it. */
interface MergeItem {
  /** The sort keys' values (the database's key columns); null where the entry lacks the attribute. */
  readonly values: readonly (string | null)[];
  /** Tiebreak inside the part (seq for rows; fixed parts hold one entry). */
  readonly seq: number;
  /** Keyset position of a row; null for a fixed entry. */
  readonly key: Row | null;
  encode(): Buffer;
}

/** Where one part of a merged search stands. */
interface Cursor {
  readonly part: Part;
  readonly index: number;
  items: MergeItem[];
  at: number;
  /** No rows beyond `items`. */
  exhausted: boolean;
  /** Keyset position of the last row taken (continuation for the next page). */
  taken: Row | null;
  /** Keyset position of the last row fetched (continuation for the next batch). */
  fetched: Row | null;
}

/** A merged search's continuation: per part, the last row taken, null (from the start) or 'done'. */
type MergePositions = Array<Row | null | 'done'>;

/** Without a sort control: `seq` order (parsed once). */
const DEFAULT_ORDERINGS = { users: parseOrdering('', 'users'), groups: parseOrdering('', 'groups') } as const;

/** Rows fetched per database round trip while streaming. */
const BATCH = 250;

/** Serves one search; its reply is the SearchResultDone message, null when abandoned. */
export const searchOperation = defineOperation({
  name: 'search',
  requestTag: OP.SEARCH_REQUEST,
  responseTag: OP.SEARCH_DONE,
  controls: [CONTROL.PAGED_RESULTS, CONTROL.SORT_REQUEST],
  decode: decodeSearch,
  perform: (s, msg, req) => new SearchRun(s, msg, req).run(),
});

class SearchRun {
  private readonly sel: Selection;
  private readonly controls: ResponseControl[] = [];
  private paged: PagedRequest | null = null;
  private sortKeys: SortKey[] | null = null;
  private sortCritical = false;
  private filter!: LdapFilter;
  private me!: Identity;
  /**
   * Whether the bound identity was re-checked during this search. Until it is, every statement
   * carries it as a guard (its rows come back only while the identity holds) and nothing else
   * is sent; an empty result or the end of the search re-checks it explicitly.
   */
  private verified = false;

  constructor(private readonly s: Session, private readonly msg: Message, private readonly req: SearchRequest) {
    this.sel = parseSelection(req.attributes);
  }

  private done(code: number, message = '', matchedDn = ''): Reply {
    return resultReply(this.msg.id, OP.SEARCH_DONE, code, message, { matchedDn, controls: this.controls });
  }

  async run(): Promise<Reply | null> {
    const { dit, config } = this.s.ctx;
    for (const c of this.msg.controls) {
      if (c.oid === CONTROL.PAGED_RESULTS) this.paged = decodePagedControl(c.value);
      else if (c.oid === CONTROL.SORT_REQUEST) { this.sortKeys = decodeSortControl(c.value); this.sortCritical = c.critical; }
    }
    this.filter = decodeFilter(this.req.filter, config.query);
    let target = dit.classify(this.req.base);
    let scope = this.req.scope;
    if (target.kind === 'invalid') return this.done(RESULT.invalidDNSyntax, `invalid DN: ${this.req.base}`);
    if (target.kind === 'none') return this.done(RESULT.noSuchObject, `no such entry: ${this.req.base}`, target.matched);
    if (target.kind === 'rootDse' && scope === Scope.Base) return this.single(rootDse(dit, this.s.ctx.tls), '');
    if (target.kind === 'subschema') return scope === Scope.One ? this.done(RESULT.success) : this.single(subschemaEntry(), 'cn=subschema');
    const bound = target.kind === 'user' || target.kind === 'group' ? await this.verify() : this.s.boundIdentity();
    if (!bound) return this.anonymous();
    this.me = bound;
    if (target.kind === 'rootDse') {
      // One level below the root DSE is the naming context; a subtree search covers the tree.
      target = { kind: 'base' };
      scope = scope === Scope.One ? Scope.Base : Scope.Sub;
    }
    const phases: Phase[] = [];
    const fixed = (k: 'base' | 'users' | 'groups') => {
      const e = fixedEntry(dit, k);
      phases.push({ kind: 'fixed', dn: e.dn, attrs: e.attrs });
    };
    switch (target.kind) {
      case 'base':
        if (scope === Scope.One) { fixed('users'); fixed('groups'); break; }
        fixed('base');
        if (scope === Scope.Sub) { fixed('users'); fixed('groups'); phases.push({ kind: 'rows', entity: 'users' }, { kind: 'rows', entity: 'groups' }); }
        break;
      case 'users':
      case 'groups':
        if (scope !== Scope.One) fixed(target.kind);
        if (scope !== Scope.Base) phases.push({ kind: 'rows', entity: target.kind });
        break;
      case 'user': {
        const u = await this.s.ctx.services.users.findByUsername(target.name);
        if (!u || (!this.me.fullAccess && u.id !== this.me.user.id)) return this.done(RESULT.noSuchObject, `no such entry: ${this.req.base}`, dit.usersDn);
        if (scope !== Scope.One) phases.push({ kind: 'rows', entity: 'users', extra: compare('id', 'eq', u.id) });
        break;
      }
      case 'group': {
        const g = await this.s.ctx.services.groups.findByName(target.name);
        if (!g) return this.done(RESULT.noSuchObject, `no such entry: ${this.req.base}`, dit.groupsDn);
        if (scope !== Scope.One) phases.push({ kind: 'rows', entity: 'groups', extra: compare('id', 'eq', g.id) });
        break;
      }
    }
    return this.stream(phases);
  }

  private anonymous(): Reply {
    return this.done(RESULT.insufficientAccessRights, 'anonymous clients may read only the root DSE and cn=subschema; bind first');
  }

  /** Re-checks the bound identity now (one indexed lookup); null when it can no longer act. */
  private async verify(): Promise<Identity | null> {
    const me = await this.s.identity();
    this.verified = true;
    if (me) this.me = me;
    return me;
  }

  /** A base search of an entry outside the tree (root DSE, subschema): all its attributes unless a list narrows them. */
  private async single(attrs: readonly EntryAttribute[], dn: string): Promise<Reply | null> {
    if (matchEntry(this.filter, attrs) === true) {
      const sel = this.sel.allUser || this.sel.allOperational ? attrs : attrs.filter(([n]) => this.sel.names.has(n.toLowerCase()));
      await this.s.write([encodeEntry(this.msg.id, dn, sel, this.req.typesOnly)]);
    }
    return this.done(RESULT.success);
  }

  private orderings(): { users: Ordering; groups: Ordering } | { unsupported: string } {
    if (!this.sortKeys) return DEFAULT_ORDERINGS;
    const keys = this.sortKeys;
    const u = orderingFor(keys, 'users');
    if ('unsupported' in u) return u;
    const g = orderingFor(keys, 'groups');
    if ('unsupported' in g) return g;
    return { users: parseOrdering(u.ordering, 'users'), groups: parseOrdering(g.ordering, 'groups') };
  }

  private query(entity: Entity, extra: QueryNode | undefined): Validated {
    const me = this.me;
    const { dit, config } = this.s.ctx;
    let v = ldapFilterToQuery(this.filter, entity, { baseDn: dit.baseDn, limits: config.query });
    if (extra) v = restrict(v, extra);
    if (!me.fullAccess) {
      // Who sees what (DESIGN.md): only the own entry and the groups the user belongs to.
      v = restrict(v, entity === 'users' ? compare('id', 'eq', me.user.id) : hasMember({ entity: 'users', by: 'id', value: me.user.id }, true));
    }
    return v;
  }

  private async stream(phases: readonly Phase[]): Promise<Reply | null> {
    const me = this.me;
    const { config } = this.s.ctx;
    let ordering = this.orderings();
    if ('unsupported' in ordering) {
      if (this.sortCritical) return this.done(RESULT.unavailableCriticalExtension, `cannot sort on ${ordering.unsupported}; sortable: uid, cn, displayName, mail`);
      this.controls.push(sortResponse(RESULT.unwillingToPerform, ordering.unsupported));
      ordering = { users: parseOrdering('', 'users'), groups: parseOrdering('', 'groups') };
    } else if (this.sortKeys) {
      this.controls.push(sortResponse(RESULT.success));
      // Users, groups and the fixed entries in one ordering (RFC 2891), not one after the other.
      if (phases.length > 1 && phases.every((p) => p.kind !== 'merged')) phases = [{ kind: 'merged', parts: phases as readonly Part[] }];
    }
    const clientLimit = this.req.sizeLimit > 0 ? this.req.sizeLimit : Infinity;
    const timeLimit = Math.min(this.req.timeLimit > 0 ? this.req.timeLimit : Infinity, config.ldap.timeLimit);
    const deadline = Date.now() + timeLimit * 1000;
    let state: PageState | undefined;
    let budget: number;
    let budgetIsClientLimit: boolean;
    // Only paged searches need it (a hash per search is measurable at thousands per second).
    const fingerprint = !this.paged ? '' : searchFingerprint([
      me.user.id, this.req.base, this.req.scope, this.req.filter.buf.subarray(this.req.filter.pos, this.req.filter.end),
      this.req.attributes.join('\0'), this.req.typesOnly, JSON.stringify(this.sortKeys),
    ]);
    if (this.paged) {
      if (this.paged.cookie.length > 0) {
        state = this.s.pages.take(this.paged.cookie);
        if (!state || state.fingerprint !== fingerprint) {
          return this.done(RESULT.unwillingToPerform, 'the paged results cookie is invalid (unknown, already used, or from another search)');
        }
      }
      if (this.paged.size === 0) {
        this.controls.push(pagedResponse(Buffer.alloc(0)));
        return this.done(RESULT.success); // RFC 2696 §3: size 0 abandons the paged search
      }
      const remaining = clientLimit - (state?.sent ?? 0);
      const pageSize = Math.min(this.paged.size, config.ldap.sizeLimit);
      budget = Math.min(pageSize, remaining);
      budgetIsClientLimit = remaining <= pageSize;
    } else {
      budget = Math.min(clientLimit, config.ldap.sizeLimit);
      budgetIsClientLimit = true;
    }
    const sentBefore = state?.sent ?? 0;
    let sent = 0;
    const stop = (phase: number, after: Row | null): Reply => {
      if (this.paged && !budgetIsClientLimit) {
        const cookie = this.s.pages.issue({ fingerprint, phase, after, sent: sentBefore + sent });
        this.controls.push(pagedResponse(cookie));
        return this.done(RESULT.success);
      }
      if (this.paged) this.controls.push(pagedResponse(Buffer.alloc(0)));
      return this.done(RESULT.sizeLimitExceeded, `size limit of ${budget + sentBefore} entries exceeded`);
    };
    for (let pi = state?.phase ?? 0, after: Row | null = state?.after ?? null; pi < phases.length; pi++, after = null) {
      const phase = phases[pi]!;
      if (phase.kind === 'merged') {
        if (!this.verified && !(await this.verify())) return this.anonymous();
        const positions = (after as { merged?: MergePositions } | null)?.merged ?? phase.parts.map(() => null);
        const r = await this.merge(phase.parts, positions, ordering, budget - sent, deadline, (n) => { sent += n; });
        if (r === null) return null;
        if (r === 'time') {
          if (this.paged) this.controls.push(pagedResponse(Buffer.alloc(0)));
          return this.done(RESULT.timeLimitExceeded, `time limit of ${timeLimit} s exceeded`);
        }
        if (r !== 'end') return stop(pi, { merged: r });
        continue;
      }
      if (phase.kind === 'fixed') {
        if (matchEntry(this.filter, phase.attrs) !== true) continue;
        if (!this.verified && !(await this.verify())) return this.anonymous();
        if (sent >= budget) return stop(pi, null);
        await this.s.write([encodeEntry(this.msg.id, phase.dn, selectAttributes(phase.attrs, this.sel), this.req.typesOnly)]);
        sent++;
        continue;
      }
      let v = this.query(phase.entity, phase.extra);
      if (v.node.kind === 'false') continue;
      const o = phase.entity === 'users' ? ordering.users : ordering.groups;
      for (;;) {
        const remaining = budget - sent;
        const limit = Math.min(remaining + 1, BATCH);
        const guard = this.verified ? undefined : { id: this.me.user.id, username: this.me.user.username, fullAccess: this.me.fullAccess };
        const batch = phase.entity === 'users'
          ? await this.userBatch(v, o, limit, remaining, after, guard)
          : await this.groupBatch(v, o, limit, remaining, after, guard);
        if (this.s.isAbandoned(this.msg.id)) return null;
        if (guard) {
          if (batch.fetched > 0) {
            this.verified = true; // the statement itself found the identity unchanged
          } else {
            const fullAccess = this.me.fullAccess;
            if (!(await this.verify())) return this.anonymous();
            if (this.me.fullAccess !== fullAccess) {
              v = this.query(phase.entity, phase.extra); // visibility changed: run this batch again
              if (v.node.kind === 'false') break;
              continue;
            }
          }
        }
        if (batch.entries.length > 0) {
          await this.s.write(batch.entries);
          sent += batch.entries.length;
          after = batch.last;
        }
        if (this.s.isAbandoned(this.msg.id)) return null;
        if (batch.entries.length < batch.fetched) return stop(pi, after);
        if (batch.fetched < limit) break;
        if (Date.now() > deadline) {
          if (this.paged) this.controls.push(pagedResponse(Buffer.alloc(0)));
          return this.done(RESULT.timeLimitExceeded, `time limit of ${timeLimit} s exceeded`);
        }
      }
    }
    if (!this.verified && !(await this.verify())) return this.anonymous();
    if (this.paged) this.controls.push(pagedResponse(Buffer.alloc(0)));
    return this.done(RESULT.success);
  }

  /**
   * Streams a sorted search over several parts as one ordering: a k-way merge of each part's
   * keyset stream (every part sorted by the same keys in SQL), comparing with the database's own
   * text order (byte order of UTF-8 on SQLite and C-collated PostgreSQL; otherwise the database
   * ranks the values buffered). Entries lacking a key's attribute sort after those having it
   * (before them when reversed), as the SQL orderings put NULLs. Sends at most `budget` entries
   * and then looks ahead: returns 'end' when nothing follows (so the last page carries the empty
   * cookie), else the positions to continue from; null when abandoned, 'time' past the deadline.
   */
  private async merge(parts: readonly Part[], positions: MergePositions, ordering: { users: Ordering; groups: Ordering },
    budget: number, deadline: number, count: (n: number) => void): Promise<MergePositions | 'end' | 'time' | null> {
    const keys = this.sortKeys ?? [];
    const db = this.s.ctx.services.ldapStore;
    const collation = await textCollation(db);
    let ranks: Map<string, number> | null = null;
    const cursors: Cursor[] = [];
    parts.forEach((part, index) => {
      const pos = positions[index];
      const c: Cursor = { part, index, items: [], at: 0, exhausted: pos === 'done', taken: pos === 'done' ? null : pos ?? null, fetched: null };
      c.fetched = c.taken;
      if (part.kind === 'fixed') {
        c.exhausted = true;
        if (pos !== 'done' && matchEntry(this.filter, part.attrs) === true) {
          c.items = [{ values: keys.map(() => null), seq: 0, key: null,
            encode: () => encodeEntry(this.msg.id, part.dn, selectAttributes(part.attrs, this.sel), this.req.typesOnly) }];
        }
      }
      cursors.push(c);
    });
    const valuesOf = (entity: Entity, key: Row) => keys.map((k) => {
      const col = sortColumn(k.attribute, entity);
      const v = col === undefined ? null : key[col];
      return v === null || v === undefined ? null : String(v);
    });
    let sent = 0;
    const refill = async (c: Cursor): Promise<void> => {
      const part = c.part;
      if (part.kind !== 'rows') { c.exhausted = true; return; }
      const v = this.query(part.entity, part.extra);
      if (v.node.kind === 'false') { c.exhausted = true; c.items = []; c.at = 0; return; }
      const limit = Math.max(1, Math.min(budget - sent + 1, BATCH));
      if (part.entity === 'users') {
        const records = await this.fetchUsers(v, ordering.users, limit, c.fetched);
        c.items = records.map((r) => ({ values: valuesOf('users', r.key), seq: r.user.seq, key: r.key, encode: () => this.encodeUser(r) }));
        c.exhausted = records.length < limit;
      } else {
        const records = await this.fetchGroups(v, ordering.groups, limit, c.fetched);
        c.items = records.map((r) => ({ values: valuesOf('groups', r.key), seq: r.group.seq, key: r.key, encode: () => this.encodeGroup(r) }));
        c.exhausted = records.length < limit;
      }
      c.at = 0;
      if (c.items.length) c.fetched = c.items[c.items.length - 1]!.key;
      if (collation === 'database') {
        // Rank every value buffered now (the heads compared next are among them).
        const texts = new Set<string>();
        for (const d of cursors) for (let i = d.at; i < d.items.length; i++) for (const x of d.items[i]!.values) if (x !== null) texts.add(x);
        const sorted = await sortTextsLikeDatabase(db, [...texts]);
        ranks = new Map(sorted.map((t, i) => [t, i]));
      }
    };
    const head = async (c: Cursor): Promise<MergeItem | undefined> => {
      if (c.at >= c.items.length && !c.exhausted) await refill(c);
      return c.items[c.at];
    };
    const text = (a: string, b: string): number => {
      if (ranks) {
        const ra = ranks.get(a), rb = ranks.get(b);
        if (ra !== undefined && rb !== undefined) return ra - rb;
      }
      return compareCodePoints(a, b);
    };
    const before = (a: MergeItem, ai: number, b: MergeItem, bi: number): boolean => {
      for (let k = 0; k < keys.length; k++) {
        const x = a.values[k]!, y = b.values[k]!;
        if (x === y) continue;
        // Absent values sort last (NULLS LAST ascending, NULLS FIRST descending, as in SQL).
        const c = x === null ? 1 : y === null ? -1 : text(x, y);
        if (c !== 0) return (keys[k]!.reverse ? -c : c) < 0;
      }
      return ai !== bi ? ai < bi : a.seq < b.seq;
    };
    const saved = (): MergePositions => cursors.map((c) => (c.exhausted && c.at >= c.items.length ? 'done' : c.taken));
    let pending: Buffer[] = [];
    const flush = async (): Promise<boolean> => {
      if (pending.length) { await this.s.write(pending); count(pending.length); pending = []; }
      return !this.s.isAbandoned(this.msg.id);
    };
    for (;;) {
      // Refill any empty cursor first: with a linguistic collation the ranks must cover every head.
      for (const c of cursors) await head(c);
      if (this.s.isAbandoned(this.msg.id)) return null;
      let best: Cursor | undefined;
      for (const c of cursors) {
        const it = c.items[c.at];
        if (it && (!best || before(it, c.index, best.items[best.at]!, best.index))) best = c;
      }
      if (!best) return (await flush()) ? 'end' : null;
      if (sent >= budget) return (await flush()) ? saved() : null; // something follows: a cookie
      const item = best.items[best.at++]!;
      if (item.key) best.taken = item.key;
      else best.exhausted = true;
      pending.push(item.encode());
      sent++;
      if (pending.length >= BATCH) {
        if (!(await flush())) return null;
        if (Date.now() > deadline) return 'time';
      }
    }
  }

  private async fetchUsers(v: Validated, o: Ordering, limit: number, after: Row | null, guard?: IdentityGuard): Promise<LdapUserRecord[]> {
    return selectLdapUsers(this.s.ctx.services.ldapStore, v, {
      ordering: o, limit, ...(after ? { after } : {}), ...(guard ? { guard } : {}),
      memberOf: wants(this.sel, 'memberof'), superuser: wants(this.sel, 'dirgatesuperuser'),
    });
  }

  private encodeUser(r: LdapUserRecord): Buffer {
    const { dit } = this.s.ctx;
    return encodeEntry(this.msg.id, dit.userDn(r.user.username), userEntry(dit, r.user, r.memberOf ?? [], r.superuser === true, this.sel), this.req.typesOnly);
  }

  private async fetchGroups(v: Validated, o: Ordering, limit: number, after: Row | null, guard?: IdentityGuard): Promise<LdapGroupRecord[]> {
    const memberDns = wants(this.sel, 'member') || wants(this.sel, 'uniquemember');
    return selectLdapGroups(this.s.ctx.services.ldapStore, v, {
      ordering: o, limit, ...(after ? { after } : {}), ...(guard ? { guard } : {}),
      memberUsers: memberDns || wants(this.sel, 'memberuid'), memberGroups: memberDns, parents: wants(this.sel, 'memberof'),
    });
  }

  private encodeGroup(r: LdapGroupRecord): Buffer {
    const { dit } = this.s.ctx;
    return encodeEntry(this.msg.id, dit.groupDn(r.group.name), groupEntry(dit, r.group, r.memberUsers ?? [], r.memberGroups ?? [], r.parents ?? [], this.sel), this.req.typesOnly);
  }

  /**
   * Up to `limit` users after `after`, the first `remaining` of them encoded: entry rows, their
   * memberOf names and the superuser flag come from one prepared statement, and only when the
   * requested attributes need them.
   */
  private async userBatch(v: Validated, o: Ordering, limit: number, remaining: number, after: Row | null, guard?: IdentityGuard): Promise<Batch> {
    const records = await this.fetchUsers(v, o, limit, after, guard);
    const take = records.length > remaining ? records.slice(0, remaining) : records;
    return { entries: take.map((r) => this.encodeUser(r)), fetched: records.length, last: take.length ? take[take.length - 1]!.key : after };
  }

  /** Like userBatch, for groups: members, child groups and parents as names, in the same statement. */
  private async groupBatch(v: Validated, o: Ordering, limit: number, remaining: number, after: Row | null, guard?: IdentityGuard): Promise<Batch> {
    const records = await this.fetchGroups(v, o, limit, after, guard);
    const take = records.length > remaining ? records.slice(0, remaining) : records;
    return { entries: take.map((r) => this.encodeGroup(r)), fetched: records.length, last: take.length ? take[take.length - 1]!.key : after };
  }
}

