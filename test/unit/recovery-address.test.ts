import { expect } from 'chai';
import { addressKey } from '../../src/services/self-service-recovery.js';

describe('self-service recovery: what the per-address limit counts', () => {
  it('counts an IPv4 address as itself, IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(addressKey('203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).to.equal('203.0.113.7');
    expect(addressKey('::FFFF:203.0.113.7')).to.equal('203.0.113.7');
  });

  it('counts IPv6 addresses by their /64, however they are written', () => {
    const a = addressKey('2001:db8:1:2:aaaa::1');
    expect(a).to.equal('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).to.equal(a);
    expect(addressKey('2001:db8:1:2::7%eth0')).to.equal(a);
    expect(addressKey('2001:db8:1:3::1')).to.not.equal(a);
    expect(addressKey('::1')).to.equal('0:0:0:0::/64');
    expect(addressKey('fe80::1.2.3.4')).to.equal('fe80:0:0:0::/64');
    expect(addressKey('1:2:3:4:5:6:1.2.3.4')).to.equal('1:2:3:4::/64');
  });

  it('keeps anything else as given, and an unknown address as one bucket', () => {
    expect(addressKey(null)).to.equal('unknown');
    expect(addressKey('not-an-address')).to.equal('not-an-address');
  });
});
