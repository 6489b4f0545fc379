/**
 * The LDAP v3 listener (issue 5): plain LDAP with StartTLS, and LDAPS when a certificate is
 * configured. The protocol runs on our own BER codec (ber.ts, messages.ts, responses.ts)
 * rather than ldapjs's server: ldapjs has no StartTLS, no message size limit and no
 * backpressure, and its per-message objects cap throughput at about half of slapd before any
 * database work (DESIGN.md "ldapjs's ceiling").
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext } from 'node:tls';
import type { Logger } from 'pino';
import type { Services } from '../../src/services/index.js';
import { LdapConnection } from './connection.js';
import { localConnectionGate, type Admission, type ConnectionGate } from '../../src/services/connection-limits.js';
import { Dit } from './dit.js';
import { RESULT } from './result-codes.js';
import { encodeNoticeOfDisconnection } from './responses.js';
import { SearchAnswers } from './search-answers.js';
import type { LdapContext } from './session.js';

export interface LdapListener {
  readonly port: number;
  /** The LDAPS port, or null when no certificate is configured. */
  readonly ldapsPort: number | null;
  close(): Promise<void>;
}

/** Starts the listener(s). @throws when a port is taken or the certificate cannot be read */
export async function startLdapServer(services: Services, log: Logger, gate: ConnectionGate | null = null): Promise<LdapListener> {
  const { config } = services;
  let secureContext: SecureContext | null = null;
  let tlsFiles: { cert: Buffer; key: Buffer } | null = null;
  if (config.tls.cert && config.tls.key) {
    tlsFiles = { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) };
    secureContext = createSecureContext(tlsFiles);
  }
  const ctx: LdapContext = {
    services, config, log, dit: new Dit(config.ldap.baseDn),
    verifier: services.directory.bindVerifier((err, dropped) => log.warn({ err, dropped }, 'ldap: could not record bind events yet')),
    tls: secureContext !== null,
    answers: new SearchAnswers(),
  };
  const connections = new Set<LdapConnection>();
  const limits = gate ?? localConnectionGate({ total: config.ldap.maxConnections, perAddress: config.ldap.maxConnectionsPerAddress });
  const accept = async (socket: Socket, secure: boolean) => {
    const client = socket.remoteAddress ?? null;
    // Nothing is read from the socket until it is admitted (with workers the primary decides).
    socket.pause();
    socket.on('error', () => undefined);
    let admitted: Admission;
    try {
      admitted = await limits.admit(client);
    } catch (err) {
      log.error({ err }, 'ldap: could not admit a connection');
      socket.destroy();
      return;
    }
    if (!admitted.ok) {
      log.warn({ client, reason: admitted.reason }, 'ldap: connection refused');
      refuse(socket, admitted.reason);
      return;
    }
    if (socket.destroyed) {
      limits.release(admitted.key); // gone while it waited
      return;
    }
    try {
      connections.add(new LdapConnection(ctx, socket, secure, secureContext, (c) => {
        connections.delete(c);
        limits.release(admitted.key);
      }));
      socket.resume();
    } catch (err) {
      limits.release(admitted.key);
      log.error({ err }, 'ldap: could not accept a connection');
      socket.destroy();
    }
  };
  const plain = createServer((s) => void accept(s, false));
  const servers: Server[] = [plain];
  const port = await listen(plain, config.ldap.port, config.host, 'DIRGATE_LDAP_PORT');
  let ldapsPort: number | null = null;
  if (tlsFiles) {
    const tlsServer = createTlsServer({ ...tlsFiles }, (s) => void accept(s, true));
    tlsServer.on('tlsClientError', (err) => log.debug({ err }, 'ldaps: handshake failed'));
    try {
      ldapsPort = await listen(tlsServer, config.ldap.ldapsPort, config.host, 'DIRGATE_LDAPS_PORT');
    } catch (e) {
      plain.close();
      throw e;
    }
    servers.push(tlsServer);
  }
  for (const s of servers) s.on('error', (err) => log.error({ err }, 'ldap: listener error'));
  return {
    port,
    ldapsPort,
    async close() {
      const closing = servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const c of [...connections]) c.close();
      await Promise.all(closing);
      await ctx.verifier.close(); // writes the pending bind events
      // prepared.ts's read connection closes with the database (other doors read through it too).
    },
  };
}

/** Answers a connection over the cap with a Notice of Disconnection (busy, RFC 4511 §4.4.1) and closes it. */
function refuse(socket: Socket, reason: string): void {
  socket.on('error', () => undefined);
  socket.resume(); // whatever it sent is dropped; its close is seen
  socket.end(encodeNoticeOfDisconnection(RESULT.busy, reason));
  setTimeout(() => socket.destroy(), 1000).unref();
}

function listen(server: Server, port: number, host: string, variable: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException) => {
      if (e.code === 'EADDRINUSE') reject(Object.assign(new Error(`ldap: port ${port} on ${host} is already in use (${variable})`), { code: e.code, port }));
      else reject(e);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.removeListener('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}
