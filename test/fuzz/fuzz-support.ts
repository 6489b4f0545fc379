/**
 * What the fuzz suites share: how many runs and which seed (fixed in CI, explorable with
 * DIRGATE_FUZZ_SEED=random or a number to replay, DIRGATE_FUZZ_RUNS for more), hostile
 * arbitraries, and a fingerprint of the directory's rows to prove a refused request wrote nothing.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Database } from '../../src/store/database.js';

/** Runs per property; `npm run fuzz` raises it. */
export const RUNS = Number(process.env.DIRGATE_FUZZ_RUNS ?? 60);

const seedEnv = process.env.DIRGATE_FUZZ_SEED;
/** The seed: fixed (CI), `random` (a new one, printed), or a number (replay a failure). */
export const SEED = seedEnv === 'random' ? Date.now() % 2147483647 : Number(seedEnv ?? 14014);
if (seedEnv === 'random') console.log(`      fuzz seed ${SEED} (replay with DIRGATE_FUZZ_SEED=${SEED})`);

/** fast-check parameters for a property: fixed seed, bounded runs, no shrinking past a minute. */
export function params(runs = RUNS): fc.Parameters<unknown> {
  return { seed: SEED, numRuns: runs, endOnFailure: false, interruptAfterTimeLimit: Math.max(60000, runs * 1000) };
}

/** Strings a hostile client sends: control characters, NUL, lone surrogates, prototype names, syntax. */
export const HOSTILE = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '\ud83d\ude00', '\u202e', '\uffff', '\ufeff',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'valueOf',
  '"', '\\', '\'', '*', '(', ')', '[', ']', '{', '}', '%', '_', '%00', '\\00', '$', '.', '..', '/', '//',
  'null', 'true', 'NaN', '-1', '0', '1e309', '9'.repeat(40), 'a'.repeat(300), 'é'.repeat(100),
  'userName', 'emails', 'members', 'value', 'primary', 'attributes', 'id', 'meta', 'schemas', 'Operations',
  'urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User',
  'urn:ietf:params:scim:schemas:extension:dirgate:2.0:User', 'eq', 'and', 'or', 'not', 'pr',
];

/** A hostile or random string. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  // Ordinary text with one character no backend stores alike (NUL, a lone surrogate) inside.
  { weight: 2, arbitrary: fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('\u0000', '\ud800', '\udc00', '\udbff'), fc.nat()).map(([t, bad, at]) => { const i = at % (t.length + 1); return t.slice(0, i) + bad + t.slice(i); }) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 6 }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...HOSTILE), fc.constantFrom(...HOSTILE)).map(([a, b]) => a + b) },
);

/** Numbers JSON can carry, the awkward ones included. */
const number = fc.oneof(fc.integer(), fc.constantFrom(0, -0, 1e308, -1e308, 2 ** 53 + 1, 0.1, 1e-300), fc.double({ noNaN: true, noDefaultInfinity: true }));

/** Any JSON value, with hostile strings and keys (`__proto__` included), a few levels deep. */
export const hostileJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null), fc.boolean(), number, hostileString,
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A deep nest of arrays or objects (past any depth limit) or a very wide one. */
export const extremeJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 10, max: 3000 }).map((n) => { let v: unknown = 1; for (let i = 0; i < n; i++) v = { a: v }; return v; }),
  fc.integer({ min: 10, max: 3000 }).map((n) => { let v: unknown = 1; for (let i = 0; i < n; i++) v = [v]; return v; }),
  fc.integer({ min: 100, max: 3000 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]))),
  fc.integer({ min: 100, max: 3000 }).map((n) => Array.from({ length: n }, () => null)),
);

/** Names an object lookup must not mistake for its own keys. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'];

type Path = Array<string | number>;
const MUTATIONS = ['replace', 'null', 'nullElement', 'wrap', 'add', 'prototypeKey', 'delete', 'poison', 'extreme'] as const;

function applyMutation(doc: unknown, path: Path, how: (typeof MUTATIONS)[number], value: unknown, key: string, extreme: unknown, poison: string): unknown {
  if (path.length === 0) return how === 'extreme' ? extreme : how === 'replace' ? value : doc;
  let parent = doc as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) parent = parent[p] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  const here = parent[last];
  const define = (o: object, k: string, v: unknown) => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  switch (how) {
    case 'delete': if (Array.isArray(parent)) parent.splice(last as number, 1); else delete parent[last]; break;
    case 'null': parent[last] = null; break;
    // `emails: [null]`, `members: [null, {…}]`: an element that is not an object.
    case 'nullElement': parent[last] = Array.isArray(here) ? [null, ...here] : [null]; break;
    case 'wrap': parent[last] = [here]; break;
    case 'add': if (!Array.isArray(parent)) define(parent, key, value); else parent.push(value); break;
    case 'prototypeKey': define(here && typeof here === 'object' && !Array.isArray(here) ? here : parent, PROTOTYPE_KEYS[key.length % PROTOTYPE_KEYS.length]!, value); break;
    case 'poison': parent[last] = typeof here === 'string' ? here + poison : poison; break;
    case 'extreme': parent[last] = extreme; break;
    default: parent[last] = value;
  }
  return doc;
}

/** One to three mutations at random places of a JSON document (a copy): the shapes that broke doors. */
export function mutate(doc: unknown): fc.Arbitrary<unknown> {
  const paths: Path[] = [[]];
  const walk = (v: unknown, at: Path) => {
    if (Array.isArray(v)) v.forEach((x, i) => { paths.push([...at, i]); walk(x, [...at, i]); });
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) { paths.push([...at, k]); walk(x, [...at, k]); }
  };
  walk(doc, []);
  const poison = fc.constantFrom('\u0000', '\ud800', 'x\udc00', '\u0000\u0000');
  const one = fc.tuple(fc.constantFrom(...paths), fc.constantFrom(...MUTATIONS), hostileJson, hostileString, extremeJson, poison);
  return fc.array(one, { minLength: 1, maxLength: 3 }).map((edits) => {
    let copy: unknown = JSON.parse(JSON.stringify(doc));
    for (const [path, how, value, key, extreme, bad] of edits) {
      try { copy = applyMutation(copy, path, how, value, key, extreme, bad); } catch { /* an earlier edit removed the path */ }
    }
    return copy;
  });
}

/**
 * A digest of what a request could change: users, groups, memberships, parents, roles,
 * settings, applications (rows and versions), tokens and sessions counted. Events are left out:
 * a refused login is recorded, as it should be.
 */
export async function fingerprint(db: Database): Promise<string> {
  const k = db.knex;
  const parts = await Promise.all([
    k('users').select('id', 'version', 'username', 'is_active').orderBy('id'),
    k('groups').select('id', 'version', 'name').orderBy('id'),
    k('group_members').select('group_id', 'user_id').orderBy(['group_id', 'user_id']),
    k('group_parents').select('group_id', 'parent_id').orderBy(['group_id', 'parent_id']),
    k('roles').select('id', 'name').orderBy('id'),
    k('settings').select('key', 'value').orderBy('key'),
    k('applications').select('id', 'slug').orderBy('id'),
  ]);
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex');
}

/** Text as JSON escapes it (a lone surrogate stays `\ud800`, as a client would send it). */
export function jsonText(v: unknown): string {
  return JSON.stringify(v) ?? 'null';
}
