/**
 * HTTPS for the worker's endpoint, and for the requests workers forward to each other: the
 * certificate and key it serves, and the CA that other workers' and clients' certificates chain to.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server } from 'node:http';
import { Agent as HttpsAgent, createServer as createHttpsServer } from 'node:https';
import { ConfigError, errorMessage } from '../errors.ts';

export interface HttpTls {
  readonly certFile: string;
  readonly keyFile: string;
  /**
   * CA of the other workers' certificates (checked when forwarding) and of clients' certificates
   * (asked for, and checked, when set: mTLS). Node's trusted CAs check peers when absent.
   */
  readonly caFile?: string;
}

interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
  readonly ca?: string;
}

function readMaterial(tls: HttpTls): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (cause) {
      throw new ConfigError(`cannot read the HTTP TLS ${what} ${path}: ${errorMessage(cause)}`, { cause });
    }
  };
  return {
    cert: read(tls.certFile, 'certificate'),
    key: read(tls.keyFile, 'key'),
    ca: tls.caFile === undefined ? undefined : read(tls.caFile, 'CA'),
  };
}

/**
 * An HTTP server, or HTTPS with `tls`. With a CA, clients are asked for a certificate but not refused
 * without one (a token may do instead); `authorize` decides per request.
 */
export function createServer(handler: RequestListener, tls: HttpTls | undefined): Server {
  if (!tls) return createHttpServer(handler);
  const { cert, key, ca } = readMaterial(tls);
  return createHttpsServer(
    { cert, key, ...(ca ? { ca, requestCert: true, rejectUnauthorized: false } : {}) },
    handler,
  );
}

/**
 * The agent that forwards requests to other workers over HTTPS: it checks their certificates against
 * the CA and shows this worker's own certificate, for endpoints that ask for one (mTLS).
 */
export function peerAgent(tls: HttpTls): HttpsAgent {
  const { cert, key, ca } = readMaterial(tls);
  return new HttpsAgent({
    keepAlive: true,
    maxSockets: 64,
    maxFreeSockets: 16,
    cert,
    key,
    ...(ca ? { ca } : {}),
  });
}
