import { InvalidValue } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { readSettings, readSettingTexts, writeSetting } from '../store/settings-store.js';
import { recordEvent } from './events.js';
import { queryable, type TxOptions } from './transactions.js';

/** How `mfa.ldap_bind` treats a TOTP code appended to an LDAP bind password (`password;123456`). */
export type LdapMfaMode = 'off' | 'optional' | 'required';

/** Settings an admin changes at run time; stored in the database so every instance sees them. Keys are dotted by area. */
export interface Settings {
  readonly 'impersonation.enabled': boolean;
  readonly 'impersonation.require_reason': boolean;
  readonly 'users.unique_email': boolean;
  readonly 'password.min_length': number;
  /** The last N passwords of a user cannot be set again (0: no history). */
  readonly 'password.history': number;
  /** Days a password is valid (0: forever). */
  readonly 'password.max_age_days': number;
  /** LDAP binds an expired password still gets before it is refused (0: none). */
  readonly 'password.grace_logins': number;
  /** Lowest zxcvbn score (0–4) a new password must reach (0: no strength check). */
  readonly 'password.min_score': number;
  /** A password set by someone else (an admin reset) must be changed by the user at the next sign-in. */
  readonly 'password.change_after_reset': boolean;
  /** Consecutive failures that lock an account (0: no lockout). */
  readonly 'lockout.threshold': number;
  /** Seconds a locked account stays locked (0: until an admin unlocks it). */
  readonly 'lockout.duration': number;
  readonly 'login.throttle_window': number;
  readonly 'login.throttle_count': number;
  readonly 'mfa.ldap_bind': LdapMfaMode;
  /** Users may ask for a recovery link themselves at `/recovery` (needs email). */
  readonly 'recovery.self_service': boolean;
  /** The window, in seconds, over which self-service recovery requests are counted. */
  readonly 'recovery.limit_window': number;
  /** Requests one client address may make per window; more are answered the same but not acted on. */
  readonly 'recovery.limit_per_address': number;
  /** Recovery emails one account may be sent per window through self-service. */
  readonly 'recovery.limit_per_account': number;
}

export type SettingKey = keyof Settings;

/** What `GET /settings/schema` says about one key (a JSON-Schema fragment plus the default). */
export interface SettingSpec {
  readonly type: 'boolean' | 'integer' | 'string';
  readonly default: boolean | number | string;
  readonly description: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly enum?: readonly string[];
}

const bool = (def: boolean, description: string): SettingSpec => ({ type: 'boolean', default: def, description });
const int = (def: number, minimum: number, maximum: number, description: string): SettingSpec => ({ type: 'integer', default: def, minimum, maximum, description });

/** Every setting: its type, default and meaning. The single source of the defaults, the validation and the schema. */
export const SETTINGS_SCHEMA: Readonly<Record<SettingKey, SettingSpec>> = Object.freeze({
  'impersonation.enabled': bool(true, 'admins holding user.impersonate may impersonate users'),
  'impersonation.require_reason': bool(true, 'an impersonation must give a reason'),
  'users.unique_email': bool(false, 'no two users may share an email address'),
  'password.min_length': int(8, 1, 1024, 'fewest characters a new password may have'),
  'password.history': int(0, 0, 50, 'a new password may not be any of the user\'s last N passwords (kept as hashes); 0 turns it off'),
  'password.max_age_days': int(0, 0, 36500, 'days before a password expires: an admin sign-in must set a new one, LDAP binds report it through the password policy control (and are refused once password.grace_logins are spent); 0 = never'),
  'password.grace_logins': int(0, 0, 1000, 'LDAP binds an expired password still gets (each answers graceAuthNsRemaining, the binds left after it, in the password policy control); then binds are refused with passwordExpired. The admin API and the console still ask for a new password at once; setting a password starts the count over; 0 = none'),
  'password.min_score': int(0, 0, 4, 'lowest zxcvbn strength score (0–4) a new password must reach; 0 turns the check off'),
  'password.change_after_reset': bool(false, 'a password set by someone else (admin reset, provisioning) must be changed at the next sign-in: the admin API asks for new_password, LDAP binds carry changeAfterReset in the password policy control'),
  'lockout.threshold': int(0, 0, 100000, 'consecutive failed sign-ins (every door) that lock the account; 0 turns lockout off'),
  'lockout.duration': int(900, 0, 31_536_000, 'seconds an account stays locked; 0 = until an admin unlocks it (POST /users/{id}/unlock)'),
  'login.throttle_window': int(300, 1, 86400, 'seconds over which failed sign-ins are counted per username and per client address'),
  'login.throttle_count': int(10, 1, 100000, 'sign-in attempts per username or per address per window before refusing'),
  'mfa.ldap_bind': { type: 'string', default: 'off', enum: ['off', 'optional', 'required'], description: 'TOTP on LDAP binds: off (password only), optional (`password;123456` accepted, password alone too), required (accounts with TOTP must append the code)' },
  'recovery.self_service': bool(false, 'users may ask for a recovery email at /recovery; needs an SMTP server'),
  'recovery.limit_window': int(3600, 1, 86400, 'seconds over which self-service requests are counted'),
  'recovery.limit_per_address': int(10, 1, 100000, 'self-service requests per client address per window'),
  'recovery.limit_per_account': int(3, 1, 100000, 'self-service recovery emails per account per window'),
});

export const DEFAULT_SETTINGS: Settings = Object.freeze(
  Object.fromEntries(Object.entries(SETTINGS_SCHEMA).map(([k, s]) => [k, s.default])),
) as unknown as Settings;

function valid(spec: SettingSpec, v: unknown): boolean {
  switch (spec.type) {
    case 'boolean': return typeof v === 'boolean';
    case 'integer': return Number.isInteger(v) && (v as number) >= spec.minimum! && (v as number) <= spec.maximum!;
    case 'string': return typeof v === 'string' && (!spec.enum || spec.enum.includes(v));
  }
}

export class SettingsService {
  /** @param emailConfigured whether this server can send email (self-service recovery needs it). */
  constructor(private readonly db: Database, private readonly emailConfigured: () => boolean = () => false) {}

  /** The last settings read outside a transaction, and the stored text they were made from. */
  private last: { readonly texts: string; readonly settings: Settings } | null = null;

  /**
   * Current settings, read from the database each time (no cross-instance staleness): in the
   * caller's unit when given, else through a prepared statement, parsed again only when the
   * stored text changed (the answer is frozen: it may be shared).
   */
  async get(opts: TxOptions = {}): Promise<Settings> {
    if (opts.unit) return this.merge(await readSettings(queryable(this.db, opts)));
    const rows = await readSettingTexts(this.db);
    const texts = rows.map(([k, v]) => `${k}\u0000${v}`).join('\u0001');
    if (this.last?.texts === texts) return this.last.settings;
    const stored: Record<string, unknown> = Object.create(null);
    for (const [k, v] of rows) stored[k] = JSON.parse(v);
    const settings = Object.freeze(this.merge(stored));
    this.last = { texts, settings };
    return settings;
  }

  private merge(stored: Record<string, unknown>): Settings {
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(DEFAULT_SETTINGS)) if (Object.hasOwn(stored, k)) out[k] = stored[k];
    return out as unknown as Settings;
  }

  /** Each key's type, default and meaning. */
  schema(): Readonly<Record<SettingKey, SettingSpec>> {
    return SETTINGS_SCHEMA;
  }

  /** @throws InvalidValue naming each bad key. */
  async update(patch: Record<string, unknown>, actor: Actor): Promise<Settings> {
    // Keys come from the client: `__proto__` or `constructor` must not find Object.prototype.
    const problems: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(patch)) {
      const spec = Object.hasOwn(SETTINGS_SCHEMA, k) ? SETTINGS_SCHEMA[k as SettingKey] : undefined;
      if (!spec) problems[k] = 'is not a known setting';
      else if (!valid(spec, v)) problems[k] = `has an invalid value ${JSON.stringify(v)}`;
    }
    if (patch['recovery.self_service'] === true && !this.emailConfigured()) {
      problems['recovery.self_service'] = 'needs email: configure an SMTP server (email.smtp_url, DIRGATE_SMTP_URL) before turning on self-service recovery';
    }
    const named = Object.entries(problems).map(([k, problem]) => `${k} ${problem}`);
    if (named.length > 0) throw new InvalidValue(named.length === 1 ? named[0]! : `invalid settings: ${named.join('; ')}`, problems);
    await this.db.transaction(async (trx) => {
      for (const [k, v] of Object.entries(patch)) await writeSetting(trx, k, v);
      await recordEvent(trx, actor, 'settings_changed', null, { changed: patch });
    });
    return this.get();
  }
}
