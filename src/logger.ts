import pino, { type Logger } from 'pino';

/** JSON logs, or readable lines when stdout is a terminal. Secrets are redacted by path. */
export function createLogger(level: string): Logger {
  const redact = {
    paths: ['password', '*.password', 'token', '*.token', 'req.headers.authorization', 'headers.authorization'],
    censor: '[redacted]',
  };
  if (process.stdout.isTTY) {
    return pino({ level, redact, transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:standard' } } });
  }
  return pino({ level, redact });
}

export type { Logger };
