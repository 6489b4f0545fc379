import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** `npm run bench`: every benchmark in turn, each printing its own table. */
const here = dirname(fileURLToPath(import.meta.url));
const benches = ['query-bench.js', 'ldap-bench.js', 'scim-bench.js', 'export-bench.js', 'recovery-bench.js', 'auth-bench.js'];
let failed = 0;
for (const b of benches) {
  const file = join(here, b);
  if (!existsSync(file)) continue;
  process.stdout.write(`\n=== ${b.replace(/\.js$/, '')} ===\n`);
  const r = spawnSync(process.execPath, [file], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
