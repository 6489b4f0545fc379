import type { VNode } from 'preact';
import type { PageContext } from '../context.js';
import type { ListState } from '../list-state.js';

/** Bulk actions over the selection or every matching user (next step of the console work). */
export function BulkBar(_p: { c: PageContext; s: ListState; total: number }): VNode | null {
  return null;
}
