import { createTransport } from 'nodemailer';
import type { Config } from '../config.js';
import { BadGateway, InvalidValue } from '../domain/errors.js';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** What the SMTP server said, for the audit trail and a 502. */
export interface MailResult {
  readonly messageId: string;
  readonly response: string;
}

/** Sends email over the SMTP server named by `email.smtp_url`; off when it is empty. */
export class MailService {
  constructor(private readonly config: Config) {}

  get enabled(): boolean {
    return this.config.email.smtpUrl.trim() !== '';
  }

  /**
   * Sends one message (plain text and HTML alternatives).
   * @throws InvalidValue when email is not configured.
   * @throws BadGateway carrying the SMTP server's answer (or the connection problem).
   */
  async send(message: MailMessage): Promise<MailResult> {
    if (!this.enabled) throw new InvalidValue('email is not configured on this server (set DIRGATE_SMTP_URL)');
    // One transport per message: sends are rare, and a fresh connection never reuses a broken one.
    const transport = createTransport({
      url: this.config.email.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    try {
      const info = await transport.sendMail({ from: this.config.email.from, ...message });
      return { messageId: String(info.messageId ?? ''), response: String(info.response ?? '') };
    } catch (e) {
      throw new BadGateway(`the mail server refused the message: ${smtpAnswer(e)}`);
    } finally {
      transport.close();
    }
  }
}

/** The SMTP reply (`550 5.1.1 …`) when there was one, else the connection problem — never credentials. */
export function smtpAnswer(e: unknown): string {
  const err = e as { response?: string; code?: string; message?: string };
  if (err?.response) return String(err.response).trim();
  const msg = String(err?.message ?? e).replace(/\/\/[^@/\s]*@/g, '//');
  return err?.code ? `${err.code}: ${msg}` : msg;
}
