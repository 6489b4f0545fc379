import { InvalidValue } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { readSettings, writeSetting } from '../store/settings-store.js';
import { recordEvent } from './events.js';
import { queryable, type TxOptions } from './transactions.js';

/** Settings an admin changes at run time; stored in the database so every instance sees them. */
export interface Settings {
  readonly impersonation: boolean;
  readonly impersonation_require_reason: boolean;
  readonly unique_email: boolean;
  readonly password_min_length: number;
  readonly login_throttle_window: number;
  readonly login_throttle_count: number;
  /** Users may ask for a recovery link themselves at `/recovery` (needs email). */
  readonly 'recovery.self_service': boolean;
  /** The window, in seconds, over which self-service recovery requests are counted. */
  readonly 'recovery.limit_window': number;
  /** Requests one client address may make per window; more are answered the same but not acted on. */
  readonly 'recovery.limit_per_address': number;
  /** Recovery emails one account may be sent per window through self-service. */
  readonly 'recovery.limit_per_account': number;
}

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  impersonation: true,
  impersonation_require_reason: true,
  unique_email: false,
  password_min_length: 8,
  login_throttle_window: 300,
  login_throttle_count: 10,
  'recovery.self_service': false,
  'recovery.limit_window': 3600,
  'recovery.limit_per_address': 10,
  'recovery.limit_per_account': 3,
});

const count = (max: number) => (v: unknown) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max;

const VALIDATORS: Record<keyof Settings, (v: unknown) => boolean> = {
  impersonation: (v) => typeof v === 'boolean',
  impersonation_require_reason: (v) => typeof v === 'boolean',
  unique_email: (v) => typeof v === 'boolean',
  password_min_length: count(1024),
  login_throttle_window: count(86400),
  login_throttle_count: count(100000),
  'recovery.self_service': (v) => typeof v === 'boolean',
  'recovery.limit_window': count(86400),
  'recovery.limit_per_address': count(100000),
  'recovery.limit_per_account': count(100000),
};

export class SettingsService {
  /** @param emailConfigured whether this server can send email (self-service recovery needs it). */
  constructor(private readonly db: Database, private readonly emailConfigured: () => boolean = () => false) {}

  /** Current settings, read from the database each time (no cross-instance staleness). */
  async get(opts: TxOptions = {}): Promise<Settings> {
    const stored = await readSettings(queryable(this.db, opts));
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(DEFAULT_SETTINGS)) if (Object.hasOwn(stored, k)) out[k] = stored[k];
    return out as unknown as Settings;
  }

  /** @throws InvalidValue naming each bad key. */
  async update(patch: Record<string, unknown>, actor: Actor): Promise<Settings> {
    // Keys come from the client: `__proto__` or `constructor` must not find Object.prototype.
    const problems: Record<string, string> = Object.create(null);
    for (const [k, v] of Object.entries(patch)) {
      const check = Object.hasOwn(VALIDATORS, k) ? VALIDATORS[k as keyof Settings] : undefined;
      if (!check) problems[k] = 'is not a known setting';
      else if (!check(v)) problems[k] = `has an invalid value ${JSON.stringify(v)}`;
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
