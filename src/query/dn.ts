/**
 * Just enough DN handling (RFC 4514) for filter values such as `memberOf=cn=admins,ou=groups,…`:
 * split into RDNs, unescape `\,` and `\2C`, compare attribute types and values ignoring case and
 * the spaces around `,` `=` `+`. The wire format stays in protocols/ldap.
 */

export interface Rdn {
  /** Attribute type, lowercased. */
  readonly type: string;
  /** Unescaped value, as written (case kept). */
  readonly value: string;
}

/** Parses a DN; undefined when it is not one. Multi-valued RDNs (`a=1+b=2`) are refused. */
export function parseDn(dn: string): Rdn[] | undefined {
  const rdns: Rdn[] = [];
  if (dn.trim() === '') return rdns;
  let i = 0;
  while (i <= dn.length) {
    const eq = dn.indexOf('=', i);
    if (eq < 0) return undefined;
    const type = dn.slice(i, eq).trim().toLowerCase();
    if (!/^([a-z][a-z0-9-]*|\d+(\.\d+)*)$/.test(type)) return undefined;
    let value = '';
    let j = eq + 1;
    let pendingSpaces = '';
    let started = false;
    for (; j < dn.length; j++) {
      const c = dn[j]!;
      if (c === ',' || c === ';') break;
      if (c === '+') return undefined;
      if (c === '\\') {
        const hex = dn.slice(j + 1, j + 3);
        let bytes: number[] | undefined;
        if (/^[0-9a-fA-F]{2}$/.test(hex)) {
          bytes = [];
          while (dn[j] === '\\' && /^[0-9a-fA-F]{2}$/.test(dn.slice(j + 1, j + 3))) {
            bytes.push(parseInt(dn.slice(j + 1, j + 3), 16));
            j += 3;
          }
          j--;
          value += pendingSpaces + Buffer.from(bytes).toString('utf8');
        } else if (j + 1 < dn.length) {
          value += pendingSpaces + dn[j + 1]!;
          j++;
        } else {
          return undefined;
        }
        pendingSpaces = '';
        started = true;
        continue;
      }
      if (c === ' ') {
        if (started) pendingSpaces += c;
        continue;
      }
      value += pendingSpaces + c;
      pendingSpaces = '';
      started = true;
    }
    rdns.push({ type, value });
    if (j >= dn.length) break;
    i = j + 1;
  }
  return rdns;
}

/** The value of the first RDN when `dn` is `<type>=<value>,<parent>` for one of `types`. */
export function childOf(dn: string, parent: string, types: readonly string[]): { type: string; value: string } | undefined {
  const rdns = parseDn(dn);
  const parentRdns = parseDn(parent);
  if (!rdns || !parentRdns || rdns.length !== parentRdns.length + 1) return undefined;
  const [first, ...rest] = rdns;
  if (!first || !types.includes(first.type)) return undefined;
  for (let k = 0; k < rest.length; k++) {
    if (rest[k]!.type !== parentRdns[k]!.type || rest[k]!.value.toLowerCase() !== parentRdns[k]!.value.toLowerCase()) return undefined;
  }
  return first;
}
