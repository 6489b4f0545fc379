import { isPlainText } from '../../src/query/admin-query.js';
import type { ListState } from './list-state.js';

/**
 * The one query text an export of the users list runs: the search box, the selected folder and,
 * unless deactivated users are shown, `is_active = True` — each part in parentheses, because the
 * language groups `and`/`or` to the right. Shown as is in the Export dialog.
 */
export function exportQuery(s: ListState): string {
  const parts: string[] = [];
  const search = s.search.trim();
  if (search) {
    parts.push(isPlainText(search)
      ? `(${['username', 'name', 'email'].map((f) => `${f} ~ ${JSON.stringify(search)}`).join(' or ')})`
      : `(${search})`);
  }
  if (s.extra.path) parts.push(`(path = ${JSON.stringify(s.extra.path)} or path startswith ${JSON.stringify(`${s.extra.path}/`)})`);
  if (s.extra.inactive !== '1') parts.push('is_active = True');
  return parts.join(' and ');
}
