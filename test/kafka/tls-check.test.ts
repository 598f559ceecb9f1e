import { createServer as createTcpServer, type AddressInfo, type Server } from 'node:net';
import { createServer as createTlsServer, type TlsOptions } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { KafkaTlsError } from '../../src/kafka/security-errors.ts';
import { checkTls } from '../../src/kafka/tls-check.ts';
import { TestCertificates } from '../support/certificates.ts';
import { freePort } from '../query/harness.ts';

/** A stand-in for a broker's TLS listener: it answers whatever it is sent with a few bytes. */
async function listener(options: TlsOptions | 'plaintext'): Promise<{ address: string; server: Server }> {
  const server =
    options === 'plaintext'
      ? createTcpServer((socket) => socket.on('data', () => socket.end('nope')))
      : createTlsServer(options, (socket) => socket.on('data', () => socket.write(Buffer.alloc(8))));
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('the TLS check before the first Kafka connection', () => {
  const certs = new TestCertificates();
  const broker = certs.issue('broker', ['IP:127.0.0.1']);
  const client = certs.issue('client');
  const servers: Server[] = [];
  const start = async (options: TlsOptions | 'plaintext') => {
    const started = await listener(options);
    servers.push(started.server);
    return started.address;
  };
  afterAll(() => {
    for (const server of servers) server.close();
    certs.close();
  });

  it('passes with the CA that signed the broker and a name its certificate holds', async () => {
    const address = await start({ cert: broker.cert, key: broker.key });
    await expect(checkTls([address], { ca: certs.ca, verifyHostname: true })).resolves.toBeUndefined();
  });

  it('fails at once, saying what to set, for an untrusted certificate or a name it does not hold', async () => {
    const address = await start({ cert: broker.cert, key: broker.key });
    const untrusted = await checkTls([address], { verifyHostname: true }).catch((e: Error) => e);
    expect(untrusted).toBeInstanceOf(KafkaTlsError);
    expect((untrusted as Error).message).toMatch(
      new RegExp(
        `^the certificate of broker ${address} is not trusted \\(.*\\): give the CA that signed it with --kafka-tls-ca`,
      ),
    );
    const byName = address.replace('127.0.0.1', 'localhost');
    const mismatch = await checkTls([byName], { ca: certs.ca, verifyHostname: true }).catch((e: Error) => e);
    expect((mismatch as Error).message).toMatch(
      new RegExp(
        `^the certificate of broker ${byName} does not name the host connected to \\(it names IP Address:127\\.0\\.0\\.1\\)`,
      ),
    );
    await expect(checkTls([byName], { ca: certs.ca, verifyHostname: false })).resolves.toBeUndefined();
  });

  it('says when the broker wants a client certificate, and passes with one from its CA', async () => {
    const address = await start({
      cert: broker.cert,
      key: broker.key,
      ca: certs.ca,
      requestCert: true,
      rejectUnauthorized: true,
    });
    const refused = await checkTls([address], { ca: certs.ca, verifyHostname: true }).catch((e: Error) => e);
    expect((refused as Error).message).toMatch(
      new RegExp(
        `^broker ${address} refused this client's certificate .*set --kafka-tls-cert and --kafka-tls-key`,
      ),
    );
    await expect(
      checkTls([address], { ca: certs.ca, cert: client.cert, key: client.key, verifyHostname: true }),
    ).resolves.toBeUndefined();
  });

  it('says when the port does not speak TLS, and leaves unreachable brokers to the client', async () => {
    const plaintext = await start('plaintext');
    const error = await checkTls([plaintext], { ca: certs.ca, verifyHostname: true }).catch((e: Error) => e);
    expect((error as Error).message).toMatch(/does not speak TLS on this port .*--kafka-security-protocol/);
    await expect(
      checkTls([`127.0.0.1:${await freePort()}`], { ca: certs.ca, verifyHostname: true }),
    ).resolves.toBeUndefined();
  });

  it('refuses TLS files it cannot use before connecting anywhere', async () => {
    const error = await checkTls(['127.0.0.1:1'], {
      ca: certs.ca,
      cert: client.cert,
      key: 'not a key',
      verifyHostname: true,
    }).catch((e: Error) => e);
    expect(error).toBeInstanceOf(KafkaTlsError);
    expect((error as Error).message).toMatch(/^the Kafka TLS files cannot be used/);
  });
});
