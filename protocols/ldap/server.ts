import ldap from 'ldapjs';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';

export interface LdapListener {
  readonly port: number;
  close(): Promise<void>;
}

/** The LDAP listener (minimal: simple bind only, until the LDAP issue lands). */
export async function startLdapServer(services: Services, log: Logger): Promise<LdapListener> {
  const { config } = services;
  const server = ldap.createServer();
  server.on('error', (err: Error) => log.error({ err }, 'ldap server error'));
  // See DESIGN.md "ldapjs and Nagle".
  (server as unknown as { server: import('node:net').Server }).server.on('connection', (s) => s.setNoDelay(true));
  const suffix = `ou=users,${config.ldap.baseDn}`.toLowerCase();
  server.bind('', async (req: any, res: any, next: (e?: unknown) => void) => { // eslint-disable-line @typescript-eslint/no-explicit-any
    const dn = req.dn.toString().toLowerCase().replace(/\s*,\s*/g, ',');
    const password = (req as unknown as { credentials: string }).credentials;
    if (dn === '' && !password) { res.end(); return next(); }
    const m = /^(?:cn|uid)=([^,]+),(.*)$/.exec(dn);
    if (!m || m[2] !== suffix) return next(new ldap.InvalidCredentialsError('invalid credentials'));
    try {
      const r = await services.auth.checkPassword(m[1]!, password, { clientIp: req.connection.remoteAddress ?? null }, 'ldap_bind');
      if (!r.ok) return next(new ldap.InvalidCredentialsError('invalid credentials'));
      res.end();
      return next();
    } catch (err) {
      log.error({ err }, 'ldap bind failed');
      return next(new ldap.UnavailableError('the directory is unavailable'));
    }
  });
  await new Promise<void>((resolve, reject) => {
    (server as unknown as { server: import('node:net').Server }).server.once('error', reject);
    server.listen(config.ldap.port, config.host, () => resolve());
  });
  const address = (server as unknown as { server: import('node:net').Server }).server.address();
  const port = typeof address === 'object' && address ? address.port : config.ldap.port;
  return {
    port,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); }),
  };
}
