/** What every SCIM operation needs: the services, who is acting, and the base URL for `location`. */
import type { Actor } from '../../src/domain/types.js';
import type { Services } from '../../src/services/index.js';
import type { Unit } from '../../src/services/units.js';
import type { Json } from './canonical.js';

export interface ScimContext {
  readonly services: Services;
  readonly actor: Actor;
  /** e.g. https://dir.example.com/scim/v2 */
  readonly base: string;
}

/** The request's unit of work (every service call inside joins it). */
export type { Unit };

/** An operation's answer, independent of express (Bulk reuses it). */
export interface ScimResult {
  readonly status: number;
  readonly body?: Json;
  readonly etag?: string;
  readonly location?: string;
}

/** Request preconditions (RFC 7644 §3.14). */
export interface Preconditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}
