/**
 * The search operation (RFC 4511 §4.5): the run that ties its plan (search-plan.ts), its
 * paging (search-paging.ts, paged-results.ts: RFC 2696), its sorted merge (sorted-merge.ts:
 * RFC 2891) and its rows (search-rows.ts) together. Filters are compiled by the query engine
 * into SQL, entries stream in keyset batches (never the whole directory in memory), size and
 * time limits hold.
 */
import { compare, type QueryNode } from '../../src/query/ast.js';
import { ldapFilterToQuery, type LdapFilter } from '../../src/query/ldap-filter.js';
import { parseOrdering, type Ordering } from '../../src/query/ordering.js';
import { restrict, type Validated } from '../../src/query/validate.js';
import type { KeysetPosition, Viewer } from '../../src/services/directory.js';
import { parseSelection, selectAttributes } from './entries.js';
import { decodeFilter, matchEntry } from './filters.js';
import { decodeSearch, OP, type Message, type SearchRequest } from './messages.js';
import { defineOperation, resultReply, type Reply } from './operation.js';
import { decodePagedControl, pagedResponse, searchFingerprint, type MergePositions, type PagedRequest, type PhasePosition } from './paged-results.js';
import { RESULT } from './result-codes.js';
import { answerKey, MAX_ANSWER_ENTRIES } from './search-answers.js';
import { encodeEntry, type ResponseControl } from './responses.js';
import { CONTROL } from './root-dse.js';
import { openWindow, windowFull, type SearchPoint, type SearchWindow } from './search-paging.js';
import { phasesOf, planSearch, type BaseEntry, type Entity, type Part, type Phase } from './search-plan.js';
import { readRows, type EntryShape } from './search-rows.js';
import { ViewerCheck } from './search-viewer.js';
import type { Identity, Session } from './session.js';
import { decodeSortControl, orderingFor, sortColumn, sortResponse, type SortKey } from './sort-control.js';
import { CODEPOINT_ORDER, mergeSorted, rankedOrder, type MergeItem, type MergeSource } from './sorted-merge.js';

/** Rows fetched per database round trip while streaming. */
const BATCH = 250;

/** Without a sort control: `seq` order (parsed once). */
const DEFAULT_ORDERINGS: Orderings = { users: parseOrdering('', 'users'), groups: parseOrdering('', 'groups') };

const ANONYMOUS = 'anonymous clients may read only the root DSE and cn=subschema; bind first';

interface Orderings {
  readonly users: Ordering;
  readonly groups: Ordering;
}

/** Serves one search; its reply is the SearchResultDone message, null when abandoned. */
export const searchOperation = defineOperation({
  name: 'search',
  requestTag: OP.SEARCH_REQUEST,
  responseTag: OP.SEARCH_DONE,
  controls: [CONTROL.PAGED_RESULTS, CONTROL.SORT_REQUEST],
  decode: decodeSearch,
  perform: runSearch,
});

/** The SearchResultDone of one search, with the response controls gathered on the way. */
class Done {
  readonly controls: ResponseControl[] = [];
  constructor(private readonly id: number) {}

  reply(code: number, message = '', matchedDn = ''): Reply {
    return resultReply(this.id, OP.SEARCH_DONE, code, message, { matchedDn, controls: this.controls });
  }
}

interface SearchControls {
  readonly paged: PagedRequest | null;
  readonly sort: { readonly keys: SortKey[]; readonly critical: boolean } | null;
}

/** @throws BerError when a control value is malformed */
function readControls(msg: Message): SearchControls {
  let paged: PagedRequest | null = null;
  let sort: SearchControls['sort'] = null;
  for (const c of msg.controls) {
    if (c.oid === CONTROL.PAGED_RESULTS) paged = decodePagedControl(c.value);
    else if (c.oid === CONTROL.SORT_REQUEST) sort = { keys: decodeSortControl(c.value), critical: c.critical };
  }
  return { paged, sort };
}

async function runSearch(s: Session, msg: Message, req: SearchRequest): Promise<Reply | null> {
  const { dit, config } = s.ctx;
  const controls = readControls(msg);
  const filter = decodeFilter(req.filter, config.query);
  const done = new Done(msg.id);
  const plan = planSearch(dit, req.base, req.scope, s.ctx.tls, s.ctx.config.ldap.readOnly);
  if (plan.kind === 'result') return done.reply(plan.code, plan.message, plan.matchedDn);
  const shape: EntryShape = { messageId: msg.id, selection: parseSelection(req.attributes), typesOnly: req.typesOnly };
  if (plan.kind === 'single') {
    // An entry outside the tree: all its attributes unless a list narrows them.
    if (matchEntry(filter, plan.attrs) === true) {
      const sel = shape.selection;
      const attrs = sel.allUser || sel.allOperational ? plan.attrs : plan.attrs.filter(([n]) => sel.names.has(n.toLowerCase()));
      await s.write([encodeEntry(msg.id, plan.dn, attrs, req.typesOnly)]);
    }
    return done.reply(RESULT.success);
  }
  // A plain search may be answered with what it sent last time, while the database is unchanged.
  const bound = s.boundIdentity();
  const keep = msg.controls.length === 0 && bound ? { snapshot: await s.ctx.services.directory.snapshot(), key: answerKey(viewerOf(bound), req) } : null;
  if (keep) {
    const kept = s.ctx.answers.find(keep.snapshot, keep.key, msg.id);
    if (kept) {
      if (kept.length > 0) await s.write(kept);
      return done.reply(RESULT.success);
    }
  }
  // Found able to act in the database as it still is: no check needed. Else a search below a
  // named entry checks the identity now; others let their first statement do it.
  const snapshot = keep?.snapshot ?? null;
  const known = snapshot !== null && snapshot === s.verifiedAt;
  const viewer = known ? ViewerCheck.known(s) : plan.base ? await ViewerCheck.now(s) : ViewerCheck.later(s);
  if (!viewer) return done.reply(RESULT.insufficientAccessRights, ANONYMOUS);
  let only: QueryNode | null = null;
  if (plan.base) {
    const id = await locate(s, viewer, plan.base);
    if (!id) return done.reply(RESULT.noSuchObject, `no such entry: ${req.base}`, plan.base.entity === 'users' ? dit.usersDn : dit.groupsDn);
    only = compare('id', 'eq', id);
  }
  const sorting = sortingFor(controls.sort, done);
  if (!('orderings' in sorting)) return sorting;
  // Only paged searches need it (a hash per search is measurable at thousands per second).
  const fingerprint = !controls.paged ? '' : searchFingerprint([
    viewer.identity.user.id, req.base, req.scope, req.filter.buf.subarray(req.filter.pos, req.filter.end),
    req.attributes.join('\0'), req.typesOnly, JSON.stringify(controls.sort?.keys ?? null),
  ]);
  const { paged } = controls;
  const state = paged && paged.cookie.length > 0 ? s.pages.take(paged.cookie) : undefined;
  const opening = openWindow({ paged, state, fingerprint, clientSizeLimit: req.sizeLimit, serverSizeLimit: config.ldap.sizeLimit });
  if (opening.kind === 'invalidCookie') {
    return done.reply(RESULT.unwillingToPerform, 'the paged results cookie is invalid (unknown, already used, or from another search)');
  }
  if (opening.kind === 'pagingAbandoned') {
    done.controls.push(pagedResponse(Buffer.alloc(0)));
    return done.reply(RESULT.success);
  }
  const timeLimit = Math.min(req.timeLimit > 0 ? req.timeLimit : Infinity, config.ldap.timeLimit);
  const tree = new TreeSearch(s, shape, filter, only, sorting.orderings, controls.sort?.keys ?? [], viewer, Date.now() + timeLimit * 1000, keep !== null);
  const outcome = await tree.run(phasesOf(plan.parts, sorting.sorted), opening.window);
  // Checked during this search, so it held at `snapshot` or later: while the database stays at
  // `snapshot` it holds (and once the database moves on, `snapshot` never comes back).
  if (snapshot !== null && !known) s.verifiedAt = outcome.kind !== 'anonymous' && viewer.isChecked ? snapshot : null;
  // Kept only when the identity it was read for held throughout (the key names it).
  const sent = tree.sentEntries;
  if (keep && sent && outcome.kind === 'end' && answerKey(viewer.viewer, req) === keep.key) s.ctx.answers.keep(keep.snapshot, keep.key, sent);
  return finish(s, done, outcome, opening.window, fingerprint, timeLimit);
}

function viewerOf(identity: Identity): Viewer {
  return { id: identity.user.id, username: identity.user.username, fullAccess: identity.fullAccess };
}

/** The id of the entry a search base names, when the viewer may see it. */
async function locate(s: Session, viewer: ViewerCheck, base: BaseEntry): Promise<string | null> {
  const { directory } = s.ctx.services;
  const found = base.entity === 'users'
    ? (await directory.user(viewer.viewer, base.name, { memberOf: false, superuser: false }))?.user.id
    : (await directory.group(viewer.viewer, base.name, { memberUsers: false, memberGroups: false, parents: false }))?.group.id;
  return found ?? null;
}

/** The orderings a sort control asks for (RFC 2891 §2: answered with a sort response control), or the refusal. */
function sortingFor(sort: SearchControls['sort'], done: Done): { orderings: Orderings; sorted: boolean } | Reply {
  if (!sort) return { orderings: DEFAULT_ORDERINGS, sorted: false };
  const o = orderingsFor(sort.keys);
  if ('unsupported' in o) {
    if (sort.critical) return done.reply(RESULT.unavailableCriticalExtension, `cannot sort on ${o.unsupported}; sortable: uid, cn, displayName, mail`);
    done.controls.push(sortResponse(RESULT.unwillingToPerform, o.unsupported));
    return { orderings: DEFAULT_ORDERINGS, sorted: false };
  }
  done.controls.push(sortResponse(RESULT.success));
  return { orderings: o, sorted: true };
}

/** The SearchResultDone for how the tree search ended (a cookie when a page follows). */
function finish(s: Session, done: Done, outcome: Outcome, w: SearchWindow, fingerprint: string, timeLimit: number): Reply | null {
  const empty = () => { if (w.paged) done.controls.push(pagedResponse(Buffer.alloc(0))); };
  switch (outcome.kind) {
    case 'abandoned': return null;
    case 'anonymous': return done.reply(RESULT.insufficientAccessRights, ANONYMOUS);
    case 'time':
      empty();
      return done.reply(RESULT.timeLimitExceeded, `time limit of ${timeLimit} s exceeded`);
    case 'end':
      empty();
      return done.reply(RESULT.success);
    case 'full': {
      const end = windowFull(w, fingerprint, outcome.resume, outcome.sent);
      if (end.kind === 'nextPage') {
        done.controls.push(pagedResponse(s.pages.issue(end.state)));
        return done.reply(RESULT.success);
      }
      empty();
      return done.reply(RESULT.sizeLimitExceeded, `size limit of ${end.limit} entries exceeded`);
    }
  }
}

/** The orderings of users and groups for the sort keys, or the first key we cannot sort on. */
function orderingsFor(keys: readonly SortKey[]): Orderings | { unsupported: string } {
  const u = orderingFor(keys, 'users');
  if ('unsupported' in u) return u;
  const g = orderingFor(keys, 'groups');
  if ('unsupported' in g) return g;
  return { users: parseOrdering(u.ordering, 'users'), groups: parseOrdering(g.ordering, 'groups') };
}

/** How one phase (or the whole tree search) ended. */
type Outcome =
  | { readonly kind: 'end'; readonly sent: number }
  | { readonly kind: 'full'; readonly sent: number; readonly resume: SearchPoint }
  | { readonly kind: 'time' }
  | { readonly kind: 'abandoned' }
  | { readonly kind: 'anonymous' };

type PhaseOutcome = Exclude<Outcome, { kind: 'full' }> | { readonly kind: 'full'; readonly sent: number; readonly at: PhasePosition | null };

/** The directory part of a search: its phases in order, within one response's window. */
class TreeSearch {
  constructor(
    private readonly s: Session,
    private readonly shape: EntryShape,
    private readonly filter: LdapFilter,
    /** The entry the base names, when the search is below one. */
    private readonly only: QueryNode | null,
    private readonly orderings: Orderings,
    private readonly sortKeys: readonly SortKey[],
    private readonly viewer: ViewerCheck,
    private readonly deadline: number,
    /** Keep what is sent, for search-answers.ts (while it stays small). */
    keepSent: boolean,
  ) {
    this.sent = keepSent ? [] : null;
  }

  private sent: Buffer[] | null;

  /** The entries sent, when they were few enough to keep; else null. */
  get sentEntries(): readonly Buffer[] | null {
    return this.sent;
  }

  private async send(messages: Buffer[]): Promise<void> {
    if (this.sent) {
      if (this.sent.length + messages.length <= MAX_ANSWER_ENTRIES) this.sent.push(...messages);
      else this.sent = null;
    }
    await this.s.write(messages);
  }

  async run(phases: readonly Phase[], w: SearchWindow): Promise<Outcome> {
    let sent = 0;
    for (let pi = w.start.phase, at = w.start.at; pi < phases.length; pi++, at = null) {
      const phase = phases[pi]!;
      const left = w.budget - sent;
      const o = phase.kind === 'merged' ? await this.merged(phase.parts, at?.kind === 'merged' ? at.parts : null, left)
        : phase.kind === 'fixed' ? await this.fixed(phase, left)
        : await this.rows(phase.entity, phase.onlyBase === true, at?.kind === 'rows' ? at.after : null, left);
      if (o.kind === 'full') return { kind: 'full', sent: sent + o.sent, resume: { phase: pi, at: o.at } };
      if (o.kind !== 'end') return o;
      sent += o.sent;
    }
    if (!(await this.viewer.ensure())) return { kind: 'anonymous' };
    return { kind: 'end', sent };
  }

  private get abandoned(): boolean {
    return this.s.isAbandoned(this.shape.messageId);
  }

  /** The filter as a query of `entity`, narrowed to the base entry; null when it matches nothing. */
  private query(entity: Entity, onlyBase: boolean): Validated | null {
    const { dit, config } = this.s.ctx;
    let v = ldapFilterToQuery(this.filter, entity, { baseDn: dit.baseDn, limits: config.query });
    if (onlyBase && this.only) v = restrict(v, this.only);
    return v.node.kind === 'false' ? null : v;
  }

  private encodeFixed(part: Part & { kind: 'fixed' }): Buffer {
    return encodeEntry(this.shape.messageId, part.dn, selectAttributes(part.attrs, this.shape.selection), this.shape.typesOnly);
  }

  private async fixed(part: Part & { kind: 'fixed' }, left: number): Promise<PhaseOutcome> {
    if (matchEntry(this.filter, part.attrs) !== true) return { kind: 'end', sent: 0 };
    if (!(await this.viewer.ensure())) return { kind: 'anonymous' };
    if (left <= 0) return { kind: 'full', sent: 0, at: null };
    await this.send([this.encodeFixed(part)]);
    return { kind: 'end', sent: 1 };
  }

  /** Streams rows of one entity in keyset batches, the first statement guarded by the identity. */
  private async rows(entity: Entity, onlyBase: boolean, from: KeysetPosition | null, left: number): Promise<PhaseOutcome> {
    const query = this.query(entity, onlyBase);
    if (!query) return { kind: 'end', sent: 0 };
    const ordering = this.orderings[entity];
    let after = from;
    let sent = 0;
    for (;;) {
      const remaining = left - sent;
      const limit = Math.min(remaining + 1, BATCH);
      const checkViewer = !this.viewer.isChecked;
      const fullAccess = this.viewer.identity.fullAccess;
      const rows = await readRows(this.s.ctx, this.shape, entity, { viewer: this.viewer.viewer, query, ordering, after, limit, checkViewer });
      if (this.abandoned) return { kind: 'abandoned' };
      if (checkViewer) {
        if (rows.length > 0) this.viewer.confirm(); // the statement itself found the identity unchanged
        else {
          if (!(await this.viewer.check())) return { kind: 'anonymous' };
          if (this.viewer.identity.fullAccess !== fullAccess) continue; // visibility changed: read this batch again
        }
      }
      const take = rows.length > remaining ? rows.slice(0, remaining) : rows;
      if (take.length > 0) {
        await this.send(take.map((r) => r.encode()));
        sent += take.length;
        after = take[take.length - 1]!.key;
      }
      if (this.abandoned) return { kind: 'abandoned' };
      if (take.length < rows.length) return { kind: 'full', sent, at: { kind: 'rows', after } };
      if (rows.length < limit) return { kind: 'end', sent };
      if (Date.now() > this.deadline) return { kind: 'time' };
    }
  }

  /** A sorted search over several parts, merged into one ordering. */
  private async merged(parts: readonly Part[], from: MergePositions | null, left: number): Promise<PhaseOutcome> {
    if (!(await this.viewer.ensure())) return { kind: 'anonymous' };
    this.sent = null; // a sorted merge is never kept
    const { directory } = this.s.ctx.services;
    const texts = (await directory.textOrder()) === 'codepoint' ? CODEPOINT_ORDER : rankedOrder((v) => directory.sortTexts(v));
    const o = await mergeSorted({
      sources: parts.map((p) => this.source(p)),
      positions: from ?? parts.map(() => null),
      keys: this.sortKeys,
      budget: left,
      texts,
      send: (entries) => this.s.write(entries),
      isAbandoned: () => this.abandoned,
      pastDeadline: () => Date.now() > this.deadline,
      batch: BATCH,
    });
    return o.kind === 'full' ? { kind: 'full', sent: o.sent, at: { kind: 'merged', parts: o.positions } } : o;
  }

  private source(part: Part): MergeSource {
    if (part.kind === 'fixed') {
      const item: MergeItem = { values: this.sortKeys.map(() => null), seq: 0, key: null, encode: () => this.encodeFixed(part) };
      return { kind: 'fixed', item: matchEntry(this.filter, part.attrs) === true ? item : null };
    }
    const { entity } = part;
    const query = this.query(entity, part.onlyBase === true);
    const columns = this.sortKeys.map((k) => sortColumn(k.attribute, entity));
    return {
      kind: 'rows',
      fetch: async (after, limit) => {
        if (!query) return [];
        const rows = await readRows(this.s.ctx, this.shape, entity, {
          viewer: this.viewer.viewer, query, ordering: this.orderings[entity], after, limit, checkViewer: false,
        });
        return rows.map((r) => ({
          values: columns.map((c) => {
            const v = c === undefined ? null : r.key[c];
            return v === null || v === undefined ? null : String(v);
          }),
          seq: r.seq, key: r.key, encode: r.encode,
        }));
      },
    };
  }
}
