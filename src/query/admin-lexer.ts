/**
 * Lexer of the admin query language (authentik's user search, i.e. DjangoQL). Keywords are
 * case-sensitive as in DjangoQL (`and`, `or`, `in`, `not`, `startswith`, `endswith`, `True`,
 * `False`, `None`). Names may carry Unicode letters, digits, `_` and `-` so that attribute keys
 * such as `attributes.employee-id` can be written.
 */
import { InvalidQuery } from '../domain/errors.js';

export type TokenType =
  | 'name' | 'string' | 'number' | 'op' | 'lparen' | 'rparen' | 'comma'
  | 'and' | 'or' | 'in' | 'not' | 'startswith' | 'endswith' | 'true' | 'false' | 'none' | 'eof';

export interface Token {
  readonly type: TokenType;
  /** Source text of the token (for strings: the decoded value). */
  readonly value: string;
  /** 1-based column of the first character. */
  readonly column: number;
  /** 1-based column just past the token. */
  readonly end: number;
}

const KEYWORDS: Readonly<Record<string, TokenType>> = {
  and: 'and', or: 'or', in: 'in', not: 'not', startswith: 'startswith', endswith: 'endswith',
  True: 'true', False: 'false', None: 'none',
};

const NAME = /[\p{L}_][\p{L}\p{N}_-]*(?:\.[\p{L}\p{N}_-]+)*/uy;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\["\\/bfnrt]|\\u[0-9a-fA-F]{4})*"/y;
const OPERATOR = /!=|!~|>=|<=|=|~|>|</y;

/**
 * Splits `text` into tokens, ending with one `eof` token.
 * @throws InvalidQuery with the column of an unexpected character or a bad string.
 */
export function lex(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const sticky = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const m = re.exec(text);
    return m ? m[0] : undefined;
  };
  while (i < text.length) {
    const ch = text[i]!;
    if (/\s/.test(ch)) { i++; continue; }
    const column = i + 1;
    const push = (type: TokenType, raw: string, value = raw) => {
      tokens.push({ type, value, column, end: column + raw.length });
      i += raw.length;
    };
    if (ch === '(') { push('lparen', ch); continue; }
    if (ch === ')') { push('rparen', ch); continue; }
    if (ch === ',') { push('comma', ch); continue; }
    if (ch === '"') {
      const raw = sticky(STRING);
      if (raw === undefined) throw badString(text, i);
      push('string', raw, JSON.parse(raw) as string);
      continue;
    }
    const op = sticky(OPERATOR);
    if (op !== undefined) { push('op', op); continue; }
    const num = sticky(NUMBER);
    if (num !== undefined && !/[\p{L}_]/u.test(text[i + num.length] ?? '')) { push('number', num); continue; }
    const name = sticky(NAME);
    if (name !== undefined) {
      const kw = Object.prototype.hasOwnProperty.call(KEYWORDS, name) ? KEYWORDS[name] : undefined;
      push(kw ?? 'name', name);
      continue;
    }
    const cp = String.fromCodePoint(text.codePointAt(i)!);
    throw new InvalidQuery(`unexpected character ${JSON.stringify(cp)} at column ${column}`, column);
  }
  tokens.push({ type: 'eof', value: '', column: text.length + 1, end: text.length + 1 });
  return tokens;
}

function badString(text: string, start: number): InvalidQuery {
  const column = start + 1;
  for (let j = start + 1; j < text.length; j++) {
    const c = text[j]!;
    if (c === '"') break;
    if (c === '\\') {
      const esc = text.slice(j, j + 6);
      if (!/^\\(["\\/bfnrt]|u[0-9a-fA-F]{4})/.test(esc)) {
        return new InvalidQuery(`invalid escape ${JSON.stringify(esc.slice(0, 2))} in string at column ${j + 1}`, j + 1);
      }
      j++;
      continue;
    }
    if (c < ' ') return new InvalidQuery(`control character in string at column ${j + 1}; write it as an escape such as \\n`, j + 1);
  }
  return new InvalidQuery(`unterminated string starting at column ${column}`, column);
}
