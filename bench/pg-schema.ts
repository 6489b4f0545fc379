import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A benchmark's own schema on a shared PostgreSQL, so no run ever writes into `public`. */
export interface BenchSchema {
  /** The base URL with `options=-c search_path=<schema>,public`, for openDatabase or a spawned server. */
  readonly url: string;
  readonly searchPath: string[];
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random>` on the PostgreSQL at `baseUrl`. */
export async function freshPgSchema(baseUrl: string, prefix: string): Promise<BenchSchema> {
  const schema = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  return {
    url: `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema},public`)}`,
    searchPath: [schema, 'public'],
    async drop() {
      const c = new pg.Client({ connectionString: baseUrl });
      await c.connect();
      await c.query(`drop schema if exists ${schema} cascade`);
      await c.end();
    },
  };
}
