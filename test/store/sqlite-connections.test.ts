import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database } from '../../src/store/database.js';
import { migrate } from '../../src/store/migrate.js';
import { preparedReader } from '../../src/store/prepared.js';

describe('SQLite connections', () => {
  let dir: string;
  let db: Database;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dirgate-sqlite-'));
    db = openDatabase(`sqlite:${join(dir, 'dirgate.db')}`);
    await migrate(db);
  });
  after(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  // 2 = MEMORY: a recursive CTE's UNION (every LDAP search's group-closure walk) must not open a temporary file per statement.
  it('keep transient tables in memory, on knex\'s connection and on the prepared reader\'s own', async () => {
    const viaKnex = await db.knex.raw('PRAGMA temp_store');
    expect(Number((viaKnex as Array<{ temp_store: number }>)[0]!.temp_store)).to.equal(2);
    const viaReader = await preparedReader(db).all('PRAGMA temp_store', []);
    expect(Number(viaReader[0]!.temp_store)).to.equal(2);
  });

  it('run in WAL mode with foreign keys on', async () => {
    const mode = (await db.knex.raw('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
    expect(mode[0]!.journal_mode).to.equal('wal');
    const fk = (await db.knex.raw('PRAGMA foreign_keys')) as Array<{ foreign_keys: number }>;
    expect(Number(fk[0]!.foreign_keys)).to.equal(1);
  });
});
