/**
 * Fuzzing the HTTP doors (issue 14): random and mutated SCIM and admin bodies, filters and
 * query strings against a booted server on each dialect. Every answer must be below 500, an
 * error must be well-formed in the door's own language (SCIM Error JSON with its status;
 * problem JSON), and a refused request must leave every row as it was.
 * DIRGATE_FUZZ_RUNS / DIRGATE_FUZZ_SEED tune it; `npm run fuzz` runs it longer.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { fingerprint, hostileJson, hostileString, jsonText, mutate, params } from './fuzz-support.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const DIRGATE = 'urn:ietf:params:scim:schemas:extension:dirgate:2.0:User';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

interface Answer { status: number; type: string; text: string; json: Record<string, unknown> | null }

/** `encodeURIComponent`, but a lone surrogate becomes the invalid UTF-8 a client could still send. */
function encode(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    out += c >= 0xd800 && c <= 0xdfff ? `%ED%${(0xa0 + ((c >> 6) & 0x1f)).toString(16).toUpperCase()}%${(0x80 + (c & 0x3f)).toString(16).toUpperCase()}` : encodeURIComponent(ch);
  }
  return out;
}

const queryString = (keys: readonly string[]) => fc.array(
  fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: hostileString }), fc.oneof(hostileString, fc.constantFrom('%', '%zz', '%00', '%ED%A0%80', '+', '&', '='))),
  { maxLength: 4 },
).map((pairs) => pairs.map(([k, v]) => `${encode(k)}=${/^%|^\+$|^&$|^=$/.test(v) ? v : encode(v)}`).join('&'));

const FILTERS = [
  'userName eq "bjensen"', 'emails[type eq "work" and value co "@example.com"]', 'name.givenName sw "B" or not (title pr)',
  `${ENTERPRISE}:department eq "Sales"`, `${DIRGATE}:attributes.costCenter eq "4"`, 'meta.lastModified gt "2011-05-13T04:42:34Z"',
  'groups.value eq "2819c223-7f76-453a-919d-413861904646"', 'displayName eq "admins"', 'members[value eq "x"]',
];
const SEARCHES = ['username = "admin"', 'attributes.department = "Sales" or groups.name in ("admins", "ops")', 'is_active = False and email endswith "@corp.com"', 'last_login > "2024-01-01"', 'name ~ "x"'];

/** A filter: a known-good one, mutated by a hostile insertion, truncation or duplication. */
function filterArb(pool: readonly string[]): fc.Arbitrary<string> {
  return fc.tuple(fc.constantFrom(...pool), fc.nat(), hostileString, fc.constantFrom('insert', 'truncate', 'replace', 'double', 'raw'))
    .map(([f, at, s, how]) => {
      const i = at % (f.length + 1);
      switch (how) {
        case 'insert': return f.slice(0, i) + s + f.slice(i);
        case 'truncate': return f.slice(0, i);
        case 'replace': return f.replace(/"[^"]*"/, jsonText(s));
        case 'double': return `${f} and ${f.slice(0, i)}`;
        default: return s;
      }
    });
}

for (const dialect of dialects()) {
  describe(`fuzzing the HTTP doors on ${dialect}`, function () {
    this.timeout(300000);
    let server: BootedServer;
    let userId: string;
    let groupId: string;

    before(async () => {
      server = await bootServer(dialect);
      const u = await call('POST', '/scim/v2/Users', jsonText({ schemas: [USER], userName: 'fuzz-target', emails: [{ value: 'f@example.com', primary: true }] }));
      userId = String(u.json!.id);
      const g = await call('POST', '/scim/v2/Groups', jsonText({ schemas: [GROUP], displayName: 'fuzz-group', members: [{ value: userId }] }));
      groupId = String(g.json!.id);
    });
    after(async () => { await server?.stop(); });

    async function call(method: string, path: string, body?: string, token: string | null = server.token, contentType = 'application/json'): Promise<Answer> {
      const res = await fetch(server.http + path, {
        method,
        headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': contentType } : {}) },
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      let json: Record<string, unknown> | null = null;
      try { json = text ? JSON.parse(text) : null; } catch { json = null; }
      return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
    }

    /** Sends one request; asserts no 5xx, the door's error shape, and no row changed when refused. */
    async function probe(door: 'scim' | 'admin', method: string, path: string, body?: string, token?: string | null): Promise<void> {
      const before = await fingerprint(server.database.db);
      const r = await call(method, path, body, token === undefined ? server.token : token, door === 'scim' ? 'application/scim+json' : 'application/json');
      const what = `${method} ${path} ${body?.slice(0, 300) ?? ''} → ${r.status} ${r.text.slice(0, 300)}`;
      expect(r.status, what).to.be.below(500);
      if (r.status < 400) return;
      if (door === 'scim') {
        expect(r.type, what).to.match(/^application\/scim\+json/);
        expect(r.json?.schemas, what).to.deep.equal([ERROR]);
        expect(r.json?.status, what).to.equal(String(r.status));
        expect(r.json?.detail, what).to.be.a('string');
      } else {
        expect(r.type, what).to.match(/^application\/problem\+json/);
        expect(r.json, what).to.include.keys('type', 'title', 'status', 'detail');
        expect(r.json!.status, what).to.equal(r.status);
      }
      expect(await fingerprint(server.database.db), `a refused request changed rows: ${what}`).to.equal(before);
    }

    const validUser = () => ({
      schemas: [USER, ENTERPRISE], userName: 'fuzz-user', name: { givenName: 'Fu', familyName: 'Zz' }, displayName: 'Fuzz', title: 'T',
      emails: [{ value: 'fu@example.com', type: 'work', primary: true }], phoneNumbers: [{ value: '+1', type: 'mobile' }],
      active: true, externalId: 'ext-1', [ENTERPRISE]: { department: 'Sales', manager: { value: 'x' } }, [DIRGATE]: { path: 'users/x', attributes: { a: { b: 1 } } },
    });
    const validPatch = () => ({
      schemas: [PATCH_OP],
      Operations: [
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'x@example.com' },
        { op: 'add', value: { title: 'Boss', 'name.givenName': 'B' } },
        { op: 'remove', path: 'phoneNumbers[type eq "mobile"]' },
      ],
    });

    it('SCIM: mutated Users and Groups bodies (POST, PUT, PATCH, Bulk)', async () => {
      const arb = fc.oneof(
        mutate(validUser()).map((b) => ['POST', '/scim/v2/Users', b] as const),
        mutate(validUser()).map((b) => ['PUT', `/scim/v2/Users/${userId}`, b] as const),
        mutate(validPatch()).map((b) => ['PATCH', `/scim/v2/Users/${userId}`, b] as const),
        mutate({ schemas: [GROUP], displayName: 'fg', externalId: 'e', members: [{ value: userId, type: 'User' }] }).map((b) => ['POST', '/scim/v2/Groups', b] as const),
        mutate({ schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: userId }] }, { op: 'remove', path: `members[value eq "${userId}"]` }] })
          .map((b) => ['PATCH', `/scim/v2/Groups/${groupId}`, b] as const),
        mutate({ schemas: [BULK], Operations: [{ method: 'POST', path: '/Users', bulkId: 'b1', data: { schemas: [USER], userName: 'bulk-fuzz' } }, { method: 'PATCH', path: `/Groups/${groupId}`, data: { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: 'bulkId:b1' }] }] } }] })
          .map((b) => ['POST', '/scim/v2/Bulk', b] as const),
        hostileJson.map((b) => ['POST', '/scim/v2/Users', b] as const),
        // Multi-valued attributes whose elements are anything but the objects RFC 7643 §2.4 asks for.
        { weight: 3, arbitrary: fc.tuple(fc.constantFrom('emails', 'emails', 'emails', 'phoneNumbers', 'addresses', 'ims', 'photos', 'roles', 'entitlements', 'x509Certificates', 'groups'), fc.array(fc.oneof({ weight: 2, arbitrary: fc.constant(null) }, hostileJson, fc.constant({ value: 'v', primary: true })), { minLength: 1, maxLength: 3 }), fc.boolean())
          .map(([attr, elements, put]) => [put ? 'PUT' : 'POST', put ? `/scim/v2/Users/${userId}` : '/scim/v2/Users', { schemas: [USER], userName: 'mv-fuzz', [attr]: elements }] as const) },
        fc.array(fc.oneof(fc.constant(null), hostileJson, fc.constant({ value: groupId })), { minLength: 1, maxLength: 3 })
          .map((members) => ['POST', '/scim/v2/Groups', { schemas: [GROUP], displayName: 'mv-group', members }] as const),
      );
      await fc.assert(fc.asyncProperty(arb, async ([method, path, body]) => {
        await probe('scim', method, path, jsonText(body));
      }), params());
    });

    it('SCIM: mutated filters, sorting, paging and projections', async () => {
      const arb = fc.tuple(fc.constantFrom('/scim/v2/Users', '/scim/v2/Groups'), filterArb(FILTERS), queryString(['sortBy', 'sortOrder', 'startIndex', 'count', 'attributes', 'excludedAttributes']), fc.boolean());
      await fc.assert(fc.asyncProperty(arb, async ([path, filter, qs, asSearch]) => {
        if (asSearch) await probe('scim', 'POST', `${path}/.search`, jsonText({ schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], filter, startIndex: 1, count: 5 }));
        else await probe('scim', 'GET', `${path}?filter=${encode(filter)}&${qs}`);
      }), params());
    });

    it('admin API: mutated bodies on every writing endpoint, anonymous login included', async () => {
      const arb = fc.oneof(
        mutate({ username: 'fz', name: 'F', email: 'f@example.com', path: 'users/a', type: 'internal', is_active: true, attributes: { a: [1, { b: 'c' }] }, password: 'long-enough-password' })
          .map((b) => ['POST', '/api/v1/users', b, undefined] as const),
        mutate({ name: 'F2', email: 'g@example.com', attributes: { x: 1 }, is_active: true }).map((b) => ['PATCH', `/api/v1/users/${userId}`, b, undefined] as const),
        mutate({ name: 'fzg', is_superuser: false, parents: [groupId], attributes: { k: 'v' } }).map((b) => ['POST', '/api/v1/groups', b, undefined] as const),
        mutate({ parents: [groupId], attributes: { k: 'v' } }).map((b) => ['PATCH', `/api/v1/groups/${groupId}`, b, undefined] as const),
        mutate({ user: userId }).map((b) => ['POST', `/api/v1/groups/${groupId}/add_user`, b, undefined] as const),
        mutate({ 'password.min_length': 8, 'impersonation.enabled': true, password_min_length: 8 }).map((b) => ['PATCH', '/api/v1/settings', b, undefined] as const),
        mutate({ username: 'admin', password: 'wrong-password', code: '123456' }).map((b) => ['POST', '/api/v1/auth/login', b, null] as const),
        mutate({ reason: 'support ticket 1' }).map((b) => ['POST', `/api/v1/users/${userId}/impersonate`, b, undefined] as const),
        mutate({ name: 'fzr', permissions: ['user.view'] }).map((b) => ['POST', '/api/v1/roles', b, undefined] as const),
        mutate({ name: 'App', slug: 'app-fz' }).map((b) => ['POST', '/api/v1/applications', b, undefined] as const),
        mutate({ password: 'another-long-password' }).map((b) => ['POST', `/api/v1/users/${userId}/set_password`, b, undefined] as const),
        hostileJson.map((b) => ['POST', '/api/v1/users', b, undefined] as const),
        // What anyone may send without signing in, and free text fields.
        { weight: 2, arbitrary: fc.record({ username: hostileString, password: hostileString }).map((b) => ['POST', '/api/v1/auth/login', b, null] as const) },
        fc.record({ reason: hostileString }).map((b) => ['POST', `/api/v1/users/${userId}/impersonate`, b, undefined] as const),
        fc.record({ username: hostileString, name: hostileString, email: hostileString, path: hostileString }).map((b) => ['POST', '/api/v1/users', b, undefined] as const),
      );
      await fc.assert(fc.asyncProperty(arb, async ([method, path, body, token]) => {
        // Impersonation and password changes that succeed are fine; they only must not 500.
        await probe('admin', method, path, jsonText(body), token);
      }), params());
    });

    it('admin API: mutated searches, orderings, pages and path segments', async () => {
      const arb = fc.tuple(
        fc.constantFrom('/api/v1/users', '/api/v1/groups', '/api/v1/events', '/api/v1/roles', '/api/v1/users/paths', '/api/v1/exports', '/api/v1/search/fields'),
        filterArb(SEARCHES), queryString(['ordering', 'page', 'page_size', 'entity', 'inherited', 'user']), hostileString,
      );
      await fc.assert(fc.asyncProperty(arb, async ([path, search, qs, segment]) => {
        await probe('admin', 'GET', `${path}?search=${encode(search)}&${qs}`);
        await probe('admin', 'GET', `/api/v1/users/${encode(segment) || 'x'}/groups`);
        await probe('scim', 'GET', `/scim/v2/Users/${encode(segment) || 'x'}`);
      }), params());
    });
  });
}
