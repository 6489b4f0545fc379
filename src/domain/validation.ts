import { parse as parseYaml } from 'yaml';
import { InvalidValue } from './errors.js';
import { checkText, findJsonProblem, InvalidText } from './text.js';
import { USER_TYPES, type JsonObject, type UserType } from './types.js';

/** Deepest nesting of `attributes` (the object itself is level 1); documented in the README. */
export const ATTRIBUTES_MAX_DEPTH = 16;
/** Largest `attributes` as JSON, in characters; documented in the README. */
export const ATTRIBUTES_MAX_LENGTH = 65536;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** @throws InvalidValue */
export function validUsername(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw InvalidValue.field('username', 'must be a non-empty string');
  if ([...v].length > 150) throw InvalidValue.field('username', 'must be at most 150 characters');
  if (CONTROL.test(v)) throw InvalidValue.field('username', 'must not contain control characters');
  if (v !== v.trim()) throw InvalidValue.field('username', 'must not start or end with whitespace');
  return checkText(v, 'username');
}

/** @throws InvalidValue */
export function validName(v: unknown, field = 'name'): string {
  if (v === null || v === undefined) return '';
  if (typeof v !== 'string') throw InvalidValue.field(field, 'must be a string');
  if (CONTROL.test(v)) throw InvalidValue.field(field, 'must not contain control characters');
  if (v.length > 1024) throw InvalidValue.field(field, 'must be at most 1024 characters');
  return checkText(v, field);
}

const EMAIL = /^[^\s@",<>()[\]\\;:]+@[^\s@",<>()[\]\\;:]+\.[^\s@",<>()[\]\\;:]+$|^[^\s@",<>()[\]\\;:]+@localhost$/;

/** Empty means no email. @throws InvalidValue */
export function validEmail(v: unknown): string | null {
  if (v === null || v === undefined || v === '') return null;
  if (typeof v !== 'string' || v.length > 254 || !EMAIL.test(v)) throw InvalidValue.field('email', 'must be an email address such as user@example.com');
  return v;
}

/** Slash-separated folder, no empty segment; default `users`. @throws InvalidValue */
export function validPath(v: unknown): string {
  if (v === null || v === undefined || v === '') return 'users';
  if (typeof v !== 'string') throw InvalidValue.field('path', 'must be a string');
  const segments = v.split('/');
  if (segments.some((s) => s.trim() === '')) throw InvalidValue.field('path', 'must be slash-separated segments with no empty segment');
  if (CONTROL.test(v)) throw InvalidValue.field('path', 'must not contain control characters');
  return checkText(v, 'path');
}

/** @throws InvalidValue */
export function validUserType(v: unknown): UserType {
  if (v === null || v === undefined || v === '') return 'internal';
  if (typeof v !== 'string' || !(USER_TYPES as readonly string[]).includes(v)) {
    throw InvalidValue.field('type', `must be one of ${USER_TYPES.join(', ')}`);
  }
  return v as UserType;
}

/** A JSON object, or (admin API) a YAML string that parses to one. @throws InvalidValue */
export function validAttributes(v: unknown, allowYaml = false): JsonObject {
  if (v === null || v === undefined) return {};
  if (typeof v === 'string' && allowYaml) {
    let parsed: unknown;
    try {
      parsed = v.trim() === '' ? {} : parseYaml(v);
    } catch (e) {
      throw InvalidValue.field('attributes', `is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
    }
    return validAttributes(parsed ?? {}, false);
  }
  if (typeof v !== 'object' || Array.isArray(v)) throw InvalidValue.field('attributes', 'must be a JSON object');
  // Depth first (an iterative walk): JSON.stringify of a hostile depth would exhaust the stack,
  // and SQLite's JSON functions refuse documents nested over 1,000 levels, failing every query.
  const p = findJsonProblem(v, 'attributes', ATTRIBUTES_MAX_DEPTH);
  if (p?.problem.startsWith('nests')) throw InvalidValue.field('attributes', `must nest at most ${ATTRIBUTES_MAX_DEPTH} levels deep`);
  if (p) throw new InvalidText('attributes', `${p.field}: ${p.problem}`);
  if (JSON.stringify(v).length > ATTRIBUTES_MAX_LENGTH) throw InvalidValue.field('attributes', 'must be at most 64 KiB as JSON');
  return v as JsonObject;
}

/** @throws InvalidValue */
export function validGroupName(v: unknown): string {
  if (typeof v !== 'string' || v.trim() === '') throw InvalidValue.field('name', 'must be a non-empty string');
  if (v.length > 256) throw InvalidValue.field('name', 'must be at most 256 characters');
  if (CONTROL.test(v)) throw InvalidValue.field('name', 'must not contain control characters');
  return checkText(v, 'name');
}

/** @throws InvalidValue */
export function validBoolean(v: unknown, field: string): boolean {
  if (typeof v === 'boolean') return v;
  throw InvalidValue.field(field, 'must be true or false');
}

/** The shape of the ids dirgate hands out (UUID strings). */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
