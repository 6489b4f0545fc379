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
});
