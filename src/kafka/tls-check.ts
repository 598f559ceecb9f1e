import { isIP } from 'node:net';
import {
  checkServerIdentity,
  connect,
  createSecureContext,
  type PeerCertificate,
  type SecureContext,
} from 'node:tls';
import { errorMessage } from '../errors.ts';
import type { TlsMaterial } from './connection.ts';
import { KafkaTlsError } from './security-errors.ts';

/** Socket errors that mean "this broker cannot be reached now": the client's own retries deal with those. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
]);

const CHECK_TIMEOUT_MS = 10_000;

/**
 * Sets up one TLS connection to the first bootstrap broker that answers, with the settings the
 * clients will use, and sends it an ApiVersions request. A certificate problem (an unknown CA, a
 * name the certificate does not hold, a client certificate the broker refuses, a port that does not
 * speak TLS) fails at once with a KafkaTlsError saying what to change, instead of after a Kafka
 * client's minute of retries. Brokers that cannot be reached are left to the client.
 */
export async function checkTls(brokers: readonly string[], tls: TlsMaterial): Promise<void> {
  let context: SecureContext;
  try {
    context = createSecureContext({ ca: tls.ca, cert: tls.cert, key: tls.key, passphrase: tls.passphrase });
  } catch (cause) {
    throw new KafkaTlsError(
      `the Kafka TLS files cannot be used (${errorMessage(cause)}): check --kafka-tls-ca, --kafka-tls-cert, --kafka-tls-key and the key's passphrase`,
      { cause },
    );
  }
  for (const broker of brokers) {
    const reached = await tryBroker(broker, context, tls.verifyHostname);
    if (reached) return;
  }
}

/** True when the broker answered over TLS; false when it could not be reached; throws on a TLS problem. */
function tryBroker(broker: string, secureContext: SecureContext, verifyHostname: boolean): Promise<boolean> {
  const separator = broker.lastIndexOf(':');
  const host = broker.slice(0, separator);
  const port = Number(broker.slice(separator + 1));
  return new Promise<boolean>((resolve, reject) => {
    let settled = false;
    let connected = false;
    let handshaken = false;
    /** The names the broker's certificate holds, for a hostname mismatch. */
    let names: string | undefined;
    const finish = (outcome: boolean | Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const socket = connect({
      host,
      port,
      ...(isIP(host) ? {} : { servername: host }),
      secureContext,
      rejectUnauthorized: true,
      checkServerIdentity: (hostname: string, certificate: PeerCertificate) => {
        names = certificate.subjectaltname;
        return verifyHostname ? checkServerIdentity(hostname, certificate) : undefined;
      },
    });
    const timer = setTimeout(() => finish(false), CHECK_TIMEOUT_MS);
    socket.once('connect', () => (connected = true));
    socket.once('secureConnect', () => {
      handshaken = true;
      socket.write(apiVersionsRequest());
    });
    // Any answer means the handshake, the client certificate included, was accepted.
    socket.once('data', () => finish(true));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (connected && !handshaken && error.code === 'ECONNRESET') finish(notTls(broker, error));
      else if (error.code && UNREACHABLE.has(error.code)) finish(false);
      else finish(new KafkaTlsError(explain(broker, error, names), { cause: error }));
    });
    // A Kafka listener without TLS reads the TLS greeting as a request too large and hangs up.
    socket.once('close', () => finish(connected && !handshaken ? notTls(broker) : false));
  });
}

function notTls(broker: string, cause?: unknown): KafkaTlsError {
  return new KafkaTlsError(
    `broker ${broker} does not speak TLS on this port (it hung up during the TLS handshake): is it a PLAINTEXT or SASL_PLAINTEXT listener? Check --kafka-security-protocol and the port`,
    { cause },
  );
}

function explain(broker: string, error: NodeJS.ErrnoException, names: string | undefined): string {
  const code = error.code ?? '';
  const reason = errorMessage(error).split('\n')[0]!;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return `the certificate of broker ${broker} does not name the host connected to${names ? ` (it names ${names})` : ''}: connect with a name the certificate holds (the broker's advertised listeners must too), or, not for production, turn hostname verification off (--kafka-tls-verify-hostname false)`;
  if (/ALERT_(BAD_CERTIFICATE|CERTIFICATE_REQUIRED|UNKNOWN_CA|CERTIFICATE_UNKNOWN|ACCESS_DENIED)/.test(code))
    return `broker ${broker} refused this client's certificate (${reason}): the listener requires a client certificate its CA trusts; set --kafka-tls-cert and --kafka-tls-key`;
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/.test(reason))
    return `broker ${broker} does not speak TLS on this port (${reason}): is it a PLAINTEXT or SASL_PLAINTEXT listener? Check --kafka-security-protocol and the port`;
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED/.test(code))
    return `the certificate of broker ${broker} is not trusted (${reason}): give the CA that signed it with --kafka-tls-ca (KAFKA_TLS_CA)`;
  return `TLS to broker ${broker} failed: ${reason}`;
}

/** ApiVersions v0: the one request every Kafka listener answers before authentication. */
function apiVersionsRequest(): Buffer {
  const clientId = Buffer.from('tributary-tls-check');
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  body.writeInt16BE(18, 0); // ApiVersions
  body.writeInt16BE(0, 2); // version 0
  body.writeInt32BE(1, 4); // correlation id
  body.writeInt16BE(clientId.length, 8);
  clientId.copy(body, 10);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}
