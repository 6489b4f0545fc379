/**
 * Whether an error means the store cannot be reached, for a door translating what a service
 * let through: the store turns driver connection failures into `Unavailable` on its prepared
 * and transactional paths, but a plain query can still surface the driver's own error.
 */
import { isConnectionError } from '../store/database.js';

export function isStoreUnreachable(e: unknown): boolean {
  return isConnectionError(e);
}
