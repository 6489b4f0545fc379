/**
 * The operations this listener serves, by request tag: adding an operation is its file and
 * one line here. Unbind and Abandon are not here: they act on the connection itself, at once
 * (connection.ts).
 */
import { addOperation } from './add-entry.js';
import { bindOperation } from './bind-operation.js';
import { compareOperation } from './compare.js';
import { deleteOperation } from './delete-entry.js';
import { extendedOperation } from './extended.js';
import type { Operation } from './operation.js';
import { modifyDnOperation } from './modify-dn.js';
import { modifyOperation } from './modify-entry.js';
import { searchOperation } from './search.js';

function table(ops: readonly Operation[]): ReadonlyMap<number, Operation> {
  const byTag = new Map<number, Operation>();
  for (const op of ops) {
    if (byTag.has(op.requestTag)) throw new Error(`two LDAP operations for tag 0x${op.requestTag.toString(16)}`);
    byTag.set(op.requestTag, op);
  }
  return byTag;
}

export const OPERATIONS = table([
  bindOperation,
  searchOperation,
  compareOperation,
  extendedOperation,
  addOperation,
  modifyOperation,
  deleteOperation,
  modifyDnOperation,
]);
