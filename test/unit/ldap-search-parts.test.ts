/**
 * The parts of an LDAP search on their own (no socket, no database): its plan, its paging
 * arithmetic and the sorted merge of several keyset streams.
 */
import { expect } from 'chai';
import { Dit } from '../../protocols/ldap/dit.js';
import { Scope } from '../../protocols/ldap/messages.js';
import type { KeysetPosition, PageState } from '../../protocols/ldap/paged-results.js';
import { openWindow, windowFull, type SearchWindow } from '../../protocols/ldap/search-paging.js';
import { phasesOf, planSearch, type Part } from '../../protocols/ldap/search-plan.js';
import { CODEPOINT_ORDER, mergeSorted, rankedOrder, type MergeItem, type MergeRequest, type MergeSource } from '../../protocols/ldap/sorted-merge.js';

const dit = new Dit('dc=example,dc=com');

describe('LDAP search plan', () => {
  const shape = (base: string, scope: Scope) => {
    const p = planSearch(dit, base, scope, false);
    if (p.kind === 'tree') return { parts: p.parts.map(describePart), base: p.base };
    if (p.kind === 'single') return { single: p.dn };
    return { result: p.code, matched: p.matchedDn };
  };
  const describePart = (p: Part) => (p.kind === 'fixed' ? p.dn : `${p.entity}${p.onlyBase ? ' (base entry)' : ''}`);
  const table: Array<[string, Scope, unknown]> = [
    ['', Scope.Base, { single: '' }],
    ['', Scope.One, { parts: ['dc=example,dc=com'], base: null }],
    ['', Scope.Sub, { parts: ['dc=example,dc=com', 'ou=users,dc=example,dc=com', 'ou=groups,dc=example,dc=com', 'users', 'groups'], base: null }],
    ['cn=Subschema', Scope.Base, { single: 'cn=subschema' }],
    ['cn=subschema', Scope.One, { result: 0, matched: '' }],
    ['DC=Example,dc=com', Scope.Base, { parts: ['dc=example,dc=com'], base: null }],
    ['dc=example,dc=com', Scope.One, { parts: ['ou=users,dc=example,dc=com', 'ou=groups,dc=example,dc=com'], base: null }],
    ['ou=users,dc=example,dc=com', Scope.Base, { parts: ['ou=users,dc=example,dc=com'], base: null }],
    ['ou=users,dc=example,dc=com', Scope.One, { parts: ['users'], base: null }],
    ['ou=groups,dc=example,dc=com', Scope.Sub, { parts: ['ou=groups,dc=example,dc=com', 'groups'], base: null }],
    ['uid=bob,ou=users,dc=example,dc=com', Scope.Base, { parts: ['users (base entry)'], base: { entity: 'users', name: 'bob' } }],
    ['cn=staff,ou=groups,dc=example,dc=com', Scope.One, { parts: [], base: { entity: 'groups', name: 'staff' } }],
    ['cn=bob,ou=people,dc=example,dc=com', Scope.Sub, { result: 32, matched: 'dc=example,dc=com' }],
    ['cn=a,cn=b,ou=users,dc=example,dc=com', Scope.Sub, { result: 32, matched: 'ou=users,dc=example,dc=com' }],
    ['dc=other', Scope.Sub, { result: 32, matched: '' }],
    ['not a dn', Scope.Sub, { result: 34, matched: '' }],
  ];
  for (const [base, scope, expected] of table) {
    it(`plans ${JSON.stringify(base)} scope ${scope}`, () => {
      expect(shape(base, scope)).to.deep.equal(expected);
    });
  }

  it('merges several parts into one phase only when sorted', () => {
    const p = planSearch(dit, 'dc=example,dc=com', Scope.Sub, false);
    if (p.kind !== 'tree') throw new Error('expected a tree');
    expect(phasesOf(p.parts, false)).to.equal(p.parts);
    expect(phasesOf(p.parts, true)).to.deep.equal([{ kind: 'merged', parts: p.parts }]);
    expect(phasesOf(p.parts.slice(0, 1), true)).to.deep.equal(p.parts.slice(0, 1));
  });
});

describe('LDAP search paging', () => {
  const state = (over: Partial<PageState> = {}): PageState => ({ fingerprint: 'f', phase: 2, at: { kind: 'rows', after: { seq: 7 } }, sent: 20, ...over });
  const cookie = Buffer.from('c');
  const open = (paged: { size: number; cookie: Buffer } | null, st: PageState | undefined, client = 0, server = 1000) =>
    openWindow({ paged, state: st, fingerprint: 'f', clientSizeLimit: client, serverSizeLimit: server });

  it('without paging: the smaller of the client and server size limits, to the end', () => {
    expect(open(null, undefined)).to.deep.equal({ kind: 'window', window: { budget: 1000, sentBefore: 0, endsAtSizeLimit: true, paged: false, start: { phase: 0, at: null } } });
    expect(open(null, undefined, 5)).to.have.nested.property('window.budget', 5);
  });

  it('paged: a page from the start, capped by the server limit', () => {
    expect(open({ size: 10, cookie: Buffer.alloc(0) }, undefined)).to.deep.equal({ kind: 'window', window: { budget: 10, sentBefore: 0, endsAtSizeLimit: false, paged: true, start: { phase: 0, at: null } } });
    expect(open({ size: 5000, cookie: Buffer.alloc(0) }, undefined)).to.have.nested.property('window.budget', 1000);
  });

  it('paged: continues where the cookie says, within what the client limit leaves', () => {
    expect(open({ size: 10, cookie }, state(), 25)).to.deep.equal({ kind: 'window', window: {
      budget: 5, sentBefore: 20, endsAtSizeLimit: true, paged: true, start: { phase: 2, at: { kind: 'rows', after: { seq: 7 } } },
    } });
    expect(open({ size: 10, cookie }, state(), 100)).to.have.nested.property('window.endsAtSizeLimit', false);
  });

  it('refuses a cookie that is unknown or from another search; size 0 abandons', () => {
    expect(open({ size: 10, cookie }, undefined)).to.deep.equal({ kind: 'invalidCookie' });
    expect(open({ size: 10, cookie }, state({ fingerprint: 'other' }))).to.deep.equal({ kind: 'invalidCookie' });
    expect(open({ size: 0, cookie: Buffer.alloc(0) }, undefined)).to.deep.equal({ kind: 'pagingAbandoned' });
  });

  it('ends a full window with the next page, or with the size limit', () => {
    const w = (over: Partial<SearchWindow>): SearchWindow => ({ budget: 10, sentBefore: 20, endsAtSizeLimit: false, paged: true, start: { phase: 0, at: null }, ...over });
    const resume = { phase: 1, at: { kind: 'rows' as const, after: { seq: 42 } } };
    expect(windowFull(w({}), 'f', resume, 10)).to.deep.equal({ kind: 'nextPage', state: { fingerprint: 'f', phase: 1, at: resume.at, sent: 30 } });
    expect(windowFull(w({ endsAtSizeLimit: true }), 'f', resume, 10)).to.deep.equal({ kind: 'sizeLimit', limit: 30 });
    expect(windowFull(w({ paged: false, sentBefore: 0 }), 'f', resume, 10)).to.deep.equal({ kind: 'sizeLimit', limit: 10 });
  });
});

describe('LDAP sorted merge', () => {
  /** A sorted keyset stream over plain values (key: value and seq), counting its fetches. */
  function rows(name: string, values: readonly (string | null)[], reverse = false): MergeSource & { fetches: number } {
    const items = values.map((v, i) => ({ v, seq: i + 1 }))
      .sort((a, b) => {
        if (a.v === b.v) return a.seq - b.seq;
        const c = a.v === null ? 1 : b.v === null ? -1 : a.v < b.v ? -1 : 1;
        return reverse ? -c : c;
      });
    const source = {
      kind: 'rows' as const,
      fetches: 0,
      async fetch(after: KeysetPosition | null, limit: number): Promise<MergeItem[]> {
        source.fetches++;
        const start = after ? items.findIndex((x) => x.seq === after.seq) + 1 : 0;
        return items.slice(start, start + limit).map((x) => ({
          values: [x.v], seq: x.seq, key: { seq: x.seq }, encode: () => Buffer.from(`${name}:${x.v ?? '-'}`),
        }));
      },
    };
    return source;
  }
  const fixed = (name: string): MergeSource => ({ kind: 'fixed', item: { values: [null], seq: 0, key: null, encode: () => Buffer.from(`${name}:-`) } });

  async function run(sources: readonly MergeSource[], over: Partial<MergeRequest> = {}) {
    const sent: string[][] = [];
    const outcome = await mergeSorted({
      sources, positions: sources.map(() => null), keys: [{ reverse: false }], budget: 100, texts: CODEPOINT_ORDER,
      send: async (entries) => { sent.push(entries.map(String)); }, isAbandoned: () => false, pastDeadline: () => false,
      ...over,
    });
    return { outcome, sent: sent.flat(), batches: sent.length };
  }

  it('merges by the key, entries without a value last, ties by part then seq', async () => {
    const r = await run([fixed('base'), rows('u', ['b', 'd', null, 'a']), rows('g', ['c', 'a'])]);
    expect(r.sent).to.deep.equal(['u:a', 'g:a', 'u:b', 'g:c', 'u:d', 'base:-', 'u:-']);
    expect(r.outcome).to.deep.equal({ kind: 'end', sent: 7 });
  });

  it('puts entries without a value first when reversed', async () => {
    const r = await run([rows('u', ['b', null, 'a'], true), fixed('base')], { keys: [{ reverse: true }] });
    expect(r.sent).to.deep.equal(['u:-', 'base:-', 'u:b', 'u:a']);
  });

  it('pages through the same order from the positions it returns', async () => {
    const sources = () => [fixed('base'), rows('u', ['e', 'a', 'c', 'g']), rows('g', ['b', 'f', 'd'])];
    const all = (await run(sources())).sent;
    const pages: string[][] = [];
    let positions: MergeRequest['positions'] = [null, null, null];
    for (let i = 0; i < 10; i++) {
      const r = await run(sources(), { budget: 3, positions, batch: 2 });
      pages.push(r.sent);
      if (r.outcome.kind === 'end') break;
      if (r.outcome.kind !== 'full') throw new Error(`unexpected ${r.outcome.kind}`);
      expect(r.outcome.sent).to.equal(3);
      positions = r.outcome.positions;
    }
    expect(pages.map((p) => p.length)).to.deep.equal([3, 3, 2]);
    expect(pages.flat()).to.deep.equal(all);
  });

  it('looks ahead: a budget that ends with the last entry ends the search', async () => {
    const r = await run([rows('u', ['a', 'b'])], { budget: 2 });
    expect(r.outcome).to.deep.equal({ kind: 'end', sent: 2 });
  });

  it('fetches in batches no larger than the budget needs, and sends in batches', async () => {
    const u = rows('u', Array.from({ length: 10 }, (_, i) => `v${i}`));
    const r = await run([u], { budget: 100, batch: 4 });
    expect(r.sent).to.have.length(10);
    expect(u.fetches).to.equal(3);
    expect(r.batches).to.equal(3);
    const small = rows('u', Array.from({ length: 10 }, (_, i) => `v${i}`));
    await run([small], { budget: 1, batch: 4 }); // one entry and one to look ahead: a single fetch of 2
    expect(small.fetches).to.equal(1);
  });

  it('compares with the database\'s ranks when the collation is linguistic', async () => {
    const asked: string[][] = [];
    const texts = rankedOrder(async (values) => {
      asked.push([...values].sort());
      return [...values].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' }));
    });
    // Byte order puts 'B' before 'a'; the database's collation does not.
    const r = await run([rows('u', ['a', 'c']), rows('g', ['B'])], { texts });
    expect(r.sent).to.deep.equal(['u:a', 'g:B', 'u:c']);
    expect(asked[0]).to.deep.equal(['B', 'a', 'c']);
  });

  it('stops when abandoned or past the deadline', async () => {
    let abandoned = false;
    const r = await run([rows('u', ['a', 'b', 'c', 'd'])], { batch: 2, send: async () => { abandoned = true; }, isAbandoned: () => abandoned });
    expect(r.outcome).to.deep.equal({ kind: 'abandoned' });
    const t = await run([rows('u', ['a', 'b', 'c', 'd'])], { batch: 2, pastDeadline: () => true });
    expect(t.outcome).to.deep.equal({ kind: 'time', sent: 2 });
  });
});
