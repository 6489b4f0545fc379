import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
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

  // Every worker of an instance opens the file at once, and a replaced worker opens it while the
  // others write: a connection that meets a lock while it sets itself up waits, it does not fail.
  it('wait for a lock held while they open, rather than fail as busy', async () => {
    const file = join(dir, 'locked.db');
    const holder = new Sqlite(file);
    holder.pragma('journal_mode = WAL');
    holder.exec('create table t (x integer)');
    // An exclusive-mode writer keeps the file locked until it closes.
    holder.pragma('locking_mode = EXCLUSIVE');
    holder.exec('insert into t values (1)');
    const other = openDatabase(`sqlite:${file}`);
    try {
      const release = setTimeout(() => holder.close(), 300);
      const started = Date.now();
      const rows = (await other.knex.raw('select count(*) as n from t')) as Array<{ n: number }>;
      clearTimeout(release);
      expect(Number(rows[0]!.n)).to.equal(1);
      expect(Date.now() - started).to.be.at.least(250);
      const mode = (await other.knex.raw('PRAGMA journal_mode')) as Array<{ journal_mode: string }>;
      expect(mode[0]!.journal_mode).to.equal('wal');
    } finally {
      if (holder.open) holder.close();
      await other.close();
    }
  });
});
