import { expect } from 'chai';
import {
  AlreadyExists, BadGateway, Conflict, Gone, Immutable, InvalidQuery, InvalidValue, LimitExceeded, NotFound, PermissionDenied,
  PreconditionFailed, Unauthenticated, Unavailable,
} from '../../src/domain/errors.js';
import { toProblem } from '../../protocols/admin/errors.js';
import { pathTree } from '../../src/domain/folders.js';
import { openApiPath } from '../../protocols/admin/openapi.js';

describe('admin problem JSON translator', () => {
  const table: Array<[Error, number, string]> = [
    [InvalidValue.field('email', 'must be an email'), 400, 'invalid_value'],
    [new InvalidQuery('unknown field "x"', 7), 400, 'invalid_query'],
    [new Immutable('id is read-only'), 400, 'immutable'],
    [new LimitExceeded('too deep', 'maxDepth', 3), 400, 'limit_exceeded'],
    [new Unauthenticated('invalid token'), 401, 'unauthenticated'],
    [new PermissionDenied('needs user.view', 'user.view'), 403, 'permission_denied'],
    [new NotFound('no user'), 404, 'not_found'],
    [new AlreadyExists('taken', 'username'), 409, 'already_exists'],
    [new Conflict('state conflict'), 409, 'conflict'],
    [new Gone('link used'), 410, 'gone'],
    [new PreconditionFailed('version mismatch'), 412, 'precondition_failed'],
    [new BadGateway('SMTP refused'), 502, 'bad_gateway'],
    [new Unavailable('database down'), 503, 'unavailable'],
  ];
  for (const [err, status, code] of table) {
    it(`${err.constructor.name} → ${status}`, () => {
      const p = toProblem(err);
      expect(p).to.include({ status, type: `urn:dirgate:problem:${code}`, detail: err.message });
      expect(p.title).to.be.a('string');
    });
  }

  it('carries fields, the permission, the column and the limit', () => {
    expect(toProblem(InvalidValue.field('email', 'bad')).errors).to.deep.equal({ email: 'bad' });
    expect(toProblem(new AlreadyExists('taken', 'username')).errors).to.have.property('username');
    expect(toProblem(new PermissionDenied('x', 'role.add')).permission).to.equal('role.add');
    const q = toProblem(new InvalidQuery('unknown field "x"', 7));
    expect(q.column).to.equal(7);
    expect(q.errors!.search).to.match(/column 7/);
    // A message that names its column already does not get it twice.
    expect(toProblem(new InvalidQuery('expected a value after "=" at column 13', 13)).errors!.search).to.equal('expected a value after "=" at column 13');
    expect(toProblem(new LimitExceeded('too deep', 'maxDepth', 3))).to.include({ limit: 'maxDepth', column: 3 });
  });

  it('turns body-parser errors into 400/413 and anything else into an opaque 500', () => {
    expect(toProblem(Object.assign(new SyntaxError('Unexpected token'), { status: 400, type: 'entity.parse.failed' }))).to.include({ status: 400, title: 'Malformed JSON' });
    expect(toProblem(Object.assign(new Error('too big'), { status: 413, type: 'entity.too.large' }))).to.include({ status: 413 });
    const p = toProblem(new Error('secret internals at /srv/x.js:12'));
    expect(p).to.deep.equal({ type: 'urn:dirgate:problem:internal', title: 'Internal server error', status: 500, detail: 'internal server error' });
  });
});

describe('admin folder tree', () => {
  it('builds nested folders with direct and total counts, creating intermediate folders', () => {
    const tree = pathTree([{ path: 'corp', count: 1 }, { path: 'corp/eng/web', count: 2 }, { path: 'users', count: 5 }]);
    expect(tree).to.deep.equal([
      { name: 'corp', path: 'corp', count: 1, total: 3, children: [
        { name: 'eng', path: 'corp/eng', count: 0, total: 2, children: [{ name: 'web', path: 'corp/eng/web', count: 2, total: 2, children: [] }] },
      ] },
      { name: 'users', path: 'users', count: 5, total: 5, children: [] },
    ]);
  });
});

describe('OpenAPI paths', () => {
  it('turns express parameters into OpenAPI templates', () => {
    expect(openApiPath('/applications/:slug/bindings/:id')).to.deep.equal({ path: '/applications/{slug}/bindings/{id}', params: ['slug', 'id'] });
  });
});
