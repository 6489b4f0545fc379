import type { Database } from '../store/database.js';
import { migrationsCurrent } from '../store/migrate.js';

/** Why the instance is not ready, or null when it is. */
export type NotReady = 'database unreachable' | 'migrations pending';

/** The store's readiness, as `/readyz` reports it. */
export class HealthService {
  constructor(private readonly db: Database) {}

  /** Null when the database answers and every migration is applied, else the reason. */
  async notReady(): Promise<NotReady | null> {
    try {
      await this.db.knex.raw('select 1');
      return (await migrationsCurrent(this.db)) ? null : 'migrations pending';
    } catch {
      return 'database unreachable';
    }
  }
}
