/**
 * Units of work: one transaction, handed to a door as an opaque handle. A door that needs several
 * service calls to happen together (SCIM Bulk, PUT, PATCH; the admin API's create-and-add) asks
 * `services.units.run` for a unit and passes it to each call (`{ unit }`); it never sees the
 * transaction, knex or the database. Only the services turn a unit back into its transaction.
 */
import type { Knex } from 'knex';
import type { Database } from '../store/database.js';
import { translateDriverError } from '../store/database.js';

declare const unitBrand: unique symbol;

/** An open unit of work. Opaque: nothing outside src/services can read or forge one. */
export interface Unit {
  readonly [unitBrand]: 'Unit';
}

// Both ways, so a service holding a transaction can pass it on to another service as the same unit.
const transactionOf = new WeakMap<Unit, Knex.Transaction>();
const unitOfTransaction = new WeakMap<Knex.Transaction, Unit>();

/** The unit standing for `trx` (the same handle every time). For services only. */
export function unitOf(trx: Knex.Transaction): Unit {
  let unit = unitOfTransaction.get(trx);
  if (!unit) {
    unit = Object.freeze({}) as Unit;
    unitOfTransaction.set(trx, unit);
    transactionOf.set(unit, trx);
  }
  return unit;
}

/** The transaction behind a unit. For services only. @throws TypeError for a handle not given out here */
export function transactionOfUnit(unit: Unit): Knex.Transaction {
  const trx = transactionOf.get(unit);
  if (!trx) throw new TypeError('not a unit of work given out by the services');
  return trx;
}

/** Gives out units of work. */
export class UnitService {
  constructor(private readonly db: Database) {}

  /** Runs `fn` in one new transaction: committed when it resolves, rolled back when it throws. */
  run<T>(fn: (unit: Unit) => Promise<T>): Promise<T> {
    return this.db.transaction((trx) => fn(unitOf(trx)));
  }

  /**
   * Runs `fn` in a savepoint of an open unit: if it throws, only its own writes are undone and
   * the outer unit goes on (SCIM Bulk: one failed operation, the rest stand).
   */
  async savepoint<T>(unit: Unit, fn: (inner: Unit) => Promise<T>): Promise<T> {
    try {
      return await transactionOfUnit(unit).transaction((sp) => fn(unitOf(sp)));
    } catch (e) {
      throw translateDriverError(e);
    }
  }
}
