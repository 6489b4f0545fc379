import { expect } from 'chai';
import { SnapshotCache } from '../../src/services/snapshot-cache.js';

describe('SnapshotCache: kept while the database stays at one snapshot', () => {
  it('answers only under the snapshot a value was kept under, and drops everything at a new one', () => {
    const cleared: string[] = [];
    const c = new SnapshotCache<number>({ maxEntries: 10, maxBytes: 100 }, undefined, () => cleared.push('all'));
    c.set('s1', 'a', 1);
    expect(c.get('s1', 'a')).to.equal(1);
    expect(c.get('s2', 'a')).to.equal(undefined);
    expect(c.get('s1', 'a'), 'a snapshot once left never serves again').to.equal(undefined);
    expect(cleared).to.deep.equal(['all']);
    expect(c.get(null, 'a')).to.equal(undefined);
    c.set(null, 'b', 2);
    expect(c.size).to.equal(0);
  });

  it('evicts the least recently used past its count and byte bounds, telling each drop', () => {
    const dropped: string[] = [];
    const c = new SnapshotCache<string>({ maxEntries: 2, maxBytes: 10 }, (k) => dropped.push(k));
    c.set('s', 'a', 'A', 1);
    c.set('s', 'b', 'B', 1);
    c.get('s', 'a'); // a is now the most recent
    c.set('s', 'c', 'C', 1);
    expect(dropped).to.deep.equal(['b']);
    c.set('s', 'd', 'D', 9); // 1 + 1 + 9 > 10 bytes
    expect(c.get('s', 'a')).to.equal(undefined);
    expect(c.get('s', 'd')).to.equal('D');
    c.set('s', 'd', 'D2', 1); // a replacement is a drop too
    expect(dropped.at(-1)).to.equal('d');
  });

  it('adopts an entry another process read: at once at its snapshot, else once a lookup reaches that snapshot', () => {
    const c = new SnapshotCache<string>({ maxEntries: 20, maxBytes: 1000 });
    c.set('s1', 'mine', 'M');
    c.adopt('s1', 'theirs', 'T');
    expect(c.get('s1', 'theirs')).to.equal('T');
    c.adopt('s1', 'mine', 'other'); // what this process read stays
    expect(c.get('s1', 'mine')).to.equal('M');
    // Another process saw the next snapshot first: held aside, not moving this cache.
    c.adopt('s2', 'next', 'N');
    expect(c.get('s1', 'mine'), 'still at s1').to.equal('M');
    expect(c.get('s2', 'next')).to.equal('N');
    expect(c.get('s2', 'mine')).to.equal(undefined);
    // Held aside for the last snapshot heard of only, and never served under another.
    c.adopt('s3', 'x', 'X');
    c.adopt('s4', 'y', 'Y');
    expect(c.get('s3', 'x')).to.equal(undefined);
    expect(c.get('s3', 'y')).to.equal(undefined);
    expect(c.get('s4', 'y')).to.equal('Y');
    // Bounded: a tenth of the entry limit.
    for (let i = 0; i < 10; i++) c.adopt('s5', `k${i}`, 'V');
    c.get('s5', 'k0');
    expect(c.size).to.equal(2);
  });
});
