/**
 * The password policy (issue 15), applied wherever a password is set: the admin API, SCIM, LDAP
 * Password Modify and writes, the recovery pages, the console and the command line all reach it
 * through `UserService.setPassword` / `create` / `update` (the one "set a password under the
 * policy" path). Each refusal names its rule, so every door can say which one in its own
 * language (LDAP 19 constraintViolation, SCIM 400 invalidValue, problem JSON) and the
 * `password_rejected` event records it — never the password.
 */
import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as zxcvbnCommon from '@zxcvbn-ts/language-common';
import * as zxcvbnEn from '@zxcvbn-ts/language-en';
import { InvalidValue } from '../domain/errors.js';
import type { Settings } from './settings.js';
import { MAX_PASSWORD_BYTES, verifyPassword } from './credentials.js';

export type PasswordRule = 'type' | 'min_length' | 'max_length' | 'history' | 'strength';

/** A password the policy refuses; `rule` names the rule (for events and clients). */
export class PasswordRejected extends InvalidValue {
  constructor(readonly rule: PasswordRule, problem: string) {
    super(`password: ${problem}`, { password: problem });
  }
}

let estimator: ZxcvbnFactory | null = null;

/** Built on first use: loading the dictionaries costs ~100 ms and most servers never turn the check on. */
function zxcvbn(): ZxcvbnFactory {
  estimator ??= new ZxcvbnFactory({
    dictionary: { ...zxcvbnCommon.dictionary, ...zxcvbnEn.dictionary },
    graphs: zxcvbnCommon.adjacencyGraphs,
    translations: zxcvbnEn.translations,
  });
  return estimator;
}

/** What the policy knows about the account, for the history and strength rules. */
export interface PasswordSubject {
  /** The hashes the new password may not match: the current one and the history (newest first). */
  readonly previousHashes?: readonly string[];
  /** Words a strong password should not be built from (username, name, email). */
  readonly userInputs?: readonly string[];
}

/**
 * Checks `password` against the rules in `settings`.
 * @throws PasswordRejected naming the first rule broken
 */
export async function checkPasswordPolicy(password: unknown, settings: Settings, subject: PasswordSubject = {}): Promise<string> {
  if (typeof password !== 'string') throw new PasswordRejected('type', 'must be a string');
  const min = settings['password.min_length'];
  if ([...password].length < min) throw new PasswordRejected('min_length', `must be at least ${min} characters (rule: password.min_length)`);
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES) throw new PasswordRejected('max_length', `must be at most ${MAX_PASSWORD_BYTES} bytes`);
  const minScore = settings['password.min_score'];
  if (minScore > 0) {
    const inputs = (subject.userInputs ?? []).filter((s) => s.length > 0);
    const result = zxcvbn().check(password, [...inputs]);
    if (result.score < minScore) {
      const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => !!s);
      throw new PasswordRejected('strength', `is too weak (score ${result.score} of 4, at least ${minScore} needed; rule: password.min_score)${advice.length ? `: ${advice.join(' ')}` : ''}`);
    }
  }
  // Last: each comparison is a KDF run, so only a password that passes the cheap rules pays for it.
  for (const hash of subject.previousHashes ?? []) {
    if (await verifyPassword(password, hash)) {
      throw new PasswordRejected('history', `must differ from the last ${Math.max(1, settings['password.history'])} passwords (rule: password.history)`);
    }
  }
  return password;
}
