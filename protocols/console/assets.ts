import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Request, Response } from 'express';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly hash: string;
}

const require = createRequire(import.meta.url);
const built = (name: string) => fileURLToPath(new URL(`../../console-assets/${name}`, import.meta.url));

/** The files the console serves: htmx from node_modules, our bundle and stylesheet from the build. */
const SOURCES: Record<string, { path: () => string; type: string }> = {
  'htmx.min.js': { path: () => require.resolve('htmx.org/dist/htmx.min.js'), type: 'text/javascript; charset=utf-8' },
  'console.js': { path: () => built('console.js'), type: 'text/javascript; charset=utf-8' },
  'console.css': { path: () => built('console.css'), type: 'text/css; charset=utf-8' },
};

let loaded: Map<string, Asset> | null = null;

/** Read once: they change only with a new build, which means a restart. */
function assets(): Map<string, Asset> {
  if (loaded) return loaded;
  const m = new Map<string, Asset>();
  for (const [name, src] of Object.entries(SOURCES)) {
    const body = readFileSync(src.path());
    m.set(name, { body, type: src.type, hash: createHash('sha256').update(body).digest('hex').slice(0, 12) });
  }
  loaded = m;
  return m;
}

/** `/admin/assets/<name>?v=<content hash>`: a new build gets new URLs, so caches may keep a year. */
export function assetUrl(name: keyof typeof SOURCES & string): string {
  const a = assets().get(name);
  if (!a) throw new Error(`unknown console asset ${name}`);
  return `/admin/assets/${name}?v=${a.hash}`;
}

export function serveAsset(req: Request, res: Response): void {
  const a = assets().get(String(req.params.name));
  if (!a) {
    res.status(404).type('text/plain').send('not found');
    return;
  }
  const current = req.query.v === a.hash;
  res.set({
    'Content-Type': a.type,
    'Cache-Control': current ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
    ETag: `"${a.hash}"`,
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.get('if-none-match') === `"${a.hash}"`) {
    res.status(304).end();
    return;
  }
  res.send(a.body);
}
