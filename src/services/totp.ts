/**
 * RFC 6238 TOTP through `otpauth` (SHA-1, 6 digits, 30 s: what every authenticator app reads
 * from an otpauth:// URI), and the enrolment QR code as SVG through `qrcode`.
 */
import { Secret, TOTP } from 'otpauth';
import QRCode from 'qrcode';

const PERIOD = 30;
const DIGITS = 6;

/** A new random secret (160 bits, RFC 4226 §4), base32. */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, label = 'dirgate', issuer = 'dirgate'): TOTP {
  return new TOTP({ issuer, label, algorithm: 'SHA1', digits: DIGITS, period: PERIOD, secret: Secret.fromBase32(secret) });
}

/** The otpauth:// URI an authenticator app enrols from. */
export function totpUri(secret: string, label: string, issuer: string): string {
  return totp(secret, label, issuer).toString();
}

/** The URI as an SVG QR code. */
export async function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/**
 * The time step `code` belongs to, within ±1 step of now (clock drift, RFC 6238 §5.2); null
 * when it matches none. Constant-time comparison inside otpauth.
 */
export function totpStep(secret: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret).validate({ token: code, timestamp: now, window: 1 });
  if (delta === null) return null;
  return TOTP.counter({ period: PERIOD, timestamp: now }) + delta;
}

/** Whether a string has the shape of a TOTP code (six digits). */
export function looksLikeTotp(code: string): boolean {
  return /^\d{6}$/.test(code);
}
