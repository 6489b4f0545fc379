/**
 * The layer rules of DESIGN.md ("Dependency rules") as a checker over the imports of the .ts
 * files under src/, protocols/ and migrations/. Imports are read with a real TypeScript parser
 * (@babel/parser), so `import type`, `export … from`, `import('x')` in a type and dynamic
 * `import()` all count, and an import-looking string or comment does not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import { parse } from '@babel/parser';

/** One import of one file: `target` is a repository path (`src/store/rows.ts`) or a package name. */
export interface ImportEdge {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly target: string;
  /** `import type`, `export type … from`, `import('x').T`: no code runs. */
  readonly typeOnly: boolean;
}

export interface Violation {
  readonly file: string;
  readonly line: number;
  readonly specifier: string;
  readonly rule: string;
}

/** An import the rules refuse but that is tolerated for now, with who removes it and why. */
export interface AllowedImport {
  readonly file: string;
  readonly target: string;
  readonly reason: string;
}

export type Door = 'scim' | 'ldap' | 'admin' | 'console' | 'cli';

export type Layer =
  | { readonly kind: 'composition-root' }
  | { readonly kind: 'door'; readonly door: Door }
  | { readonly kind: 'http' }
  | { readonly kind: 'protocols-shared' }
  | { readonly kind: 'store' }
  | { readonly kind: 'core' }
  | { readonly kind: 'migrations' }
  | { readonly kind: 'outside' };

const DOOR_FOLDERS: readonly Door[] = ['scim', 'ldap', 'admin', 'console', 'cli'];
/** The doors `protocols/http.ts` mounts on the one express app. */
const HTTP_DOORS: readonly Door[] = ['scim', 'admin', 'console'];
/** The database drivers and query builder: only src/store (and migrations) may reach them. */
const DATABASE_PACKAGES = new Set(['knex', 'pg', 'better-sqlite3']);

/** Which layer a repository path belongs to. */
export function layerOf(path: string): Layer {
  // The server's and the command line's composition roots: they wire src/ to their doors.
  if (path === 'src/main.ts' || path === 'src/cli.ts') return { kind: 'composition-root' };
  if (path.startsWith('src/store/')) return { kind: 'store' };
  if (path.startsWith('src/')) return { kind: 'core' };
  if (path.startsWith('migrations/')) return { kind: 'migrations' };
  const door = /^protocols\/([^/]+)\//.exec(path)?.[1];
  if (door !== undefined) {
    return (DOOR_FOLDERS as readonly string[]).includes(door) ? { kind: 'door', door: door as Door } : { kind: 'protocols-shared' };
  }
  if (path === 'protocols/http.ts') return { kind: 'http' };
  if (path.startsWith('protocols/')) return { kind: 'protocols-shared' };
  return { kind: 'outside' };
}

/** The package an import names (`@scope/pkg/x` → `@scope/pkg`, `knex/types` → `knex`). */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Every import of one file's text. @throws SyntaxError when the file does not parse */
export function importsOf(file: string, text: string): ImportEdge[] {
  const ast = parse(text, { sourceType: 'module', plugins: file.endsWith('.tsx') ? ['typescript', 'jsx'] : ['typescript'], sourceFilename: file });
  const edges: ImportEdge[] = [];
  const add = (lit: unknown, typeOnly: boolean) => {
    const node = lit as { type?: string; value?: unknown; loc?: { start: { line: number } } } | null | undefined;
    if (node?.type !== 'StringLiteral' || typeof node.value !== 'string') return;
    const specifier = node.value;
    const target = specifier.startsWith('.')
      ? posix.normalize(posix.join(posix.dirname(file), specifier)).replace(/\.js$/, '.ts')
      : packageName(specifier);
    edges.push({ file, line: node.loc?.start.line ?? 0, specifier, target, typeOnly });
  };
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (!node || typeof node !== 'object') return;
    const n = node as Record<string, unknown> & { type?: string };
    switch (n.type) {
      case 'ImportDeclaration': {
        const specifiers = (n.specifiers ?? []) as Array<{ importKind?: string }>;
        add(n.source, n.importKind === 'type' || (specifiers.length > 0 && specifiers.every((sp) => sp.importKind === 'type')));
        break;
      }
      case 'ExportAllDeclaration':
      case 'ExportNamedDeclaration':
        add(n.source, n.exportKind === 'type');
        break;
      case 'TSImportType': // import('x').T in a type
        add(n.source ?? n.argument, true);
        break;
      case 'TSImportEqualsDeclaration':
        add((n.moduleReference as { expression?: unknown } | undefined)?.expression, n.importKind === 'type');
        break;
      case 'ImportExpression':
        add(n.source, false);
        break;
      case 'CallExpression': {
        const callee = n.callee as { type?: string; name?: string } | undefined;
        const args = n.arguments as unknown[] | undefined;
        if (callee?.type === 'Import' || (callee?.type === 'Identifier' && callee.name === 'require')) add(args?.[0], false);
        break;
      }
      default:
        break;
    }
    for (const [k, v] of Object.entries(n)) {
      if (k === 'loc' || k === 'extra' || k.endsWith('Comments') || k === 'comments') continue;
      if (v && typeof v === 'object') walk(v);
    }
  };
  walk(ast.program);
  return edges;
}

/** The rule an import breaks, or null. */
export function ruleBroken(edge: ImportEdge): string | null {
  const from = layerOf(edge.file);
  const isPackage = !edge.specifier.startsWith('.');
  const to = isPackage ? null : layerOf(edge.target);
  const towardsProtocols = !isPackage && edge.target.startsWith('protocols/');
  const isDoor = from.kind === 'door' || from.kind === 'http' || from.kind === 'protocols-shared';

  if (to?.kind === 'composition-root') return 'nothing imports src/main.ts or src/cli.ts (the composition roots)';

  if ((from.kind === 'core' || from.kind === 'store' || from.kind === 'migrations') && towardsProtocols) {
    return 'src/ never imports protocols/ (only the composition roots src/main.ts and src/cli.ts do)';
  }
  if (from.kind === 'door' && to?.kind === 'door' && to.door !== from.door) {
    return `the doors never import each other (${from.door} imports ${to.door})`;
  }
  if (from.kind === 'door' && to?.kind === 'http') return 'a door never imports protocols/http.ts (it mounts the doors)';
  if (from.kind === 'http' && to?.kind === 'door' && !HTTP_DOORS.includes(to.door)) return `protocols/http.ts mounts only the HTTP doors, not ${to.door}`;
  if (from.kind === 'protocols-shared' && (to?.kind === 'door' || to?.kind === 'http')) return 'shared protocol code never imports a door';
  if (isDoor && to?.kind === 'store') return 'a door never imports src/store (it calls Services)';
  if (isDoor && isPackage && DATABASE_PACKAGES.has(edge.target)) return `a door never imports ${edge.target} (it calls Services)`;
  if (from.kind === 'core' && isPackage && DATABASE_PACKAGES.has(edge.target) && !edge.typeOnly) {
    return `only src/store talks to ${edge.target}`;
  }
  return null;
}

/**
 * Every import that breaks a rule and is not allowlisted, plus every allowlist entry that no
 * longer matches an import (so the list can only shrink).
 */
export function violations(edges: ReadonlyArray<ImportEdge>, allowlist: ReadonlyArray<AllowedImport> = []): Violation[] {
  const out: Violation[] = [];
  const used = new Set<AllowedImport>();
  for (const edge of edges) {
    const rule = ruleBroken(edge);
    if (!rule) continue;
    const allowed = allowlist.find((a) => a.file === edge.file && a.target === edge.target);
    if (allowed) {
      used.add(allowed);
      continue;
    }
    out.push({ file: edge.file, line: edge.line, specifier: edge.specifier, rule });
  }
  for (const a of allowlist) {
    if (!used.has(a)) out.push({ file: a.file, line: 0, specifier: a.target, rule: `allowlisted import no longer needed: remove it from the allowlist (${a.reason})` });
  }
  return out;
}

/** The imports of every .ts and .tsx file under `dirs` (repository folders) of the repository at `root`. */
export function repositoryImports(root: string, dirs: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const dir of dirs) {
    for (const abs of tsFiles(join(root, dir))) {
      const file = relative(root, abs).split(sep).join('/');
      edges.push(...importsOf(file, readFileSync(abs, 'utf8')));
    }
  }
  return edges;
}

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(abs));
    else if ((entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) || entry.name.endsWith('.tsx')) out.push(abs);
  }
  return out.sort();
}
