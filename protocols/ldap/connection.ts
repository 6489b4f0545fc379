/**
 * One client connection: framing (refusing oversized messages from their header, before
 * buffering them), decoding, a sequential operation queue (abandon and unbind act at once),
 * backpressure towards clients that do not read, the idle timeout, and StartTLS (RFC 4511
 * §4.14: the socket is wrapped in TLS right after the success response).
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { BerError, messageSize } from './ber.js';
import { handleBind, refreshIdentity } from './bind.js';
import { handleCompare } from './compare.js';
import { LdapError, toLdapResult } from './errors.js';
import { decodeMessage, OP, UnknownOperation } from './messages.js';
import type { Message } from './messages.js';
import { PageStates } from './paged-results.js';
import { handlePasswordModify } from './password-modify.js';
import { RESULT } from './result-codes.js';
import { encodeExtended, encodeNoticeOfDisconnection, encodeResult } from './responses.js';
import { CONTROL, EXTENSION } from './root-dse.js';
import { handleSearch } from './search.js';
import type { Identity, LdapContext, Session } from './session.js';

/** Operations queued beyond this stop reading from the socket until the queue drains. */
const MAX_QUEUED = 32;
/** Bytes waiting in the socket's buffer before the writer waits for the client to read. */
const HIGH_WATER = 256 * 1024;

const RESPONSE_TAG: Readonly<Record<string, number>> = {
  bind: OP.BIND_RESPONSE, search: OP.SEARCH_DONE, compare: OP.COMPARE_RESPONSE, extended: OP.EXTENDED_RESPONSE,
};

/** Controls we understand, and the operations they apply to. */
const KNOWN_CONTROLS: Readonly<Record<string, string>> = {
  [CONTROL.PAGED_RESULTS]: 'search',
  [CONTROL.SORT_REQUEST]: 'search',
};

export class LdapConnection implements Session {
  readonly pages = new PageStates();
  readonly clientIp: string | null;
  private socket: Socket;
  private pending: Buffer | null = null;
  private readonly queue: Message[] = [];
  private running = false;
  private closed = false;
  private bound: Identity | null = null;
  private readonly abandoned = new Set<number>();
  private current = -1;
  private drainWaiters: Array<(ok: boolean) => void> = [];
  private readonly onData = (chunk: Buffer) => this.receive(chunk);

  constructor(
    readonly ctx: LdapContext,
    socket: Socket,
    private isSecure: boolean,
    private readonly secureContext: SecureContext | null,
    private readonly onClose: (c: LdapConnection) => void,
  ) {
    this.socket = socket;
    this.clientIp = socket.remoteAddress ?? null;
    this.attach(socket);
  }

  get secure(): boolean {
    return this.isSecure;
  }

  private attach(socket: Socket): void {
    socket.setNoDelay(true); // DESIGN.md "ldapjs and Nagle": every response is its own write
    socket.setTimeout(this.ctx.config.ldap.idleTimeout * 1000);
    socket.on('data', this.onData);
    socket.on('drain', () => this.wakeWriters(true));
    socket.on('timeout', () => {
      this.ctx.log.debug({ client: this.clientIp }, 'ldap: idle connection closed');
      this.close(RESULT.unavailable, 'idle timeout');
    });
    socket.on('error', (err) => this.ctx.log.debug({ err, client: this.clientIp }, 'ldap: socket error'));
    socket.on('close', () => this.closed || this.teardown());
  }

  // ---- Session ---------------------------------------------------------------------------

  async identity(): Promise<Identity | null> {
    if (this.bound) this.bound = await refreshIdentity(this, this.bound);
    return this.bound;
  }

  boundIdentity(): Identity | null {
    return this.bound;
  }

  setIdentity(identity: Identity | null): void {
    this.bound = identity;
    this.pages.clear();
  }

  isAbandoned(id: number): boolean {
    return this.closed || this.abandoned.has(id);
  }

  async write(messages: readonly Buffer[]): Promise<void> {
    if (this.closed) throw new ConnectionClosed();
    if (messages.length === 1) this.socket.write(messages[0]!);
    else {
      this.socket.cork();
      for (const m of messages) this.socket.write(m);
      this.socket.uncork();
    }
    if (this.socket.writableLength > HIGH_WATER) {
      // Send what the operation has corked so far: 'drain' comes only once it is flushed.
      while (this.socket.writableCorked > 0) this.socket.uncork();
      // A client that does not read: wait, but never longer than the idle timeout.
      const ok = await new Promise<boolean>((resolve) => this.drainWaiters.push(resolve));
      if (!ok) throw new ConnectionClosed();
    }
  }

  private wakeWriters(ok: boolean): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f(ok);
  }

  // ---- framing ---------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    const max = this.ctx.config.ldap.maxMessageBytes;
    while (buf.length > 0) {
      let size: number;
      try {
        size = messageSize(buf);
      } catch (e) {
        return this.close(RESULT.protocolError, (e as Error).message);
      }
      if (size > max) return this.close(RESULT.adminLimitExceeded, `message of ${size} bytes exceeds the limit of ${max}`);
      if (size < 0 || buf.length < size) break;
      const raw = buf.subarray(0, size);
      buf = buf.subarray(size);
      let msg: Message;
      try {
        msg = decodeMessage(raw);
      } catch (e) {
        if (e instanceof UnknownOperation) return this.close(RESULT.protocolError, e.message);
        return this.close(RESULT.protocolError, e instanceof BerError ? `malformed message: ${e.message}` : 'malformed message');
      }
      if (!this.accept(msg)) return;
    }
    if (buf.length > 0) this.pending = Buffer.from(buf); // copy: do not pin the socket's chunk
    if (this.queue.length >= MAX_QUEUED) this.socket.pause();
    void this.drain();
  }

  /** Handles abandon and unbind at once; queues the rest. False when the connection ended. */
  private accept(msg: Message): boolean {
    const r = msg.request;
    if (r.op === 'unbind') {
      this.close();
      return false;
    }
    if (r.op === 'abandon') {
      if (r.target === this.current) this.abandoned.add(r.target);
      const i = this.queue.findIndex((m) => m.id === r.target);
      if (i >= 0) this.queue.splice(i, 1);
      return true;
    }
    this.queue.push(msg);
    return true;
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const msg = this.queue.shift()!;
        if (this.queue.length < MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
        this.current = msg.id;
        // An operation's responses (entries and result) leave in one write where they fit.
        const socket = this.socket;
        socket.cork();
        const reply = await this.perform(msg);
        this.current = -1;
        this.abandoned.delete(msg.id);
        if (reply === 'starttls') {
          socket.uncork();
          this.upgrade();
          continue;
        }
        if (reply && !this.closed) socket.write(reply);
        socket.uncork();
      }
    } finally {
      this.running = false;
    }
  }

  // ---- operations ------------------------------------------------------------------------

  private async perform(msg: Message): Promise<Buffer | null | 'starttls'> {
    const r = msg.request;
    const responseTag = r.op === 'write' ? r.responseTag : RESPONSE_TAG[r.op]!;
    try {
      for (const c of msg.controls) {
        if (c.critical && KNOWN_CONTROLS[c.oid] !== r.op) {
          throw new LdapError(RESULT.unavailableCriticalExtension, `unsupported critical control ${c.oid}`);
        }
      }
      switch (r.op) {
        case 'bind': {
          this.setIdentity(null); // RFC 4511 §4.2.1: a bind, even a failed one, starts anonymous
          const id = await handleBind(this, r);
          this.setIdentity(id);
          return encodeResult(msg.id, OP.BIND_RESPONSE, RESULT.success);
        }
        case 'search':
          return await handleSearch(this, msg, r);
        case 'compare':
          return encodeResult(msg.id, OP.COMPARE_RESPONSE, await handleCompare(this, r));
        case 'extended':
          return await this.extended(msg.id, r.oid, r.value);
        case 'write':
          return encodeResult(msg.id, r.responseTag, RESULT.unwillingToPerform,
            `the directory is read-only over LDAP (${r.name} refused); change users and groups through SCIM (/scim/v2) or the admin API (/api/v1)`);
        default:
          return null;
      }
    } catch (e) {
      if (e instanceof ConnectionClosed || this.closed) return null;
      const t = toLdapResult(e);
      if (t.unexpected) this.ctx.log.error({ err: e, op: r.op }, 'ldap: operation failed');
      if (t.code === RESULT.unavailable) this.ctx.log.warn({ op: r.op }, 'ldap: database unavailable');
      return r.op === 'extended'
        ? encodeExtended(msg.id, t.code, t.message)
        : encodeResult(msg.id, responseTag, t.code, t.message, { matchedDn: t.matchedDn });
    }
  }

  private async extended(id: number, oid: string, value: Buffer | null): Promise<Buffer | 'starttls'> {
    switch (oid) {
      case EXTENSION.WHO_AM_I: {
        const me = await this.identity();
        return encodeExtended(id, RESULT.success, '', null, Buffer.from(me ? `dn:${me.dn}` : ''));
      }
      case EXTENSION.PASSWORD_MODIFY:
        return encodeExtended(id, RESULT.success, '', null, await handlePasswordModify(this, value));
      case EXTENSION.START_TLS: {
        if (!this.secureContext) throw new LdapError(RESULT.protocolError, 'StartTLS is not available: no certificate is configured');
        if (this.isSecure) throw new LdapError(RESULT.operationsError, 'TLS is already established');
        if (this.queue.length > 0) throw new LdapError(RESULT.operationsError, 'StartTLS with operations outstanding');
        this.socket.write(encodeExtended(id, RESULT.success, '', EXTENSION.START_TLS));
        return 'starttls';
      }
      default:
        throw new LdapError(RESULT.protocolError, `unsupported extended operation ${oid}`);
    }
  }

  /** Wraps the socket in TLS; the next bytes from the client are its ClientHello. */
  private upgrade(): void {
    const raw = this.socket;
    raw.removeListener('data', this.onData);
    raw.removeAllListeners('timeout');
    raw.removeAllListeners('drain');
    raw.removeAllListeners('close');
    const secure = new TLSSocket(raw, { isServer: true, secureContext: this.secureContext! });
    this.socket = secure;
    this.isSecure = true;
    this.attach(secure);
    secure.on('secure', () => this.ctx.log.debug({ client: this.clientIp }, 'ldap: StartTLS established'));
  }

  // ---- closing ---------------------------------------------------------------------------

  /** Closes the connection, with a Notice of Disconnection when a code is given. */
  close(code?: number, message = ''): void {
    if (this.closed) return;
    if (code !== undefined && !this.socket.destroyed && this.socket.writableLength < HIGH_WATER) {
      this.socket.end(encodeNoticeOfDisconnection(code, message));
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else if (code === undefined) {
      this.socket.end(); // unbind
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.teardown();
  }

  private teardown(): void {
    this.closed = true;
    this.queue.length = 0;
    this.pages.clear();
    this.wakeWriters(false);
    this.onClose(this);
  }
}

class ConnectionClosed extends Error {}
