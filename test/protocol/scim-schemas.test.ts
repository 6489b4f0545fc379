import { expect } from 'chai';
import { bootServer, type BootedServer } from '../support/server.js';
import { ENTERPRISE, GROUP, LIST, scimClient, USER, type Json } from './scim-support.js';

/**
 * `GET /Schemas` checked mechanically against RFC 7643: every attribute, at every depth, carries
 * the characteristics §7 defines with values from their allowed sets, complex and reference
 * attributes carry what §7 requires of them, and the attributes §8.7.1 defines keep the type,
 * plurality, referenceTypes, canonical values and mutability it gives them. (A Python SCIM
 * client stopped at discovery because photos.value had no referenceTypes.)
 */
const TYPES = ['string', 'boolean', 'decimal', 'integer', 'dateTime', 'reference', 'binary', 'complex'];
const MUTABILITY = ['readOnly', 'readWrite', 'immutable', 'writeOnly'];
const RETURNED = ['always', 'never', 'default', 'request'];
const UNIQUENESS = ['none', 'server', 'global'];

type Rfc = { type: string; multiValued?: boolean; referenceTypes?: string[]; canonicalValues?: string[]; mutability?: string; returned?: string; required?: boolean; uniqueness?: string };

/** What RFC 7643 §8.7.1 says of each attribute it defines (path → characteristics). */
const RFC_USER: Record<string, Rfc> = {
  userName: { type: 'string', required: true, uniqueness: 'server' },
  name: { type: 'complex' },
  ...Object.fromEntries(['formatted', 'familyName', 'givenName', 'middleName', 'honorificPrefix', 'honorificSuffix'].map((s) => [`name.${s}`, { type: 'string' }])),
  displayName: { type: 'string' }, nickName: { type: 'string' },
  profileUrl: { type: 'reference', referenceTypes: ['external'] },
  title: { type: 'string' }, userType: { type: 'string' }, preferredLanguage: { type: 'string' }, locale: { type: 'string' }, timezone: { type: 'string' },
  active: { type: 'boolean' },
  password: { type: 'string', mutability: 'writeOnly', returned: 'never' },
  emails: { type: 'complex', multiValued: true }, 'emails.value': { type: 'string' }, 'emails.display': { type: 'string' },
  'emails.type': { type: 'string', canonicalValues: ['work', 'home', 'other'] }, 'emails.primary': { type: 'boolean' },
  phoneNumbers: { type: 'complex', multiValued: true }, 'phoneNumbers.value': { type: 'string' },
  'phoneNumbers.type': { type: 'string', canonicalValues: ['work', 'home', 'mobile', 'fax', 'pager', 'other'] }, 'phoneNumbers.primary': { type: 'boolean' },
  ims: { type: 'complex', multiValued: true }, 'ims.value': { type: 'string' },
  'ims.type': { type: 'string', canonicalValues: ['aim', 'gtalk', 'icq', 'xmpp', 'msn', 'skype', 'qq', 'yahoo'] }, 'ims.primary': { type: 'boolean' },
  photos: { type: 'complex', multiValued: true }, 'photos.value': { type: 'reference', referenceTypes: ['external'] },
  'photos.type': { type: 'string', canonicalValues: ['photo', 'thumbnail'] }, 'photos.primary': { type: 'boolean' },
  addresses: { type: 'complex', multiValued: true },
  ...Object.fromEntries(['formatted', 'streetAddress', 'locality', 'region', 'postalCode', 'country'].map((s) => [`addresses.${s}`, { type: 'string' }])),
  'addresses.type': { type: 'string', canonicalValues: ['work', 'home', 'other'] },
  groups: { type: 'complex', multiValued: true, mutability: 'readOnly' }, 'groups.value': { type: 'string', mutability: 'readOnly' },
  'groups.$ref': { type: 'reference', referenceTypes: ['User', 'Group'], mutability: 'readOnly' }, 'groups.display': { type: 'string', mutability: 'readOnly' },
  'groups.type': { type: 'string', canonicalValues: ['direct', 'indirect'], mutability: 'readOnly' },
  entitlements: { type: 'complex', multiValued: true }, 'entitlements.value': { type: 'string' }, 'entitlements.primary': { type: 'boolean' },
  roles: { type: 'complex', multiValued: true }, 'roles.value': { type: 'string' }, 'roles.primary': { type: 'boolean' },
  x509Certificates: { type: 'complex', multiValued: true }, 'x509Certificates.value': { type: 'binary' }, 'x509Certificates.primary': { type: 'boolean' },
};
const RFC_GROUP: Record<string, Rfc> = {
  displayName: { type: 'string' },
  members: { type: 'complex', multiValued: true },
  'members.value': { type: 'string', mutability: 'immutable' },
  'members.$ref': { type: 'reference', referenceTypes: ['User', 'Group'], mutability: 'immutable' },
  'members.type': { type: 'string', canonicalValues: ['User', 'Group'], mutability: 'immutable' },
};
const RFC_ENTERPRISE: Record<string, Rfc> = {
  ...Object.fromEntries(['employeeNumber', 'costCenter', 'organization', 'division', 'department'].map((s) => [s, { type: 'string' }])),
  manager: { type: 'complex' }, 'manager.value': { type: 'string' },
  'manager.$ref': { type: 'reference', referenceTypes: ['User'] }, 'manager.displayName': { type: 'string', mutability: 'readOnly' },
};

/** Every attribute of a schema with its dotted path. */
function walk(attrs: Json[], prefix = ''): Array<{ path: string; a: Json; depth: number }> {
  return attrs.flatMap((a) => {
    const path = `${prefix}${a.name}`;
    return [{ path, a, depth: prefix ? 2 : 1 }, ...(Array.isArray(a.subAttributes) ? walk(a.subAttributes, `${path}.`) : [])];
  });
}

describe('SCIM /Schemas against RFC 7643 §7–8', function () {
  let server: BootedServer;
  let schemas: Json[];
  before(async () => {
    server = await bootServer('sqlite');
    const r = await scimClient(server).get('/Schemas');
    expect(r.status).to.equal(200);
    expect(r.json.schemas).to.deep.equal([LIST]);
    schemas = r.json.Resources;
  });
  after(async () => { await server?.stop(); });

  it('every schema is a Schema resource with an id, a name, a description, attributes and meta (§7, §8.7)', () => {
    for (const s of schemas) {
      expect(s.schemas, s.id).to.deep.equal(['urn:ietf:params:scim:schemas:core:2.0:Schema']);
      expect(s.id).to.match(/^urn:/);
      for (const k of ['name', 'description']) expect(s[k], `${s.id} ${k}`).to.be.a('string').and.not.equal('');
      expect(s.attributes, s.id).to.be.an('array').that.is.not.empty;
      expect(s.meta).to.deep.include({ resourceType: 'Schema' });
      expect(s.meta.location).to.match(new RegExp(`/Schemas/${s.id}$`));
    }
  });

  it('every attribute at every depth has the characteristics §7 requires, from their allowed sets', () => {
    for (const s of schemas) {
      const names = new Set<string>();
      for (const { path, a, depth } of walk(s.attributes)) {
        const where = `${s.id}:${path}`;
        expect(names.has(path.toLowerCase()), `${where} is listed twice`).to.equal(false);
        names.add(path.toLowerCase());
        expect(a.name, where).to.match(/^\$?[A-Za-z][\w-]*$/); // RFC 7643 §2.1 ATTRNAME ($ref is the one exception)
        expect(TYPES, `${where} type`).to.include(a.type);
        for (const k of ['multiValued', 'required', 'caseExact']) expect(a[k], `${where} ${k}`).to.be.a('boolean');
        expect(a.description, `${where} description`).to.be.a('string').and.not.equal('');
        expect(MUTABILITY, `${where} mutability`).to.include(a.mutability);
        expect(RETURNED, `${where} returned`).to.include(a.returned);
        expect(UNIQUENESS, `${where} uniqueness`).to.include(a.uniqueness);
        if (a.type === 'complex') {
          expect(a.subAttributes, `${where}: a complex attribute lists its sub-attributes`).to.be.an('array');
          expect(depth, `${where}: sub-attributes are not complex (§2.3.8)`).to.equal(1);
        } else {
          expect(a, `${where}: only complex attributes have sub-attributes`).to.not.have.property('subAttributes');
        }
        if (a.type === 'reference') {
          expect(a.referenceTypes, `${where}: a reference lists its referenceTypes`).to.be.an('array').that.is.not.empty;
          for (const t of a.referenceTypes) expect(['User', 'Group', 'external', 'uri'], `${where} referenceTypes`).to.include(t);
        } else {
          expect(a, `${where}: referenceTypes are for references only`).to.not.have.property('referenceTypes');
        }
        if (a.canonicalValues !== undefined) expect(a.canonicalValues, `${where} canonicalValues`).to.be.an('array').and.satisfy((v: unknown[]) => v.every((x) => typeof x === 'string'));
        if (a.returned === 'never') expect(a.mutability, `${where}: never returned means write-only`).to.equal('writeOnly');
      }
    }
  });

  it('the attributes §8.7.1 defines have the type, plurality, referenceTypes, canonical values and mutability it gives them', () => {
    for (const [id, rfc] of [[USER, RFC_USER], [GROUP, RFC_GROUP], [ENTERPRISE, RFC_ENTERPRISE]] as const) {
      const s = schemas.find((x) => x.id === id)!;
      expect(s, id).to.not.equal(undefined);
      const byPath = new Map(walk(s.attributes).map(({ path, a }) => [path, a]));
      for (const [path, want] of Object.entries(rfc)) {
        const a = byPath.get(path);
        const where = `${id}:${path}`;
        expect(a, `${where} is published`).to.not.equal(undefined);
        expect(a!.type, `${where} type`).to.equal(want.type);
        expect(a!.multiValued, `${where} multiValued`).to.equal(want.multiValued ?? false);
        if (want.referenceTypes) expect(a!.referenceTypes, `${where} referenceTypes`).to.have.members(want.referenceTypes);
        if (want.canonicalValues) expect(a!.canonicalValues, `${where} canonicalValues`).to.include.members(want.canonicalValues);
        expect(a!.mutability, `${where} mutability`).to.equal(want.mutability ?? 'readWrite');
        if (want.returned) expect(a!.returned, `${where} returned`).to.equal(want.returned);
        if (want.required !== undefined) expect(a!.required, `${where} required`).to.equal(want.required);
        if (want.uniqueness) expect(a!.uniqueness, `${where} uniqueness`).to.equal(want.uniqueness);
      }
    }
  });
});
