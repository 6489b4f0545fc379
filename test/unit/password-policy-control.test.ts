import { expect } from 'chai';
import { passwordPolicyControl, PPOLICY_ERROR, wantsPasswordPolicy } from '../../protocols/ldap/password-policy-control.js';

describe('LDAP password policy response control (draft-behera-10 §6.2, as OpenLDAP encodes it)', () => {
  const hex = (r: Parameters<typeof passwordPolicyControl>[0]) => passwordPolicyControl(r).value!.toString('hex');

  it('has the OID and is asked for by OID', () => {
    expect(passwordPolicyControl({}).oid).to.equal('1.3.6.1.4.1.42.2.27.8.5.1');
    expect(wantsPasswordPolicy([{ oid: '1.3.6.1.4.1.42.2.27.8.5.1', critical: false, value: null }])).to.equal(true);
    expect(wantsPasswordPolicy([{ oid: '1.2.840.113556.1.4.319', critical: false, value: null }])).to.equal(false);
  });

  it('encodes an error as [1] ENUMERATED, a warning as [0] { [0] timeBeforeExpiration | [1] graceAuthNsRemaining }', () => {
    expect(hex({})).to.equal('3000');
    expect(hex({ error: PPOLICY_ERROR.accountLocked })).to.equal('30038101' + '01');
    expect(hex({ error: PPOLICY_ERROR.passwordExpired })).to.equal('30038101' + '00');
    expect(hex({ timeBeforeExpiration: 300 })).to.equal('3006a0048002012c');
    expect(hex({ graceAuthNsRemaining: 2 })).to.equal('3005a003810102');
    expect(hex({ timeBeforeExpiration: 5, error: PPOLICY_ERROR.changeAfterReset })).to.equal('3008a0038001058101' + '02');
  });
});
