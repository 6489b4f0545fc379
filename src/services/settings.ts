import { InvalidValue } from '../domain/errors.js';
import type { Actor } from '../domain/types.js';
import type { Database } from '../store/database.js';
import { readSettings, writeSetting } from '../store/settings-store.js';
import { recordEvent } from './events.js';
import type { TxOptions } from './transactions.js';

/** Settings an admin changes at run time; stored in the database so every instance sees them. */
export interface Settings {
  readonly impersonation: boolean;
  readonly impersonation_require_reason: boolean;
  readonly unique_email: boolean;
  readonly password_min_length: number;
  readonly login_throttle_window: number;
  readonly login_throttle_count: number;
}

export const DEFAULT_SETTINGS: Settings = Object.freeze({
  impersonation: true,
  impersonation_require_reason: true,
  unique_email: false,
  password_min_length: 8,
  login_throttle_window: 300,
  login_throttle_count: 10,
});

const VALIDATORS: Record<keyof Settings, (v: unknown) => boolean> = {
  impersonation: (v) => typeof v === 'boolean',
  impersonation_require_reason: (v) => typeof v === 'boolean',
  unique_email: (v) => typeof v === 'boolean',
  password_min_length: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 1024,
  login_throttle_window: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 86400,
  login_throttle_count: (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 100000,
};

export class SettingsService {
  constructor(private readonly db: Database) {}

  /** Current settings, read from the database each time (no cross-instance staleness). */
  async get(opts: TxOptions = {}): Promise<Settings> {
    const stored = await readSettings(opts.trx ?? this.db.knex);
    const out: Record<string, unknown> = { ...DEFAULT_SETTINGS };
    for (const k of Object.keys(DEFAULT_SETTINGS)) if (k in stored) out[k] = stored[k];
    return out as unknown as Settings;
  }

  /** @throws InvalidValue naming each bad key. */
  async update(patch: Record<string, unknown>, actor: Actor): Promise<Settings> {
    const problems: Record<string, string> = {};
    for (const [k, v] of Object.entries(patch)) {
      const check = VALIDATORS[k as keyof Settings];
      if (!check) problems[k] = 'is not a known setting';
      else if (!check(v)) problems[k] = `has an invalid value ${JSON.stringify(v)}`;
    }
    if (Object.keys(problems).length > 0) throw new InvalidValue('invalid settings', problems);
    await this.db.transaction(async (trx) => {
      for (const [k, v] of Object.entries(patch)) await writeSetting(trx, k, v);
      await recordEvent(trx, actor, 'settings_changed', null, { changed: patch });
    });
    return this.get();
  }
}
