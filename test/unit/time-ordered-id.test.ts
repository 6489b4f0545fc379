import { expect } from 'chai';
import { isUuid } from '../../src/store/rows.js';
import { timeOrderedId } from '../../src/store/time-ordered-id.js';

describe('time-ordered ids (UUID version 7) for events', () => {
  it('is a UUID of version 7 and the RFC 9562 variant, carrying its time', () => {
    const at = Date.UTC(2026, 11, 2, 3, 4, 5, 678);
    const id = timeOrderedId(at);
    expect(isUuid(id)).to.equal(true);
    expect(id[14]).to.equal('7');
    expect(['8', '9', 'a', 'b']).to.include(id[19]);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).to.equal(at);
  });

  it('sorts by time, and ids of one millisecond differ in their random part', () => {
    const ids = [0, 1, 2, 1000, 86_400_000].map((d) => timeOrderedId(1_700_000_000_000 + d));
    expect([...ids].sort()).to.deep.equal(ids);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(1_700_000_000_000)));
    expect(same.size).to.equal(1000);
  });
});
