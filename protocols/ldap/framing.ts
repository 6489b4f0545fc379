/**
 * Framing: cuts the byte stream of a connection into complete LDAPMessages. Pull-based, so the
 * connection takes one message at a time and stops taking when its queue is full (the bound is
 * held per message, not per TCP chunk). An oversized message is refused from its header,
 * before its body is buffered.
 */
import { BerError, messageSize } from './ber.js';

/** A message larger than the configured limit (answered with adminLimitExceeded). */
export class OversizedMessage extends BerError {
  constructor(readonly size: number, readonly limit: number) {
    super(`message of ${size} bytes exceeds the limit of ${limit}`);
  }
}

export class MessageFramer {
  /** Bytes received and not yet handed out; `start` is where the next message begins. */
  private buf: Buffer = Buffer.alloc(0);
  private start = 0;

  constructor(private readonly maxMessageBytes: number) {}

  /** Appends bytes received from the client. */
  push(chunk: Buffer): void {
    if (this.start >= this.buf.length) {
      this.buf = chunk;
      this.start = 0;
    } else {
      this.buf = Buffer.concat([this.buf.subarray(this.start), chunk]);
      this.start = 0;
    }
  }

  /**
   * The next complete message (a view of the received bytes), or null when more bytes are needed.
   * @throws BerError when the header is not an LDAPMessage, OversizedMessage past the limit
   */
  next(): Buffer | null {
    const rest = this.buf.subarray(this.start);
    const size = messageSize(rest);
    if (size > this.maxMessageBytes) throw new OversizedMessage(size, this.maxMessageBytes);
    if (size < 0 || rest.length < size) {
      // Keep only the partial message, copied, so it does not pin the socket's whole chunk.
      if (this.start > 0 && rest.length > 0) { this.buf = Buffer.from(rest); this.start = 0; }
      return null;
    }
    this.start += size;
    return rest.subarray(0, size);
  }

  /** Bytes received but not yet handed out as messages. */
  get buffered(): number {
    return this.buf.length - this.start;
  }
}
