/**
 * One client connection: its socket (idle timeout, backpressure towards clients that do not
 * read, StartTLS: RFC 4511 §4.14), its bound identity, and a sequential operation queue.
 * Bytes become messages in framing.ts and messages in operations in dispatch.ts; Abandon and
 * Unbind act here, at once. The queue bound holds per message: once MAX_QUEUED operations
 * wait, the connection takes no further message from its framer and stops reading the socket.
 */
import type { Socket } from 'node:net';
import { TLSSocket, type SecureContext } from 'node:tls';
import { ldapQueueDepth } from '../metrics.js';
import { BerError } from './ber.js';
import { refreshIdentity } from './bind.js';
import { perform, prepare, type Queued } from './dispatch.js';
import { LdapError } from './errors.js';
import { MessageFramer, OversizedMessage } from './framing.js';
import { decodeAbandon, decodeEnvelope, OP, UnknownOperation, type Envelope } from './messages.js';
import { PageStates } from './paged-results.js';
import { RESULT } from './result-codes.js';
import { encodeNoticeOfDisconnection } from './responses.js';
import { ConnectionClosed, type Identity, type LdapContext, type Session } from './session.js';

/** Operations waiting beyond the one running; at this many the connection stops reading. */
export const MAX_QUEUED = 32;
/** Bytes waiting in the socket's buffer before the writer waits for the client to read. */
const HIGH_WATER = 256 * 1024;

export class LdapConnection implements Session {
  readonly pages = new PageStates();
  readonly clientIp: string | null;
  private socket: Socket;
  private readonly framer: MessageFramer;
  private readonly queue: Queued[] = [];
  private running = false;
  private closed = false;
  private tlsAfterReply = false;
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
    this.framer = new MessageFramer(ctx.config.ldap.maxMessageBytes);
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

  verifiedAt: string | null = null;

  setIdentity(identity: Identity | null): void {
    this.bound = identity;
    this.verifiedAt = null;
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

  startTlsAfterReply(): void {
    if (!this.secureContext) throw new LdapError(RESULT.protocolError, 'StartTLS is not available: no certificate is configured');
    if (this.isSecure) throw new LdapError(RESULT.operationsError, 'TLS is already established');
    if (this.queue.length > 0 || this.framer.buffered > 0) throw new LdapError(RESULT.operationsError, 'StartTLS with operations outstanding');
    this.tlsAfterReply = true;
  }

  private wakeWriters(ok: boolean): void {
    const w = this.drainWaiters;
    this.drainWaiters = [];
    for (const f of w) f(ok);
  }

  // ---- receiving -------------------------------------------------------------------------

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    this.framer.push(chunk);
    this.take();
    void this.drain();
  }

  /** Takes messages from the framer while the queue has room; reads the socket only then. */
  private take(): void {
    while (!this.closed && this.queue.length < MAX_QUEUED) {
      let raw: Buffer | null;
      let env: Envelope;
      try {
        raw = this.framer.next();
        if (!raw) break;
        env = decodeEnvelope(raw);
      } catch (e) {
        return this.refuse(e);
      }
      if (!this.accept(env)) return;
    }
    if (this.closed || this.tlsAfterReply) return;
    if (this.queue.length >= MAX_QUEUED) this.socket.pause();
    else if (this.socket.isPaused()) this.socket.resume();
  }

  /** Handles abandon and unbind at once; queues the rest. False when the connection ended. */
  private accept(env: Envelope): boolean {
    try {
      if (env.tag === OP.UNBIND_REQUEST) {
        this.close();
        return false;
      }
      if (env.tag === OP.ABANDON_REQUEST) {
        const target = decodeAbandon(env.body);
        if (target === this.current) this.abandoned.add(target);
        const i = this.queue.findIndex((q) => q.msg.id === target);
        if (i >= 0) this.queue.splice(i, 1);
        return true;
      }
      this.queue.push(prepare(env));
      ldapQueueDepth.observe(this.queue.length);
      return true;
    } catch (e) {
      this.refuse(e);
      return false;
    }
  }

  /** A message we cannot frame or decode ends the connection with a Notice of Disconnection. */
  private refuse(e: unknown): void {
    if (e instanceof OversizedMessage) return this.close(RESULT.adminLimitExceeded, e.message);
    if (e instanceof UnknownOperation) return this.close(RESULT.protocolError, e.message);
    this.close(RESULT.protocolError, e instanceof BerError ? `malformed message: ${e.message}` : 'malformed message');
  }

  // ---- running ---------------------------------------------------------------------------

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (!this.closed && this.queue.length > 0) {
        const q = this.queue.shift()!;
        this.take(); // one out, one in: the queue stays full while the client keeps sending
        this.current = q.msg.id;
        // An operation's responses (entries and result) leave in one write where they fit.
        const socket = this.socket;
        socket.cork();
        const reply = await perform(this, q, this.ctx.log);
        this.current = -1;
        this.abandoned.delete(q.msg.id);
        if (reply && !this.closed) socket.write(reply);
        socket.uncork();
        if (this.tlsAfterReply && !this.closed) this.upgrade();
      }
    } finally {
      this.running = false;
    }
  }

  /** Wraps the socket in TLS; the next bytes from the client are its ClientHello. */
  private upgrade(): void {
    this.tlsAfterReply = false;
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
