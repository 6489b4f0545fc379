/**
 * `npm run build`'s last step: bundles the console's script islands (TypeScript, browser) with
 * esbuild into dist/console-assets/, next to the stylesheet. No dev server, no CDN: dirgate
 * serves these files itself (assets.ts).
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const out = `${root}dist/console-assets`;

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [`${root}protocols/console/islands/index.ts`],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  outfile: `${out}/console.js`,
  logLevel: 'warning',
  legalComments: 'none',
});
copyFileSync(`${root}protocols/console/assets/console.css`, `${out}/console.css`);
