import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positive = z.coerce.number().int().positive();
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const databaseUrl = z.string().refine(
  (u) => /^sqlite:.+/.test(u) || /^postgres(ql)?:\/\/[^/]+\/[^/?]+/.test(u),
  'must be sqlite:PATH or postgres://user:pass@host:port/db',
);

const schema = z.object({
  database: z.object({ url: databaseUrl, pool_max: positive }).strict(),
  host: z.string().min(1),
  http: z.object({
    port, public_url: z.union([z.literal(''), z.string().url()]), body_limit: positive, trust_proxy: bool,
  }).strict(),
  ldap: z.object({
    port, ldaps_port: port,
    base_dn: z.string().regex(/^[a-zA-Z]+=[^,]+(,[a-zA-Z]+=[^,]+)*$/, 'must be a DN such as dc=example,dc=com'),
    application: z.string(), require_tls: bool, size_limit: positive, time_limit: positive,
    idle_timeout: positive, max_message_bytes: positive, bind_cache_ttl: z.coerce.number().int().min(0), read_only: bool,
    max_connections: positive, max_connections_per_address: positive,
  }).strict(),
  tls: z.object({ cert: z.string(), key: z.string() }).strict(),
  bootstrap: z.object({
    // The first superuser's password meets the default password policy (password.min_length, 8).
    password: z.string().refine((p) => p === '' || [...p].length >= 8, 'must be at least 8 characters (or empty, to have one generated)'),
    // Tokens are secrets: short ones can be guessed (a generated one has 256 random bits).
    token: z.string().refine((t) => t === '' || t.length >= 32, 'must be at least 32 characters (or empty, to have one generated)'),
  }).strict(),
  email: z.object({ smtp_url: z.string(), from: z.string().min(1) }).strict(),
  auth: z.object({
    session_ttl: positive, recovery_ttl: positive,
    scrypt_n: positive.refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    scrypt_r: positive, scrypt_p: positive,
  }).strict(),
  query: z.object({ max_length: positive, max_depth: positive, max_nodes: positive }).strict(),
  scim: z.object({ max_results: positive, bulk_max_operations: positive, bulk_max_payload: positive }).strict(),
  exports: z.object({ dir: z.string().min(1), stale_after: positive }).strict(),
  log: z.object({ level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']) }).strict(),
  processes: z.object({ workers: z.coerce.number().int().min(0).max(256) }).strict(),
}).strict();

type Raw = z.infer<typeof schema>;

/** Every dotted configuration key, from the schema (for the documentation check). */
export function configKeys(): string[] {
  const walk = (shape: Record<string, z.ZodType>, prefix: string): string[] => Object.entries(shape).flatMap(([k, v]) =>
    v instanceof z.ZodObject ? walk(v.shape as Record<string, z.ZodType>, `${prefix}${k}.`) : [`${prefix}${k}`]);
  return walk(schema.shape as Record<string, z.ZodType>, '');
}

/** The typed, frozen configuration; parsed once at start, never read from the environment again. */
export interface Config {
  readonly databaseUrl: string;
  readonly databasePoolMax: number;
  readonly host: string;
  readonly http: {
    readonly port: number;
    /** Origin for links in emails and notifications; defaults to http://localhost:<http.port>. */
    readonly publicUrl: string;
    /** Whether public_url was configured (false: derived from the port). */
    readonly publicUrlSet: boolean;
    readonly bodyLimit: number;
    readonly trustProxy: boolean;
  };
  readonly ldap: {
    readonly port: number; readonly ldapsPort: number; readonly baseDn: string; readonly application: string;
    readonly requireTls: boolean; readonly sizeLimit: number; readonly timeLimit: number; readonly idleTimeout: number;
    readonly maxMessageBytes: number; readonly bindCacheTtl: number;
    /** Refuse every LDAP write (Add, Modify, Delete, ModifyDN) with unwillingToPerform. */
    readonly readOnly: boolean;
    readonly maxConnections: number; readonly maxConnectionsPerAddress: number;
  };
  readonly tls: { readonly cert: string; readonly key: string };
  readonly bootstrap: { readonly password: string; readonly token: string };
  readonly email: { readonly smtpUrl: string; readonly from: string };
  readonly auth: {
    readonly sessionTtl: number; readonly recoveryTtl: number;
    readonly scrypt: { readonly N: number; readonly r: number; readonly p: number };
  };
  readonly query: QueryLimits;
  readonly scim: { readonly maxResults: number; readonly bulkMaxOperations: number; readonly bulkMaxPayload: number };
  readonly exports: { readonly dir: string; readonly staleAfter: number };
  readonly logLevel: string;
  /** Worker processes sharing the listeners (1: one process, no supervisor); 0 in the file means the available parallelism. */
  readonly workers: number;
}

export interface QueryLimits {
  readonly maxLength: number;
  readonly maxDepth: number;
  readonly maxNodes: number;
}

/** Environment variable → dotted key: every key of the schema has one (a test holds it to that). */
export const ENV_KEYS: Readonly<Record<string, string>> = {
  DIRGATE_DATABASE_URL: 'database.url',
  DIRGATE_DATABASE_POOL_MAX: 'database.pool_max',
  DIRGATE_HOST: 'host',
  DIRGATE_HTTP_PORT: 'http.port',
  DIRGATE_PUBLIC_URL: 'http.public_url',
  DIRGATE_HTTP_BODY_LIMIT: 'http.body_limit',
  DIRGATE_HTTP_TRUST_PROXY: 'http.trust_proxy',
  DIRGATE_LDAP_PORT: 'ldap.port',
  DIRGATE_LDAPS_PORT: 'ldap.ldaps_port',
  DIRGATE_BASE_DN: 'ldap.base_dn',
  DIRGATE_LDAP_APPLICATION: 'ldap.application',
  DIRGATE_LDAP_REQUIRE_TLS: 'ldap.require_tls',
  DIRGATE_LDAP_SIZE_LIMIT: 'ldap.size_limit',
  DIRGATE_LDAP_TIME_LIMIT: 'ldap.time_limit',
  DIRGATE_LDAP_IDLE_TIMEOUT: 'ldap.idle_timeout',
  DIRGATE_LDAP_MAX_MESSAGE: 'ldap.max_message_bytes',
  DIRGATE_LDAP_BIND_CACHE_TTL: 'ldap.bind_cache_ttl',
  DIRGATE_LDAP_READ_ONLY: 'ldap.read_only',
  DIRGATE_LDAP_MAX_CONNECTIONS: 'ldap.max_connections',
  DIRGATE_LDAP_MAX_CONNECTIONS_PER_ADDRESS: 'ldap.max_connections_per_address',
  DIRGATE_TLS_CERT: 'tls.cert',
  DIRGATE_TLS_KEY: 'tls.key',
  DIRGATE_BOOTSTRAP_PASSWORD: 'bootstrap.password',
  DIRGATE_BOOTSTRAP_TOKEN: 'bootstrap.token',
  DIRGATE_SMTP_URL: 'email.smtp_url',
  DIRGATE_EMAIL_FROM: 'email.from',
  DIRGATE_SESSION_TTL: 'auth.session_ttl',
  DIRGATE_RECOVERY_TTL: 'auth.recovery_ttl',
  DIRGATE_SCRYPT_N: 'auth.scrypt_n',
  DIRGATE_SCRYPT_R: 'auth.scrypt_r',
  DIRGATE_SCRYPT_P: 'auth.scrypt_p',
  DIRGATE_QUERY_MAX_LENGTH: 'query.max_length',
  DIRGATE_QUERY_MAX_DEPTH: 'query.max_depth',
  DIRGATE_QUERY_MAX_NODES: 'query.max_nodes',
  DIRGATE_SCIM_MAX_RESULTS: 'scim.max_results',
  DIRGATE_SCIM_BULK_MAX_OPERATIONS: 'scim.bulk_max_operations',
  DIRGATE_SCIM_BULK_MAX_PAYLOAD: 'scim.bulk_max_payload',
  DIRGATE_EXPORT_DIR: 'exports.dir',
  DIRGATE_EXPORT_STALE_AFTER: 'exports.stale_after',
  DIRGATE_LOG_LEVEL: 'log.level',
  DIRGATE_WORKERS: 'processes.workers',
};

/** A configuration problem, reported as one line naming the key. */
export class ConfigError extends Error {}

export const DEFAULT_CONFIG_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/default.yaml');

/**
 * Reads default.yaml, the file named by DIRGATE_CONFIG, then DIRGATE_* variables.
 * @throws ConfigError naming the key and what was wrong.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Record<string, unknown> = {}): Config {
  const merged = readYaml(DEFAULT_CONFIG_FILE);
  if (env.DIRGATE_CONFIG) deepMerge(merged, readYaml(env.DIRGATE_CONFIG), '');
  for (const [name, key] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined) setPath(merged, key, value);
  }
  for (const [key, value] of Object.entries(overrides)) setPath(merged, key, value);
  const parsed = schema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path.join('.');
    const envName = Object.entries(ENV_KEYS).find(([, k]) => k === key)?.[0];
    const unknown = issue.code === 'unrecognized_keys' ? `unknown key ${issue.keys.map((k) => [...issue.path, k].join('.')).join(', ')}` : '';
    throw new ConfigError(unknown
      ? `configuration: ${unknown}`
      : `configuration: ${key}${envName ? ` (${envName})` : ''} ${issue.message}`);
  }
  return freeze(toConfig(parsed.data));
}

function toConfig(r: Raw): Config {
  return {
    databaseUrl: r.database.url,
    databasePoolMax: r.database.pool_max,
    host: r.host,
    http: {
      port: r.http.port,
      // Unset: the origin of the port this instance listens on, so links follow DIRGATE_HTTP_PORT.
      publicUrl: (r.http.public_url || `http://localhost:${r.http.port}`).replace(/\/+$/, ''),
      publicUrlSet: r.http.public_url !== '',
      bodyLimit: r.http.body_limit, trustProxy: r.http.trust_proxy,
    },
    ldap: {
      port: r.ldap.port, ldapsPort: r.ldap.ldaps_port, baseDn: r.ldap.base_dn, application: r.ldap.application,
      requireTls: r.ldap.require_tls, sizeLimit: r.ldap.size_limit, timeLimit: r.ldap.time_limit,
      idleTimeout: r.ldap.idle_timeout, maxMessageBytes: r.ldap.max_message_bytes, bindCacheTtl: r.ldap.bind_cache_ttl, readOnly: r.ldap.read_only,
      maxConnections: r.ldap.max_connections, maxConnectionsPerAddress: r.ldap.max_connections_per_address,
    },
    tls: { cert: r.tls.cert, key: r.tls.key },
    bootstrap: { password: r.bootstrap.password, token: r.bootstrap.token },
    email: { smtpUrl: r.email.smtp_url, from: r.email.from },
    auth: {
      sessionTtl: r.auth.session_ttl, recoveryTtl: r.auth.recovery_ttl,
      scrypt: { N: r.auth.scrypt_n, r: r.auth.scrypt_r, p: r.auth.scrypt_p },
    },
    query: { maxLength: r.query.max_length, maxDepth: r.query.max_depth, maxNodes: r.query.max_nodes },
    scim: { maxResults: r.scim.max_results, bulkMaxOperations: r.scim.bulk_max_operations, bulkMaxPayload: r.scim.bulk_max_payload },
    exports: { dir: r.exports.dir, staleAfter: r.exports.stale_after },
    logLevel: r.log.level,
    workers: r.processes.workers === 0 ? availableParallelism() : r.processes.workers,
  };
}

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`configuration: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    const value = parseYaml(text) ?? {};
    if (typeof value !== 'object' || Array.isArray(value)) throw new Error('the top level must be a mapping');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`configuration: ${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
}

function deepMerge(into: Record<string, unknown>, from: Record<string, unknown>, prefix: string): void {
  for (const [k, v] of Object.entries(from)) {
    const existing = into[k];
    if (v && typeof v === 'object' && !Array.isArray(v) && existing && typeof existing === 'object') {
      deepMerge(existing as Record<string, unknown>, v as Record<string, unknown>, `${prefix}${k}.`);
    } else {
      into[k] = v;
    }
  }
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let cur = obj;
  for (const p of parts.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== 'object') cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

function freeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) freeze(v);
    Object.freeze(o);
  }
  return o;
}
