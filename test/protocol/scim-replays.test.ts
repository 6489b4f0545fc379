/**
 * Replays the request sequences Microsoft Entra ID and Okta send during a provisioning cycle
 * (test/protocol/replays/*.json, taken from their public documentation) against a booted server.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { dialects } from '../support/databases.js';
import { bootServer, type BootedServer } from '../support/server.js';
import { scimClient, type Json } from './scim-support.js';

interface Step {
  readonly note: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  /** Dotted paths (object keys may contain dots, e.g. URNs) → expected values. */
  readonly expect?: Record<string, unknown>;
  /** Dotted paths that must be absent. */
  readonly absent?: readonly string[];
  /** Variable name → dotted path in the response. */
  readonly save?: Record<string, string>;
}

interface Replay { readonly client: string; readonly steps: readonly Step[] }

const REPLAYS = ['entra-id.json', 'okta.json'];

function substitute<T>(value: T, vars: Record<string, string>): T {
  if (typeof value === 'string') return value.replace(/\{\{(\w+)\}\}/g, (m, k: string) => vars[k] ?? m) as T;
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars)])) as T;
  return value;
}

/** Looks up `a.b.0.c`, matching the longest key first so URN keys (with dots) work. */
function lookup(obj: unknown, path: string): unknown {
  if (path === '') return obj;
  if (obj === null || typeof obj !== 'object') return undefined;
  const keys = Array.isArray(obj) ? [...obj.keys()].map(String).concat('length') : Object.keys(obj);
  for (const key of keys.sort((a, b) => b.length - a.length)) {
    const value = (obj as Record<string, unknown>)[key];
    if (path === key) return value;
    if (path.startsWith(`${key}.`)) return lookup(value, path.slice(key.length + 1));
  }
  return undefined;
}

for (const dialect of dialects()) {
  for (const file of REPLAYS) {
    const replay = JSON.parse(readFileSync(resolve('test/protocol/replays', file), 'utf8')) as Replay;
    describe(`SCIM replay: ${replay.client} (${dialect})`, function () {
      let server: BootedServer;
      before(async () => { server = await bootServer(dialect); });
      after(async () => { await server?.stop(); });

      it(`answers each of the ${replay.steps.length} requests as the client expects`, async () => {
        const scim = scimClient(server);
        const vars: Record<string, string> = {};
        for (const [i, raw] of replay.steps.entries()) {
          const step = substitute(raw, vars);
          const where = `step ${i + 1} "${step.note}": ${step.method} ${step.path}`;
          const r = await scim.call(step.method, step.path, step.body);
          expect(r.status, `${where}\n${r.text}`).to.equal(step.status);
          expect(r.headers.get('content-type'), where).to.match(/^application\/scim\+json/);
          for (const [path, want] of Object.entries(step.expect ?? {})) {
            expect(lookup(r.json, path), `${where}: ${path}\n${r.text}`).to.deep.equal(want);
          }
          for (const path of step.absent ?? []) expect(lookup(r.json, path), `${where}: ${path} should be absent`).to.equal(undefined);
          for (const [name, path] of Object.entries(step.save ?? {})) vars[name] = String(lookup(r.json, path) as Json);
        }
      });
    });
  }
}
