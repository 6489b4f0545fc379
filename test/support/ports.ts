import { once } from 'node:events';
import { createServer } from 'node:net';

/** A loopback port free at the moment of asking (for child processes that must be told one). */
export async function freePort(): Promise<number> {
  const s = createServer();
  s.listen(0, '127.0.0.1');
  await once(s, 'listening');
  const port = (s.address() as { port: number }).port;
  s.close();
  return port;
}
