import { createHash, pbkdf2, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scryptAsync = promisify(scrypt) as (pw: string | Buffer, salt: Buffer, keylen: number, opts: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const pbkdf2Async = promisify(pbkdf2);

export interface ScryptParams {
  readonly N: number;
  readonly r: number;
  readonly p: number;
}

/** Longest password we run a KDF on; longer input is refused before any work (DoS guard). */
export const MAX_PASSWORD_BYTES = 1024;

/**
 * Hashes a password with scrypt. The parameters travel in the string
 * (`scrypt$N$r$p$salt$hash`, base64) so they can be raised later without breaking old hashes.
 */
export async function hashPassword(password: string, params: ScryptParams): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password.normalize('NFC'), salt, 32, { ...params, maxmem: 256 * params.N * params.r + 1024 * 1024 });
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/**
 * Checks a password against a stored hash: our scrypt format or Django's `pbkdf2_sha256$iter$salt$hash`
 * (users imported from authentik keep their passwords). Constant-time comparison; false for anything unknown.
 */
export async function verifyPassword(password: string, stored: string | null): Promise<boolean> {
  if (!stored || Buffer.byteLength(password) > MAX_PASSWORD_BYTES) return false;
  const parts = stored.split('$');
  try {
    if (parts[0] === 'scrypt' && parts.length === 6) {
      const [, n, r, p, salt, hash] = parts;
      const N = Number(n), R = Number(r), P = Number(p);
      if (!(N > 1 && N <= 1 << 20 && R > 0 && R <= 32 && P > 0 && P <= 16)) return false;
      const expected = Buffer.from(hash!, 'base64');
      const key = await scryptAsync(password.normalize('NFC'), Buffer.from(salt!, 'base64'), expected.length, { N, r: R, p: P, maxmem: 256 * N * R + 1024 * 1024 });
      return timingSafeEqual(key, expected);
    }
    if (parts[0] === 'pbkdf2_sha256' && parts.length === 4) {
      const [, iter, salt, hash] = parts;
      const iterations = Number(iter);
      if (!(iterations > 0 && iterations <= 10_000_000)) return false;
      const expected = Buffer.from(hash!, 'base64');
      const key = await pbkdf2Async(password, salt!, iterations, expected.length, 'sha256');
      return timingSafeEqual(key, expected);
    }
  } catch {
    return false;
  }
  return false;
}

/**
 * True when a stored hash uses weaker parameters than `params`, or another scheme (Django's
 * `pbkdf2_sha256` from an authentik import): re-hashed after the next good sign-in.
 */
export function needsRehash(stored: string, params: ScryptParams): boolean {
  const parts = stored.split('$');
  if (parts[0] !== 'scrypt') return true;
  return Number(parts[1]) < params.N || Number(parts[2]) < params.r || Number(parts[3]) < params.p;
}

/**
 * A hash of a random password with the configured parameters, for the checks that have no
 * real hash to compare with (unknown user, no password, locked account): they run the same KDF
 * work as a wrong password, so the time of a refusal does not tell which it was.
 */
export class DecoyHash {
  private hash: Promise<string> | null = null;
  constructor(private readonly params: ScryptParams) {}

  /** Runs the KDF against the decoy; always false. */
  async burn(password: string): Promise<false> {
    this.hash ??= hashPassword(randomBytes(16).toString('base64'), this.params);
    await verifyPassword(password, await this.hash);
    return false;
  }
}

/** A new random secret: 32 bytes (256 bits), URL-safe, with a short prefix that says what it is. */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** Tokens are stored only as their SHA-256 (they are random, so a fast hash suffices). */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Constant-time string equality. */
export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a), bb = Buffer.from(b);
  if (ab.length !== bb.length) return false;
  return timingSafeEqual(ab, bb);
}
