/** The update requests as ldapts writes them, through our BER decoders; the RFC 4511 §4.6 value arithmetic. */
import { expect } from 'chai';
import { AddRequest, Attribute, Change, DeleteRequest, ModifyDNRequest, ModifyRequest } from 'ldapts';
import { LdapError } from '../../protocols/ldap/errors.js';
import { decodeEnvelope, OP } from '../../protocols/ldap/messages.js';
import { applyValues } from '../../protocols/ldap/modify-values.js';
import { decodeAdd, decodeDelete, decodeModify, decodeModifyDn } from '../../protocols/ldap/write-requests.js';

const text = (values: readonly Buffer[]) => values.map((v) => v.toString('utf8'));

describe('LDAP update requests (BER → request)', () => {
  it('AddRequest', () => {
    const env = decodeEnvelope(new AddRequest({ messageId: 3, dn: 'cn=a,ou=users,dc=x', attributes: [
      new Attribute({ type: 'objectClass', values: ['top', 'inetOrgPerson'] }), new Attribute({ type: 'sn', values: ['A'] }),
    ] }).write());
    expect(env.tag).to.equal(OP.ADD_REQUEST);
    const r = decodeAdd(env.body);
    expect(r.dn).to.equal('cn=a,ou=users,dc=x');
    expect(r.attributes.map((a) => [a.type, text(a.values)])).to.deep.equal([['objectClass', ['top', 'inetOrgPerson']], ['sn', ['A']]]);
  });

  it('ModifyRequest keeps the order of changes and their operations', () => {
    const env = decodeEnvelope(new ModifyRequest({ messageId: 4, dn: 'cn=a,ou=users,dc=x', changes: [
      new Change({ operation: 'delete', modification: new Attribute({ type: 'userPassword', values: ['old'] }) }),
      new Change({ operation: 'add', modification: new Attribute({ type: 'userPassword', values: ['new'] }) }),
      new Change({ operation: 'replace', modification: new Attribute({ type: 'mail', values: [] }) }),
    ] }).write());
    expect(env.tag).to.equal(OP.MODIFY_REQUEST);
    const r = decodeModify(env.body);
    expect(r.changes.map((c) => [c.operation, c.modification.type, text(c.modification.values)])).to.deep.equal([
      ['delete', 'userPassword', ['old']], ['add', 'userPassword', ['new']], ['replace', 'mail', []],
    ]);
  });

  it('DelRequest (a primitive element) and ModifyDNRequest with and without newSuperior', () => {
    const del = decodeEnvelope(new DeleteRequest({ messageId: 5, dn: 'cn=a,ou=users,dc=x' }).write());
    expect(del.tag).to.equal(OP.DELETE_REQUEST);
    expect(decodeDelete(del.body).dn).to.equal('cn=a,ou=users,dc=x');
    const mv = decodeEnvelope(new ModifyDNRequest({ messageId: 6, dn: 'cn=a,ou=users,dc=x', deleteOldRdn: true, newRdn: 'cn=b', newSuperior: 'ou=users,dc=x' }).write());
    expect(decodeModifyDn(mv.body)).to.deep.equal({ op: 'modifyDn', dn: 'cn=a,ou=users,dc=x', newRdn: 'cn=b', deleteOldRdn: true, newSuperior: 'ou=users,dc=x' });
    const keep = decodeEnvelope(new ModifyDNRequest({ messageId: 7, dn: 'cn=a,ou=users,dc=x', deleteOldRdn: false, newRdn: 'cn=b' }).write());
    expect(decodeModifyDn(keep.body)).to.include({ deleteOldRdn: false, newSuperior: null });
  });
});

describe('RFC 4511 §4.6 value arithmetic', () => {
  const multi = { caseIgnore: false, single: false };
  const ci = { caseIgnore: true, single: true };
  const code = (f: () => unknown) => {
    try { f(); } catch (e) { return (e as LdapError).resultCode; }
    return 0;
  };
  it('add, delete, replace', () => {
    expect(applyValues('x', ['a'], 'add', ['b'], multi)).to.deep.equal(['a', 'b']);
    expect(applyValues('x', ['a', 'b'], 'delete', ['a'], multi)).to.deep.equal(['b']);
    expect(applyValues('x', ['a', 'b'], 'delete', [], multi)).to.deep.equal([]);
    expect(applyValues('x', ['a'], 'replace', [], multi)).to.deep.equal([]);
    expect(applyValues('x', [], 'replace', ['c'], multi)).to.deep.equal(['c']);
    expect(applyValues('mail', ['A@x.org'], 'delete', ['a@X.org'], ci)).to.deep.equal([]);
  });
  it('refusals: 20 value exists, 16 no such value or attribute, 19 single-valued, 53 increment', () => {
    expect(code(() => applyValues('x', ['a'], 'add', ['a'], multi))).to.equal(20);
    expect(code(() => applyValues('x', [], 'add', ['a', 'a'], multi))).to.equal(20);
    expect(code(() => applyValues('mail', ['A@x.org'], 'add', ['a@x.org'], ci))).to.equal(20);
    expect(code(() => applyValues('x', ['a'], 'delete', ['b'], multi))).to.equal(16);
    expect(code(() => applyValues('x', [], 'delete', [], multi))).to.equal(16);
    expect(code(() => applyValues('mail', ['a@x.org'], 'add', ['b@x.org'], ci))).to.equal(19);
    expect(code(() => applyValues('x', ['1'], 'increment', ['1'], multi))).to.equal(53);
  });
});
