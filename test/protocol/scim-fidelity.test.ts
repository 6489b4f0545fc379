import { expect } from 'chai';
import { SYSTEM_ACTOR } from '../../src/domain/types.js';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { DIRGATE, ERROR, q, scimClient, userBody, type Json, type ScimClient } from './scim-support.js';

/** Every multi-valued attribute of RFC 7643 §4.1.2, with sub-attributes a filter can find. */
const LISTS: Json = {
  emails: [
    { value: 'bjensen@example.com', type: 'work', primary: true, display: 'Work mail' },
    { value: 'babs@jensen.org', type: 'home' },
  ],
  phoneNumbers: [{ value: '555-555-5555', type: 'work' }, { value: '555-555-4444', type: 'mobile', primary: true }],
  ims: [{ value: 'someaimhandle', type: 'aim' }, { value: 'bjensen@xmpp.example', type: 'xmpp' }],
  photos: [{ value: 'https://photos.example.com/profilephoto/72930000000Ccne/F', type: 'photo' }],
  addresses: [
    { type: 'work', streetAddress: '100 Universal City Plaza', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA', formatted: '100 Universal City Plaza\nHollywood, CA 91608 USA', primary: true },
    { type: 'home', streetAddress: '456 Hollywood Blvd', locality: 'Hollywood', region: 'CA', postalCode: '91608', country: 'USA' },
  ],
  entitlements: [{ value: 'license-e5', display: 'E5' }],
  roles: [{ value: 'tour-guide', type: 'job' }],
  x509Certificates: [{ value: 'MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx' }],
};

for (const dialect of dialects()) {
  describe(`SCIM fidelity (${dialect})`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let scim: ScimClient;
    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
    });
    after(async () => { await server?.stop(); });

    async function create(userName: string, extra: Json = {}): Promise<Json> {
      const r = await scim.post('/Users', userBody(userName, extra));
      expect(r.status, r.text).to.equal(201);
      return r.json;
    }
    const found = async (filter: string): Promise<string[]> => {
      const r = await scim.get(`/Users?filter=${q(filter)}`);
      expect(r.status, `${filter}: ${r.text}`).to.equal(200);
      return r.json.Resources.map((u: Json) => u.userName).sort();
    };
    const patch = (id: string, ops: Json[]) => scim.patch(`/Users/${id}`, ops);
    const refused = (r: { status: number; json: Json }, scimType: string) => {
      expect(r.status, JSON.stringify(r.json)).to.equal(400);
      expect(r.json.schemas).to.deep.equal([ERROR]);
      expect(r.json.scimType).to.equal(scimType);
    };

    describe('name.formatted is kept apart from displayName', () => {
      it('POST, GET, PUT and PATCH replace keep it as sent; a filter finds it', async () => {
        const u = await create('formatted-1', { displayName: 'Babs Jensen', name: { formatted: 'Ms. Barbara J Jensen III', givenName: 'Barbara' } });
        expect(u.displayName).to.equal('Babs Jensen');
        expect(u.name).to.deep.equal({ formatted: 'Ms. Barbara J Jensen III', givenName: 'Barbara' });
        expect((await scim.get(`/Users/${u.id}`)).json.name.formatted).to.equal('Ms. Barbara J Jensen III');
        expect(await found('name.formatted eq "ms. barbara j jensen iii"')).to.deep.equal(['formatted-1']);
        expect(await found('name.formatted eq "Babs Jensen"')).to.deep.equal([]);

        const put = await scim.put(`/Users/${u.id}`, userBody('formatted-1', { displayName: 'Babs', name: { formatted: 'Barbara Jensen' } }));
        expect(put.status, put.text).to.equal(200);
        expect(put.json).to.deep.include({ displayName: 'Babs', name: { formatted: 'Barbara Jensen' } });

        const p = await patch(u.id, [{ op: 'replace', path: 'name.formatted', value: 'Dr. Barbara Jensen' }]);
        expect(p.status, p.text).to.equal(200);
        expect(p.json).to.deep.include({ displayName: 'Babs', name: { formatted: 'Dr. Barbara Jensen' } });
        expect(await found('name.formatted eq "Dr. Barbara Jensen"')).to.deep.equal(['formatted-1']);
        // The admin API's name is displayName; the formatted name is attributes.name.formatted.
        const stored = await server.running.services.users.get(u.id);
        expect(stored.name).to.equal('Babs');
        expect(stored.attributes.name).to.deep.equal({ formatted: 'Dr. Barbara Jensen' });
      });

      it('without a displayName, name.formatted names the user (and is kept too)', async () => {
        const u = await create('formatted-2', { name: { formatted: 'Kim Lee' } });
        expect(u).to.deep.include({ displayName: 'Kim Lee', name: { formatted: 'Kim Lee' } });
      });

      it('name pr finds users with any part of a name', async () => {
        await create('named-parts', { name: { familyName: 'Okafor' } });
        await create('unnamed');
        const named = await found('name pr and userName sw "n"');
        expect(named).to.deep.equal(['named-parts']);
      });
    });

    describe('multi-valued attributes', () => {
      let bjensen: Json;
      before(async () => {
        bjensen = await create('bjensen', LISTS);
        await create('other-user', { emails: [{ value: 'other@example.com', type: 'work', primary: true }] });
      });

      it('are stored with every sub-attribute and returned as sent', async () => {
        const got = (await scim.get(`/Users/${bjensen.id}`)).json;
        for (const [k, v] of Object.entries(LISTS)) expect(got[k], k).to.deep.equal(v);
      });

      it('a filter matches when any value does (RFC 7644 §3.4.2.2), value paths included', async () => {
        const cases: [string, string[]][] = [
          ['emails.value eq "babs@jensen.org"', ['bjensen']],
          ['emails.value eq "BJENSEN@example.com"', ['bjensen']],
          ['emails eq "babs@jensen.org"', ['bjensen']],
          ['emails[type eq "home"]', ['bjensen']],
          ['emails[type eq "home" and value ew "@jensen.org"]', ['bjensen']],
          ['emails[type eq "home" and value eq "bjensen@example.com"]', []],
          ['emails[type eq "work" and primary eq true]', ['bjensen', 'other-user']],
          ['emails.display eq "work mail"', ['bjensen']],
          ['phoneNumbers.value eq "555-555-4444"', ['bjensen']],
          ['phoneNumbers[type eq "mobile" and primary eq true]', ['bjensen']],
          ['ims[type eq "xmpp"]', ['bjensen']],
          ['photos.value sw "https://photos.example.com/"', ['bjensen']],
          ['addresses[type eq "home" and streetAddress co "Hollywood Blvd"]', ['bjensen']],
          ['addresses[type eq "work" and streetAddress co "Hollywood Blvd"]', []],
          ['addresses.postalCode eq "91608"', ['bjensen']],
          ['addresses.country eq "usa" and addresses.region eq "CA"', ['bjensen']],
          ['entitlements.value eq "license-e5"', ['bjensen']],
          ['roles[value eq "tour-guide" and type eq "job"]', ['bjensen']],
          ['x509Certificates.value sw "MIIDQzCC"', ['bjensen']],
          ['not (phoneNumbers pr) and emails pr and userName sw "o"', ['other-user']],
        ];
        for (const [filter, want] of cases) expect(await found(filter), filter).to.deep.equal(want);
      });

      it('follows PATCH, PUT and a change of the email through the admin door', async () => {
        const u = await create('mv-patch', { emails: [{ value: 'a@mv.example', type: 'work', primary: true }] });
        let r = await patch(u.id, [{ op: 'add', path: 'emails[type eq "home"].value', value: 'b@mv.example' }]);
        expect(r.status, r.text).to.equal(200);
        expect(await found('emails[type eq "home" and value eq "b@mv.example"]')).to.deep.equal(['mv-patch']);
        r = await patch(u.id, [{ op: 'remove', path: 'emails[type eq "home"]' }]);
        expect(r.status, r.text).to.equal(200);
        expect(await found('emails.value eq "b@mv.example"')).to.deep.equal([]);
        r = await scim.put(`/Users/${u.id}`, userBody('mv-patch', { phoneNumbers: [{ value: '+49 30 1234', type: 'work' }] }));
        expect(r.status, r.text).to.equal(200);
        expect(await found('phoneNumbers.value eq "+49 30 1234"')).to.deep.equal(['mv-patch']);
        expect(await found('emails.value eq "a@mv.example"')).to.deep.equal([]);
        await server.running.services.users.update(u.id, { email: 'c@mv.example' }, SYSTEM_ACTOR);
        expect(await found('emails[primary eq true and value eq "c@mv.example"]')).to.deep.equal(['mv-patch']);
      });

      it('a bad sub-attribute in a filter is 400 invalidFilter', async () => {
        const r = await scim.get(`/Users?filter=${q('emails.nosuch eq "x"')}`);
        refused(r, 'invalidFilter');
      });
    });

    describe('PATCHes that cannot take effect are refused; the others take effect', () => {
      let n = 0;
      const fresh = () => create(`patch-target-${n++}`, {
        displayName: 'Pat Target', name: { givenName: 'Pat', familyName: 'Target', formatted: 'Pat Target' },
        userType: 'external', [DIRGATE]: { attributes: { shoe: 44 } },
      });

      it('remove displayName and remove name do what they say', async () => {
        const u = await fresh();
        let r = await patch(u.id, [{ op: 'remove', path: 'displayName' }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json).to.not.have.property('displayName');
        expect((await scim.get(`/Users/${u.id}`)).json).to.not.have.property('displayName');
        r = await patch(u.id, [{ op: 'remove', path: 'name' }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json).to.not.have.property('name');
        expect((await server.running.services.users.get(u.id)).attributes).to.not.have.any.keys('givenName', 'familyName', 'name');
      });

      it('remove userType, active, the dirgate extension or its path: 400 mutability, nothing changed', async () => {
        const u = await fresh();
        for (const path of ['userType', 'active', DIRGATE, `${DIRGATE}:path`, `${DIRGATE}:type`]) {
          refused(await patch(u.id, [{ op: 'remove', path }]), 'mutability');
        }
        const got = (await scim.get(`/Users/${u.id}`)).json;
        expect(got).to.include({ userType: 'external', active: true });
        expect(got.meta.version).to.equal(u.meta.version);
      });

      it('remove the extension\'s attributes clears the custom attributes', async () => {
        const u = await fresh();
        const r = await patch(u.id, [{ op: 'remove', path: `${DIRGATE}:attributes` }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json[DIRGATE].attributes).to.deep.equal({});
      });

      it('the dirgate type is set while userType is set; both set differently is 400 invalidValue', async () => {
        const u = await fresh();
        let r = await patch(u.id, [{ op: 'replace', path: `${DIRGATE}:type`, value: 'service_account' }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.userType).to.equal('service_account');
        expect(r.json[DIRGATE].type).to.equal('service_account');
        r = await patch(u.id, [{ op: 'replace', value: { userType: 'internal', [DIRGATE]: { type: 'external' } } }]);
        refused(r, 'invalidValue');
        r = await patch(u.id, [{ op: 'replace', value: { userType: 'internal', [DIRGATE]: { type: 'internal' } } }]);
        expect(r.status, r.text).to.equal(200);
        expect(r.json.userType).to.equal('internal');
        const put = await scim.put(`/Users/${u.id}`, userBody(u.userName, { userType: 'internal', [DIRGATE]: { type: 'external' } }));
        refused(put, 'invalidValue');
      });
    });
  });
}
