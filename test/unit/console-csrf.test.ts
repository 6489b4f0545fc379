import { expect } from 'chai';
import { csrfForSession, csrfMatches, newLoginCsrf } from '../../protocols/console/csrf.js';
import { safeNext } from '../../protocols/console/pages/login.js';
import { listUrl, listState, toggledOrdering } from '../../protocols/console/list-state.js';

describe('console: CSRF tokens, safe redirects, list state', () => {
  it('derives a per-session token that does not reveal the session and matches only itself', () => {
    const a = csrfForSession('dgs_aaaa'), b = csrfForSession('dgs_bbbb');
    expect(a).to.not.equal(b);
    expect(a).to.not.include('dgs_aaaa');
    expect(csrfMatches(a, a)).to.equal(true);
    expect(csrfMatches(a, b)).to.equal(false);
    expect(csrfMatches(a, '')).to.equal(false);
    expect(csrfMatches('', '')).to.equal(false);
    expect(newLoginCsrf()).to.not.equal(newLoginCsrf());
  });

  it('returns only to console paths after sign-in', () => {
    expect(safeNext('/admin/users?page=2')).to.equal('/admin/users?page=2');
    for (const bad of ['//evil.example/admin', 'https://evil.example', '/admin//evil', '/adminx', '/admin/login', '/admin\\evil', 42]) {
      expect(safeNext(bad), String(bad)).to.equal('/admin/users');
    }
  });

  it('keeps the list state in the URL, dropping defaults', () => {
    const s = listState({ page: '3', page_size: '50', search: 'x', ordering: '-name', path: 'users/eng', junk: '1' }, ['path']);
    expect(listUrl('/admin/users', s)).to.equal('/admin/users?path=users%2Feng&search=x&ordering=-name&page=3&page_size=50');
    expect(listUrl('/admin/users', s, { page: 1, page_size: 20, search: '' })).to.equal('/admin/users?path=users%2Feng&ordering=-name');
    expect(listState({ page: '0', page_size: 'lots' }, []).page).to.equal(1);
    expect(toggledOrdering('username', 'username')).to.equal('-username');
    expect(toggledOrdering('-username', 'username')).to.equal('username');
  });
});
