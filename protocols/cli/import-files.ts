import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { Transform, type Readable } from 'node:stream';
import { parse } from 'csv-parse';
import { shapeFields } from '../../src/domain/catalogue.js';
import type { UserInput } from '../../src/services/users.js';

/** One user to import, with the 1-based line it starts on (for error messages). */
export interface ImportUser {
  readonly kind: 'user';
  readonly line: number;
  readonly input: UserInput & { username: unknown };
}

/** A group and its members (usernames), from LDIF. */
export interface ImportGroup {
  readonly kind: 'group';
  readonly line: number;
  readonly name: string;
  readonly members: readonly string[];
}

export type ImportRecord = ImportUser | ImportGroup;

/** Counts the bytes that pass, for a progress bar over a file being parsed. */
export function byteCounter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

// The export's columns (the catalogue's user shape), so an export imports back, plus what only an import sets.
const CSV_COLUMNS = new Set([...shapeFields('users').map((f) => f.name), 'password', 'external_id']);

/**
 * Users from CSV with a header row: `username` is required; `name, email, path, type, is_active,
 * attributes` (JSON), `password`, `external_id` are optional. The columns `dirgate export` adds
 * (`id, last_login, date_joined`) are read and ignored, so an export imports back unchanged.
 * @throws Error naming an unknown or missing column.
 */
export async function* readCsvUsers(input: Readable): AsyncGenerator<ImportRecord> {
  const parser = input.pipe(parse({ columns: true, bom: true, skip_empty_lines: true, relax_column_count: false, info: true }));
  let checked = false;
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    if (!checked) {
      const cols = Object.keys(record);
      const unknown = cols.filter((c) => !CSV_COLUMNS.has(c));
      if (unknown.length) throw new Error(`unknown CSV column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; known: ${[...CSV_COLUMNS].join(', ')}`);
      if (!cols.includes('username')) throw new Error('the CSV has no username column');
      checked = true;
    }
    const input: UserInput & { username: unknown } = { username: record.username };
    if (record.name !== undefined) input.name = record.name;
    if (record.email !== undefined) input.email = record.email === '' ? null : record.email;
    if (record.path) input.path = record.path;
    if (record.type) input.type = record.type;
    if (record.is_active !== undefined && record.is_active !== '') input.isActive = parseBool(record.is_active);
    if (record.attributes) input.attributes = parseJson(record.attributes);
    if (record.password) input.password = record.password;
    if (record.external_id) input.externalId = record.external_id;
    yield { kind: 'user', line: info.lines, input };
  }
}

function parseBool(v: string): unknown {
  const s = v.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(s)) return true;
  if (['false', '0', 'no'].includes(s)) return false;
  return v;
}

function parseJson(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v; // the service reports it as an invalid attributes value
  }
}

/**
 * Users and groups from LDIF (RFC 2849 content records): `inetOrgPerson`/`posixAccount`/`person`
 * entries become users (`uid`, else `cn`: username; `displayName`, else `cn`: name; `mail`;
 * `givenName`, `sn` into attributes; `dirgateActive`), `groupOfNames`/`groupOfUniqueNames`/
 * `posixGroup` entries become groups with their `member`/`uniqueMember`/`memberUid` users.
 */
export async function* readLdif(path: string, onBytes: (n: number) => void): AsyncGenerator<ImportRecord> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  let entry: Array<[string, string]> = [];
  let start = 0;
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    onBytes(Buffer.byteLength(raw) + 1);
    if (raw.startsWith(' ') && entry.length) {
      const last = entry[entry.length - 1]!;
      last[1] += raw.slice(1); // folded line (RFC 2849 §2)
      continue;
    }
    if (raw.startsWith('#')) continue;
    if (raw.trim() === '') {
      const rec = toRecord(entry, start);
      if (rec) yield rec;
      entry = [];
      continue;
    }
    if (!entry.length) start = lineNo;
    const m = /^([A-Za-z0-9;.-]+)(::?|:<)\s?(.*)$/.exec(raw);
    if (!m) throw new Error(`line ${lineNo}: not an LDIF attribute line`);
    const [, name, sep, value] = m;
    if (name!.toLowerCase() === 'version' && !entry.length) continue;
    entry.push([name!, sep === '::' ? `\u0000b64:${value}` : value!]);
  }
  const rec = toRecord(entry, start);
  if (rec) yield rec;
}

function toRecord(entry: Array<[string, string]>, line: number): ImportRecord | null {
  if (!entry.length) return null;
  const attrs = new Map<string, string[]>();
  for (const [name, rawValue] of entry) {
    const value = rawValue.startsWith('\u0000b64:') ? Buffer.from(rawValue.slice(5), 'base64').toString('utf8') : rawValue;
    const key = name.toLowerCase().split(';')[0]!;
    attrs.set(key, [...(attrs.get(key) ?? []), value]);
  }
  const first = (k: string) => attrs.get(k)?.[0];
  const dn = first('dn') ?? '';
  if (first('changetype') && first('changetype') !== 'add') throw new Error(`line ${line}: only content records (or changetype: add) can be imported`);
  const classes = (attrs.get('objectclass') ?? []).map((c) => c.toLowerCase());
  const rdnValue = /^[^=]+=((?:\\.|[^,])*)/.exec(dn)?.[1]?.replace(/\\(.)/g, '$1');
  if (classes.some((c) => ['groupofnames', 'groupofuniquenames', 'posixgroup', 'group'].includes(c))) {
    const members = new Set<string>(attrs.get('memberuid') ?? []);
    for (const m of [...(attrs.get('member') ?? []), ...(attrs.get('uniquemember') ?? [])]) {
      const u = /^(?:cn|uid)=((?:\\.|[^,])*)/i.exec(m)?.[1];
      if (u && /ou=users/i.test(m)) members.add(u.replace(/\\(.)/g, '$1'));
    }
    return { kind: 'group', line, name: first('cn') ?? rdnValue ?? '', members: [...members] };
  }
  if (classes.some((c) => ['person', 'organizationalperson', 'inetorgperson', 'posixaccount', 'user'].includes(c))) {
    const username = first('uid') ?? first('cn') ?? rdnValue;
    const given = first('givenname'), sn = first('sn');
    const input: UserInput & { username: unknown } = { username };
    const name = first('displayname') ?? (first('uid') ? first('cn') : undefined) ?? [given, sn].filter(Boolean).join(' ');
    if (name) input.name = name;
    if (first('mail')) input.email = first('mail');
    if (given || sn) input.attributes = { ...(given ? { givenName: given } : {}), ...(sn ? { sn } : {}) };
    const active = first('dirgateactive');
    if (active) input.isActive = active.toUpperCase() === 'TRUE';
    const pw = first('userpassword');
    if (pw && !/^\{[A-Za-z0-9-]+\}/.test(pw)) input.password = pw; // hashed {SSHA}… values cannot be carried over
    return { kind: 'user', line, input };
  }
  return null; // ou=…, the base entry and other containers
}
