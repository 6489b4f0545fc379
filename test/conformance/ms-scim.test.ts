/**
 * Microsoft's SCIM reference-code Postman collection (a vendored, unchanged copy of
 * ../shared/conformance/ms-scim) run with newman against a freshly booted dirgate. Every
 * assertion must pass except the Microsoft-specific ones listed, with the reason, in
 * ms-scim-adaptations.ts; for each of those the same response is checked against what the RFCs
 * require instead, and a request the RFCs spell differently is also sent as they spell it.
 * One dialect: the collection exercises the SCIM door, which the other suites run on both.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { bootServer, type BootedServer } from '../support/server.js';
import { EXEMPTIONS, TWINS, type ItemKey } from './ms-scim-adaptations.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Assertion { readonly assertion: string; readonly error?: { readonly message: string } }
interface Execution { readonly item: { readonly name: string; readonly id: string }; readonly assertions?: readonly Assertion[]; readonly response?: { readonly code: number } }
interface Summary { readonly run: { readonly executions: readonly Execution[] } }
type NewmanRun = (options: Json, done: (err: Error | null, summary: Summary) => void) => void;

const newman = createRequire(import.meta.url)('newman') as { run: NewmanRun };
const COLLECTION = resolve('test/conformance/ms-scim/PostmanCollection.json');
/** Marks the scripts added here, so their assertions are told from the collection's own. */
const ADDED = 'dirgate:';

const testScript = (item: Json): string => ((item.event ?? []) as Json[]).filter((e) => e.listen === 'test').map((e) => (e.script.exec as string[]).join('\n')).join('\n');

function withScript(item: Json, script: string): Json {
  const events = ((item.event ?? []) as Json[]).filter((e) => e.listen !== 'test');
  return { ...item, event: [...events, { listen: 'test', script: { type: 'text/javascript', exec: script.split('\n') } }] };
}

/** Prefixes every pm.test title of a script so the summary can tell added assertions apart. */
const marked = (script: string) => script.replace(/pm\.test\("/g, `pm.test("${ADDED} `);

/**
 * The collection with the exemptions' RFC checks appended to their requests and the twin
 * requests inserted; returns the collection and which execution belongs to which key.
 */
function adapted(collection: Json): { collection: Json; keys: Map<string, ItemKey> } {
  const seen = new Map<string, number>();
  const keys = new Map<string, ItemKey>();
  let n = 0;
  const walk = (items: Json[], folder: string): Json[] => items.flatMap((item): Json[] => {
    if (Array.isArray(item.item)) return [{ ...item, item: walk(item.item, item.name) }];
    const base = `${folder}/${item.name}`;
    const key = `${base}#${(seen.get(base) ?? 0) + 1}`;
    seen.set(base, (seen.get(base) ?? 0) + 1);
    const original = testScript(item);
    const exemption = EXEMPTIONS[key];
    const self = { ...withScript(item, exemption ? `${original}\n${marked(exemption.instead)}` : original), id: `item-${n++}` };
    keys.set(self.id, key);
    const twin = TWINS[key];
    if (!twin) return [self];
    const request: Json = structuredClone(item.request);
    if (twin.filter !== undefined) {
      request.url = { ...request.url, query: [{ key: 'filter', value: twin.filter }] };
      delete request.url.raw;
    }
    if (twin.path) {
      request.url = { ...request.url, path: [...twin.path] };
      delete request.url.raw;
    }
    if (twin.method) {
      request.method = twin.method;
      delete request.body;
    }
    if (twin.body && request.body?.raw) request.body = { ...request.body, raw: twin.body(request.body.raw) };
    const copy = { ...withScript({ ...item, name: twin.name, request }, marked(twin.script(original))), id: `item-${n++}` };
    keys.set(copy.id, `${key} → ${twin.name}`);
    return [self, copy];
  });
  return { collection: { ...collection, item: walk(collection.item, '') }, keys };
}

function run(collection: Json, server: BootedServer): Promise<Summary> {
  const url = new URL(server.http);
  return new Promise((done, fail) => newman.run({
    collection,
    reporters: [],
    timeoutRequest: 20000,
    envVar: [
      { key: 'Protocol', value: 'http' }, { key: 'Server', value: url.hostname }, { key: 'Port', value: `:${url.port}` },
      { key: 'Api', value: 'scim/v2' }, { key: 'token', value: server.token },
    ],
    globalVar: [{ key: 'dirgateToken', value: server.token }],
  }, (err, summary) => (err ? fail(err) : done(summary))));
}

describe("Microsoft's SCIM reference Postman collection (newman)", function () {
  this.timeout(120000);
  let server: BootedServer;
  let summary: Summary;
  let keys: Map<string, ItemKey>;

  before(async () => {
    server = await bootServer('sqlite');
    const a = adapted(JSON.parse(readFileSync(COLLECTION, 'utf8')));
    keys = a.keys;
    summary = await run(a.collection, server);
  });
  after(async () => { await server?.stop(); });

  const results = () => summary.run.executions.flatMap((ex) => (ex.assertions ?? []).map((a) => ({ key: keys.get(ex.item.id) ?? ex.item.name, ...a })));

  it('runs all 108 of its assertions, and every one not judged Microsoft-specific passes', () => {
    const own = results().filter((r) => !r.assertion.startsWith(ADDED) && !r.key.includes(' → '));
    expect(own.length).to.equal(108);
    const failures = own.filter((r) => r.error && !EXEMPTIONS[r.key]?.assertions.includes(r.assertion));
    expect(failures.map((f) => `${f.key}: ${f.assertion}: ${f.error!.message}`)).to.deep.equal([]);
  });

  it('for each Microsoft-specific assertion, the answer the RFCs require holds on the same response', () => {
    const added = results().filter((r) => r.assertion.startsWith(ADDED) && !r.key.includes(' → '));
    expect(new Set(added.map((r) => r.key))).to.deep.equal(new Set(Object.keys(EXEMPTIONS)));
    const failures = added.filter((r) => r.error);
    expect(failures.map((f) => `${f.key}: ${f.assertion}: ${f.error!.message}`)).to.deep.equal([]);
  });

  it('the requests the RFCs spell differently pass the collection\'s own checks when spelled so', () => {
    const twins = results().filter((r) => r.key.includes(' → '));
    expect(new Set(twins.map((r) => r.key.split(' → ')[0]))).to.deep.equal(new Set(Object.keys(TWINS)));
    const failures = twins.filter((r) => r.error);
    expect(failures.map((f) => `${f.key}: ${f.assertion}: ${f.error!.message}`)).to.deep.equal([]);
  });

  it('every exemption names assertions the collection really has, and says why', () => {
    const own = results().filter((r) => !r.assertion.startsWith(ADDED));
    for (const [key, e] of Object.entries(EXEMPTIONS)) {
      expect(e.why.length, key).to.be.greaterThan(20);
      for (const name of e.assertions) expect(own.some((r) => r.key === key && r.assertion === name), `${key}: ${name}`).to.equal(true);
    }
  });
});
