/**
 * Issue 14: input a client controls never answers 500 (or LDAP 80), on either backend. Each
 * case here answered 500 before its fix; each asserts the error in the door's own language
 * and that nothing was written.
 */
import { expect } from 'chai';
import { Client, InvalidCredentialsError, InvalidDNSyntaxError, InvalidSyntaxError } from 'ldapts';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { adminClient, expectProblem, type AdminClient } from './admin-support.js';
import { ERROR, GROUP, scimClient, userBody, type ScimClient } from './scim-support.js';
import { ADMIN_PASSWORD } from '../support/server.js';
import { BASE, userDn } from './ldap-support.js';

async function errorOf(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  return undefined;
}

const LONE = '\ud800';
const NUL = '\u0000';

/** A JSON text whose strings hold a lone surrogate as an escape (JSON.stringify keeps it so). */
function json(v: unknown): string {
  return JSON.stringify(v);
}

function nested(depth: number): Record<string, unknown> {
  let v: Record<string, unknown> = { leaf: 'x' };
  for (let i = 1; i < depth; i++) v = { a: v };
  return v;
}

for (const dialect of dialects()) {
  describe(`bad input never answers 500 on ${dialect}`, function () {
    this.timeout(60000);
    let server: BootedServer;
    let scim: ScimClient;
    let admin: AdminClient;

    before(async () => {
      server = await bootServer(dialect);
      scim = scimClient(server);
      admin = await adminClient(server.http, server.token);
    });
    after(async () => { await server?.stop(); });

    async function userCount(): Promise<number> {
      const r = await admin.get('/users?page_size=1');
      return r.body.pagination.count as number;
    }

    function expectScimError(r: { status: number; json: Record<string, unknown> }, status: number, scimType: string, mentions?: string): void {
      expect(r.status, JSON.stringify(r.json)).to.equal(status);
      expect(r.json.schemas).to.deep.equal([ERROR]);
      expect(r.json.scimType).to.equal(scimType);
      if (mentions) expect(r.json.detail).to.contain(mentions);
    }

    describe('F1 multi-valued SCIM attributes whose elements are not objects', () => {
      for (const attr of ['emails', 'phoneNumbers', 'addresses', 'roles']) {
        it(`POST and PUT /Users with ${attr}: [null] → 400 invalidValue naming ${attr}`, async () => {
          const before = await userCount();
          expectScimError(await scim.post('/Users', userBody(`f1-${attr}`, { [attr]: [null] })), 400, 'invalidValue', attr);
          expect(await userCount()).to.equal(before);
          const made = await scim.post('/Users', userBody(`f1-${attr}-ok`));
          expect(made.status).to.equal(201);
          expectScimError(await scim.put(`/Users/${made.json.id}`, userBody(`f1-${attr}-ok`, { [attr]: [{ value: 'x' }, null] })), 400, 'invalidValue', attr);
          expectScimError(await scim.patch(`/Users/${made.json.id}`, [{ op: 'add', path: attr, value: [null] }]), 400, 'invalidValue', attr);
        });
      }

      it('Groups with members: [null] → 400 invalidValue naming members', async () => {
        expectScimError(await scim.post('/Groups', { schemas: [GROUP], displayName: 'f1-g', members: [null] }), 400, 'invalidValue', 'members');
        const g = await scim.post('/Groups', { schemas: [GROUP], displayName: 'f1-g2' });
        expect(g.status).to.equal(201);
        expectScimError(await scim.put(`/Groups/${g.json.id}`, { schemas: [GROUP], displayName: 'f1-g2', members: [null] }), 400, 'invalidValue', 'members');
        expectScimError(await scim.patch(`/Groups/${g.json.id}`, [{ op: 'add', path: 'members', value: [null] }]), 400, 'invalidValue', 'members');
      });
    });

    describe('F2 lookups keyed by user input never find Object.prototype', () => {
      for (const key of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
        it(`PATCH /settings {"${key}": 1} → 400 naming the key`, async () => {
          const r = await admin.call('PATCH', '/settings', undefined, { raw: `{"${key}": 1}` });
          expectProblem(r, 400, [key]);
          expect(r.body.errors[key]).to.match(/not a known setting/);
        });
      }

      it('SCIM attribute names and sort keys named after Object.prototype members are unknown, not 500', async () => {
        for (const key of ['__proto__', 'constructor', 'toString']) {
          expect((await scim.call('POST', '/Users', `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"p-${key}","${key}":{"a":1}}`)).status).to.equal(400);
          expect((await scim.get(`/Users?filter=${encodeURIComponent(`${key} eq "x"`)}`)).status).to.equal(400);
          expect((await scim.get(`/Users?sortBy=${key}`)).status).to.be.oneOf([200, 400]);
          expect((await scim.get(`/ResourceTypes/${key}`)).status).to.equal(404);
          expect((await scim.get(`/Schemas/${key}`)).status).to.equal(404);
          expect((await admin.get(`/users?search=${encodeURIComponent(`${key} = "x"`)}`)).status).to.equal(400);
          expect((await admin.get(`/users?ordering=${key}`)).status).to.equal(400);
        }
      });

      it('an attributes key __proto__ is stored as data, not as a prototype', async () => {
        const r = await admin.call('POST', '/users', undefined, { raw: '{"username":"proto-attr","attributes":{"__proto__":{"polluted":true},"x":1}}' });
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        const got = await admin.get(`/users/${r.body.id}`);
        expect(Object.keys(got.body.attributes)).to.have.members(['__proto__', 'x']);
        // The audit record keeps it as a key too (it used to become the record's prototype).
        const events = await admin.get(`/users/${r.body.id}/events`);
        const created = (events.body.results as Array<{ action: string; context: { changed?: { attributes?: object } } }>).find((e) => e.action === 'user_created');
        expect(Object.keys(created?.context.changed?.attributes ?? {}), JSON.stringify(created)).to.include('__proto__');
        expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
      });
    });

    describe('F3 the depth and size of attributes are limited at every door', () => {
      it('admin API: 16 levels are accepted, 17 refused with 400 naming attributes', async () => {
        expect((await admin.post('/users', { username: 'deep-16', attributes: nested(16) })).status).to.equal(201);
        const before = await userCount();
        expectProblem(await admin.post('/users', { username: 'deep-17', attributes: nested(17) }), 400, ['attributes']);
        // A body far past any sane depth is refused before anything walks it recursively.
        expectProblem(await admin.call('POST', '/users', undefined, { raw: `{"username":"deep-5000","attributes":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}` }), 400);
        expect(await userCount()).to.equal(before);
      });

      it('SCIM: the dirgate extension attributes over the depth limit → 400 invalidValue', async () => {
        const DIRGATE = 'urn:ietf:params:scim:schemas:extension:dirgate:2.0:User';
        expectScimError(await scim.post('/Users', userBody('deep-scim', { [DIRGATE]: { attributes: nested(17) } })), 400, 'invalidValue', 'attributes');
        expectScimError(await scim.post('/Users', userBody('deep-scim', { [DIRGATE]: { attributes: { big: 'x'.repeat(70000) } } })), 400, 'invalidValue', 'attributes');
      });

      it('a user whose attributes already nest 1,100 levels (written before the limit) breaks no query', async () => {
        const made = await admin.post('/users', { username: 'deep-legacy', attributes: { department: 'Legacy' } });
        expect(made.status).to.equal(201);
        const deep = `{"department":"Legacy","x":${'{"a":'.repeat(1100)}1${'}'.repeat(1100)}}`;
        await server.database.db.knex('users').where({ id: made.body.id }).update({ attributes: deep });
        const search = await admin.get(`/users?search=${encodeURIComponent('attributes.department = "Sales"')}`);
        expect(search.status, JSON.stringify(search.body)).to.equal(200);
        const dept = await scim.get(`/Users?filter=${encodeURIComponent('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales"')}`);
        expect(dept.status, dept.text).to.equal(200);
        for (const q of ['attributes.x.a = 1', 'attributes.department ~ "Leg"', 'attributes.flag = True']) {
          expect((await admin.get(`/users?search=${encodeURIComponent(q)}`)).status, q).to.equal(200);
        }
      });

      it('groups: attributes over the depth limit → 400', async () => {
        expectProblem(await admin.post('/groups', { name: 'deep-g', attributes: nested(17) }), 400, ['attributes']);
      });
    });

    describe('F4 NUL characters and lone surrogates are refused at the door, naming the field', () => {
      it(`anonymous POST /auth/login {"username":"\\ud800"} → 400 naming username`, async () => {
        const anon = admin.as(null);
        for (const username of [LONE, `a${NUL}b`, '\udc00x']) {
          expectProblem(await anon.call('POST', '/auth/login', undefined, { raw: json({ username, password: 'whatever-password' }) }), 400, ['username']);
        }
        expectProblem(await anon.call('POST', '/auth/login', undefined, { raw: json({ username: 'admin', password: `pw${NUL}` }) }), 400, ['password']);
      });

      it('admin users, groups, attributes, queries and paths → 400 naming the field', async () => {
        const before = await userCount();
        expectProblem(await admin.post('/users', { username: 'n1', name: `x${LONE}` }), 400, ['name']);
        expectProblem(await admin.post('/users', { username: 'n2', attributes: { dept: `a${NUL}` } }), 400, ['attributes.dept']);
        expectProblem(await admin.post('/users', { username: 'n3', attributes: { [`k${NUL}`]: 1 } }), 400);
        expectProblem(await admin.post('/groups', { name: `g${LONE}` }), 400, ['name']);
        expectProblem(await admin.get(`/users?search=${encodeURIComponent(`username = "${NUL}"`)}`), 400, ['search']);
        expectProblem(await admin.get(`/users/${encodeURIComponent(`a${NUL}`)}`), 400, ['id']);
        expect(await userCount()).to.equal(before);
      });

      it('impersonation reasons → 400 naming reason', async () => {
        const u = await admin.post('/users', { username: 'imp-target' });
        expect(u.status).to.equal(201);
        expectProblem(await admin.post(`/users/${u.body.id}/impersonate`, { reason: `because${LONE}` }), 400, ['reason']);
      });

      it('SCIM titles, names, externalIds and filters → 400 invalidValue naming the attribute', async () => {
        const before = await userCount();
        expectScimError(await scim.post('/Users', userBody('s1', { title: `t${NUL}` })), 400, 'invalidValue', 'title');
        expectScimError(await scim.post('/Users', userBody('s2', { name: { givenName: LONE } })), 400, 'invalidValue', 'name.givenName');
        expectScimError(await scim.post('/Users', userBody('s3', { externalId: `e${LONE}` })), 400, 'invalidValue', 'externalId');
        expectScimError(await scim.post('/Users', userBody('s4', { emails: [{ value: `a${NUL}@b.c` }] })), 400, 'invalidValue', 'emails[0].value');
        expectScimError(await scim.get(`/Users?filter=${encodeURIComponent(`userName eq "${NUL}"`)}`), 400, 'invalidValue', 'filter');
        expectScimError(await scim.call('POST', '/Users/.search', json({ filter: `userName eq "${LONE}"` })), 400, 'invalidValue', 'filter');
        expect(await userCount()).to.equal(before);
      });
      it('anonymous LDAP bind whose DN holds a NUL → invalidDNSyntax (34), and nothing recorded', async () => {
        const events = (await admin.get('/events?page_size=1')).body.pagination.count as number;
        const c = new Client({ url: server.ldap });
        for (const dn of [`cn=a${NUL}b,ou=users,${BASE}`, `cn=admin,ou=users,${BASE}${NUL}`]) {
          expect(await errorOf(c.bind(dn, 'some-password'))).to.be.instanceOf(InvalidDNSyntaxError);
        }
        expect((await admin.get('/events?page_size=1')).body.pagination.count).to.equal(events);
        // The same NUL spelled as an RFC 4514 escape names no entry either: refused, never 80.
        expect(await errorOf(c.bind(`cn=\\00,ou=users,${BASE}`, 'some-password'))).to.be.instanceOf(InvalidCredentialsError);
        await c.bind(userDn('admin'), ADMIN_PASSWORD);
        expect(await errorOf(c.search(`cn=a\\00,ou=users,${BASE}`, { scope: 'base' }))).to.be.instanceOf(InvalidDNSyntaxError);
        expect(await errorOf(c.search(`cn=a${NUL},ou=users,${BASE}`, { scope: 'base' }))).to.be.instanceOf(InvalidDNSyntaxError);
        expect(await errorOf(c.compare(`cn=a${NUL},ou=users,${BASE}`, 'cn', 'x'))).to.be.instanceOf(InvalidDNSyntaxError);
        for (const filter of ['(uid=a\\00b)', '(cn=x*\\00*)', '(mail:caseIgnoreMatch:=\\00)']) {
          const e = await errorOf(c.search(BASE, { scope: 'sub', filter }));
          expect(e, filter).to.be.instanceOf(InvalidSyntaxError);
        }
        expect((await c.search(BASE, { scope: 'sub', filter: '(uid=admin)' })).searchEntries).to.have.length(1);
        await c.unbind();
      });

      it('LDAP writes: a NUL in a DN → 34, in a value → invalidAttributeSyntax (21), nothing written', async () => {
        const before = await userCount();
        const c = new Client({ url: server.ldap });
        await c.bind(userDn('admin'), ADMIN_PASSWORD);
        const entry = { objectClass: ['inetOrgPerson'], sn: 'S', cn: 'ldap-nul' };
        expect(await errorOf(c.add(`cn=ldap${NUL}nul,ou=users,${BASE}`, entry))).to.be.instanceOf(InvalidDNSyntaxError);
        expect(await errorOf(c.add(`cn=ldap-nul,ou=users,${BASE}`, { ...entry, displayName: `a${NUL}b` }))).to.be.instanceOf(InvalidSyntaxError);
        expect(await errorOf(c.add(`cn=ldap-nul,ou=users,${BASE}`, { ...entry, department: `d${NUL}` }))).to.be.instanceOf(InvalidSyntaxError);
        expect(await userCount()).to.equal(before);
        await c.unbind();
      });
    });
  });
}
