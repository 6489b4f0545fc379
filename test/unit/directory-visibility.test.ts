/** Who sees what (src/services/visibility.ts), on plain records through the reference evaluator. */
import { expect } from 'chai';
import { compare, FALSE, hasMember, TRUE } from '../../src/query/ast.js';
import { filterRecords, type EvalDirectory, type EvalGroup, type EvalUser } from '../../src/query/evaluate.js';
import { matchAll } from '../../src/query/validate.js';
import { restrictToViewer, visibleTo, type Viewer } from '../../src/services/visibility.js';

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const user = (n: number, username: string): EvalUser => ({
  id: id(n), seq: n, username, name: username, email: null, path: 'users', type: 'internal', is_active: true,
  last_login: null, created_at: null, updated_at: null, external_id: null, attributes: {},
});
const group = (n: number, name: string): EvalGroup => ({
  id: id(100 + n), seq: n, name, is_superuser: false, external_id: null, created_at: null, updated_at: null, attributes: {},
});

// alice ∈ backend ⊂ engineering ⊂ company; bob in no group; sales apart.
const alice = user(1, 'alice'), bob = user(2, 'bob'), carol = user(3, 'carol');
const backend = group(1, 'backend'), engineering = group(2, 'engineering'), company = group(3, 'company'), sales = group(4, 'sales');
const directory: EvalDirectory = {
  users: [alice, bob, carol],
  groups: [backend, engineering, company, sales],
  members: [{ group_id: backend.id, user_id: alice.id }, { group_id: sales.id, user_id: carol.id }],
  parents: [{ group_id: backend.id, parent_id: engineering.id }, { group_id: engineering.id, parent_id: company.id }],
  roles: [], userRoles: [], groupRoles: [],
};
const viewer = (u: EvalUser, fullAccess = false): Viewer => ({ id: u.id, username: u.username, fullAccess });
const seen = (v: Viewer | null) => ({
  users: filterRecords(restrictToViewer(matchAll('users'), v), directory).map((r) => (r as EvalUser).username),
  groups: filterRecords(restrictToViewer(matchAll('groups'), v), directory).map((r) => (r as EvalGroup).name),
});

describe('directory visibility: who sees what', () => {
  it('shows full access everything', () => {
    expect(seen(viewer(bob, true))).to.deep.equal({ users: ['alice', 'bob', 'carol'], groups: ['backend', 'engineering', 'company', 'sales'] });
  });

  it('shows a user its own entry and its groups, through parents too', () => {
    expect(seen(viewer(alice))).to.deep.equal({ users: ['alice'], groups: ['backend', 'engineering', 'company'] });
    expect(seen(viewer(carol))).to.deep.equal({ users: ['carol'], groups: ['sales'] });
    expect(seen(viewer(bob))).to.deep.equal({ users: ['bob'], groups: [] });
  });

  it('shows anonymous nothing', () => {
    expect(seen(null)).to.deep.equal({ users: [], groups: [] });
  });

  it('is the query node the store compiles', () => {
    expect(visibleTo(null, 'users')).to.equal(FALSE);
    expect(visibleTo(viewer(alice, true), 'groups')).to.equal(TRUE);
    expect(visibleTo(viewer(alice), 'users')).to.deep.equal(compare('id', 'eq', alice.id));
    expect(visibleTo(viewer(alice), 'groups')).to.deep.equal(hasMember({ entity: 'users', by: 'id', value: alice.id }, true));
    const all = matchAll('users');
    expect(restrictToViewer(all, viewer(alice, true))).to.equal(all); // nothing added for full access
  });
});
