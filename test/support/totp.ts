import { Secret, TOTP } from 'otpauth';

/** The code an authenticator app shows for `uri`'s secret at `at` (ms), computed here as the app would. */
export function codeFor(uri: string, at = Date.now()): string {
  const secret = new URL(uri).searchParams.get('secret')!;
  return new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30, algorithm: 'SHA1' }).generate({ timestamp: at });
}
