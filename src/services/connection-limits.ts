/**
 * The connection cap of the LDAP listener: `ldap.max_connections` in all, and
 * `ldap.max_connections_per_address` from one client address (IPv6 counted by its /64, as the
 * recovery limits count it), so one client cannot take every connection. A refused client
 * gets a Notice of Disconnection saying which limit it hit (protocols/ldap/server.ts).
 *
 * The caps are the instance's: with worker processes the primary holds the one count and each
 * worker asks it (src/supervisor.ts `workerConnectionGate`), so two workers do not each take
 * the cap.
 */
import { addressKey } from './self-service-recovery.js';

export interface ConnectionCaps {
  readonly total: number;
  readonly perAddress: number;
}

export type Admission = { ok: true; key: string } | { ok: false; reason: string };

/** Where a listener asks whether it may take a connection, and says when one has closed. */
export interface ConnectionGate {
  admit(address: string | null): Promise<Admission>;
  /** Once per admitted connection, with the key it was admitted under. */
  release(key: string): void;
}

/** The gate of one process: its own count. */
export function localConnectionGate(caps: ConnectionCaps): ConnectionGate {
  const limits = new ConnectionLimits(caps);
  return {
    admit: (address) => Promise.resolve(limits.admit(address)),
    release: (key) => limits.release(key),
  };
}

export class ConnectionLimits {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly caps: ConnectionCaps) {}

  /**
   * Counts a new connection from `address`, or says why it is refused (nothing counted then).
   * Each admitted connection must be released once.
   */
  admit(address: string | null): Admission {
    const key = addressKey(address);
    if (this.total >= this.caps.total) {
      return { ok: false, reason: `too many connections: the server takes ${this.caps.total} at a time (ldap.max_connections)` };
    }
    const n = this.byAddress.get(key) ?? 0;
    if (n >= this.caps.perAddress) {
      return { ok: false, reason: `too many connections from ${address ?? 'this client'}: at most ${this.caps.perAddress} (ldap.max_connections_per_address)` };
    }
    this.total++;
    this.byAddress.set(key, n + 1);
    return { ok: true, key };
  }

  release(key: string): void {
    const n = this.byAddress.get(key);
    if (n === undefined) return;
    this.total--;
    if (n <= 1) this.byAddress.delete(key);
    else this.byAddress.set(key, n - 1);
  }

  /** Connections counted now (in all, and from `address`). */
  count(address?: string): number {
    return address === undefined ? this.total : this.byAddress.get(addressKey(address)) ?? 0;
  }
}
