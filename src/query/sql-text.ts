/**
 * Dialect helpers for text comparisons. Pattern matching differs on purpose: PostgreSQL uses
 * `LIKE … ESCAPE '\'` (served by the pg_trgm and text_pattern_ops indexes), SQLite uses `GLOB`
 * because its `LIKE` ignores ASCII case and would make case-exact fields case-insensitive.
 */

export type SqlDialect = 'sqlite' | 'pg';

/** A piece of SQL and its positional `?` bindings. */
export interface SqlFragment {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Folds ASCII letters only, the same on both dialects (SQLite's lower() folds nothing else). */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** SQL folding ASCII case of `expr`. */
export function foldSql(expr: string, dialect: SqlDialect): string {
  return dialect === 'pg' ? `translate(${expr}, '${UPPER}', '${UPPER.toLowerCase()}')` : `lower(${expr})`;
}

/** Escapes `\`, `%`, `_` for `LIKE … ESCAPE '\'`. */
export function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Escapes `*`, `?`, `[` for SQLite `GLOB`. */
export function escapeGlob(s: string): string {
  return s.replace(/[*?[]/g, (c) => `[${c}]`);
}

/** A pattern `initial*any*…*final` for the dialect's matcher. */
export function patternFor(dialect: SqlDialect, parts: { initial?: string; any: readonly string[]; final?: string }): string {
  const esc = dialect === 'pg' ? escapeLike : escapeGlob;
  const wild = dialect === 'pg' ? '%' : '*';
  return (parts.initial !== undefined ? esc(parts.initial) : '')
    + wild + parts.any.map((a) => esc(a) + wild).join('')
    + (parts.final !== undefined ? esc(parts.final) : '');
}

/** `expr` matches the pattern built by `patternFor`. */
export function matchSql(expr: string, dialect: SqlDialect): string {
  return dialect === 'pg' ? `${expr} LIKE ? ESCAPE '\\'` : `${expr} GLOB ?`;
}

/** Byte order of UTF-8 (= code point order), which SQLite and PostgreSQL `COLLATE "C"` use. */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
