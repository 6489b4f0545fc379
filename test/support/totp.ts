import { Secret, TOTP } from 'otpauth';

/** The code an authenticator app shows for `uri`'s secret at `at` (ms), computed here as the app would. */
export function codeFor(uri: string, at = Date.now()): string {
  const secret = new URL(uri).searchParams.get('secret')!;
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}

/**
 * Waits, when the current 30 s step ends within 6 s, for the next one to begin: a test that
 * spends the steps now-1, now and now+1 must not see "now" move under it.
 */
export async function awayFromStepEdge(): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 24_000) await new Promise((r) => setTimeout(r, 30_000 - into + 50));
}
