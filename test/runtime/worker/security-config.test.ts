import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../../../src/runtime/worker/config.ts';
import { reportSecurity } from '../../../src/runtime/worker/security-report.ts';
import { helpTable, settingHelpRows } from '../../../src/runtime/worker/settings.ts';
import { TestCertificates } from '../../support/certificates.ts';

const PASSWORD = 'kafka-password-never-shown';
const CLIENT_SECRET = 'client-secret-never-shown';
const TOKENS = 'http-token-never-shown-0123456789 app';

describe('security settings', () => {
  const files = new TestCertificates();
  const cert = files.issue('worker', ['IP:127.0.0.1']);
  afterAll(() => files.close());
  const load = (env: Record<string, string>, flags: Record<string, string> = {}) =>
    loadWorkerConfig({ env, flags, isTerminal: false });

  it('connect in plaintext unless told otherwise, and derive the protocol from what is given', () => {
    expect(load({}).kafkaSecurity).toEqual({ protocol: 'plaintext' });
    const tls = load({ KAFKA_TLS_CA: files.caFile }).kafkaSecurity;
    expect(tls).toMatchObject({ protocol: 'ssl', tls: { caFile: files.caFile, verifyHostname: true } });
    const scram = load({
      KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: PASSWORD,
    }).kafkaSecurity;
    expect(scram.protocol).toBe('sasl_ssl');
    expect(scram.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'alice' });
    expect(scram.sasl?.mechanism !== 'oauthbearer' && scram.sasl?.password.reveal()).toBe(PASSWORD);
    const mtls = load(
      {},
      {
        'kafka-tls-cert': cert.certFile,
        'kafka-tls-key': cert.keyFile,
        'kafka-tls-verify-hostname': 'false',
      },
    );
    expect(mtls.kafkaSecurity).toMatchObject({
      protocol: 'ssl',
      tls: { certFile: cert.certFile, keyFile: cert.keyFile, verifyHostname: false },
    });
  });

  it('takes a secret from its environment variable or from a file, not both', () => {
    const file = files.file('kafka-password', `${PASSWORD}\n`);
    const base = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'bob' };
    const fromFile = load({ ...base, KAFKA_SASL_PASSWORD_FILE: file }).kafkaSecurity.sasl;
    expect(fromFile?.mechanism === 'plain' && fromFile.password.reveal()).toBe(PASSWORD);
    expect(fromFile?.mechanism === 'plain' && fromFile.password.source).toBe(`file ${file}`);
    const fromFlag = load(base, { 'kafka-sasl-password-file': file }).kafkaSecurity.sasl;
    expect(fromFlag?.mechanism === 'plain' && fromFlag.password.reveal()).toBe(PASSWORD);
    expect(() => load({ ...base, KAFKA_SASL_PASSWORD: 'x', KAFKA_SASL_PASSWORD_FILE: file })).toThrow(
      /set KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE, not both/,
    );
    expect(() => load({ ...base, KAFKA_SASL_PASSWORD_FILE: `${file}.missing` })).toThrow(
      /KAFKA_SASL_PASSWORD_FILE: cannot read the file .*kafka-password\.missing/,
    );
  });

  it('refuse settings that do not go together, naming the settings to change', () => {
    expect(() => load({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' })).toThrow(
      /SASL_SSL needs a SASL mechanism: set --kafka-sasl-mechanism/,
    );
    expect(() => load({ KAFKA_SECURITY_PROTOCOL: 'plaintext', KAFKA_TLS_CA: files.caFile })).toThrow(
      /Kafka TLS files are set .* but the security protocol is PLAINTEXT/,
    );
    expect(() => load({ KAFKA_SECURITY_PROTOCOL: 'ssl', KAFKA_SASL_MECHANISM: 'plain' })).toThrow(
      /a SASL mechanism \(PLAIN\) is set but the security protocol is SSL/,
    );
    expect(() => load({ KAFKA_SASL_MECHANISM: 'scram-sha-256', KAFKA_SASL_USERNAME: 'alice' })).toThrow(
      /SASL SCRAM-SHA-256 needs a user name .* and a password \(--kafka-sasl-password-file \/ KAFKA_SASL_PASSWORD \/ KAFKA_SASL_PASSWORD_FILE\)/,
    );
    expect(() => load({ KAFKA_TLS_CERT: cert.certFile })).toThrow(
      /needs both --kafka-tls-cert .* and --kafka-tls-key/,
    );
    expect(() => load({ KAFKA_SASL_MECHANISM: 'oauthbearer' })).toThrow(
      /OAUTHBEARER needs exactly one token source/,
    );
    expect(() =>
      load({ KAFKA_SASL_MECHANISM: 'oauthbearer', KAFKA_OAUTH_TOKEN_ENDPOINT: 'https://idp.example/token' }),
    ).toThrow(/needs a client id .* and a client secret/);
    expect(() => load({ TRIBUTARY_HTTP_TLS_CA: files.caFile })).toThrow(/needs HTTPS/);
    expect(() => load({ TRIBUTARY_HTTP_TOKENS: 'short' })).toThrow(
      /TRIBUTARY_HTTP_TOKENS, entry 1: a token must have at least 16 characters/,
    );
    expect(() => load({ SCHEMA_REGISTRY_USERNAME: 'u' })).toThrow(/basic auth needs both/);
  });

  it('never show a secret in a dump of the configuration', () => {
    const config = load({
      KAFKA_SASL_MECHANISM: 'oauthbearer',
      KAFKA_OAUTH_TOKEN_ENDPOINT: 'https://idp.example/oauth2/token',
      KAFKA_OAUTH_CLIENT_ID: 'worker',
      KAFKA_OAUTH_CLIENT_SECRET: CLIENT_SECRET,
      KAFKA_OAUTH_EXTENSIONS: 'logicalCluster=lkc-1,identityPoolId=pool-2',
      KAFKA_TLS_KEY_PASSWORD: PASSWORD,
      SCHEMA_REGISTRY_URL: 'https://registry.example',
      SCHEMA_REGISTRY_USERNAME: 'key',
      SCHEMA_REGISTRY_PASSWORD: PASSWORD,
      TRIBUTARY_HTTP_TOKENS: TOKENS,
      TRIBUTARY_HTTP_PEER_TOKEN: 'peer-token-never-shown-0123456789',
    });
    expect(config.kafkaSecurity.sasl).toMatchObject({
      mechanism: 'oauthbearer',
      extensions: { logicalCluster: 'lkc-1', identityPoolId: 'pool-2' },
    });
    for (const dump of [JSON.stringify(config), inspect(config, { depth: 10, showHidden: true })]) {
      for (const secret of [PASSWORD, CLIENT_SECRET, 'http-token-never-shown', 'peer-token-never-shown'])
        expect(dump).not.toContain(secret);
    }
    expect(JSON.stringify(config)).toContain(
      'the token endpoint https://idp.example/oauth2/token (client \\"worker\\")',
    );
  });

  it('are listed in --help with their environment variables, secrets by their file and value variables', () => {
    const help = helpTable(settingHelpRows());
    expect(help).toMatch(
      /--kafka-sasl-password-file <file>\s+KAFKA_SASL_PASSWORD_FILE\s+SASL password, from a file \(or the value in KAFKA_SASL_PASSWORD\)/,
    );
    for (const flag of [
      '--kafka-security-protocol',
      '--kafka-tls-ca',
      '--kafka-oauth-token-endpoint',
      '--http-tokens-file',
      '--schema-registry-token-file',
    ])
      expect(help).toContain(flag);
  });
});

describe('the security report at start', () => {
  const collect = () => {
    const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
    const at = (level: string) => (fields: Record<string, unknown>, message: string) =>
      void lines.push({ level, fields, message });
    return { lines, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
  };

  it('warns loudly about an endpoint on the network without credentials, and about passwords in the clear', () => {
    const { lines, logger } = collect();
    const config = loadWorkerConfig({
      flags: { http: '0.0.0.0:8080', brokers: 'kafka:9092' },
      env: {
        KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
        KAFKA_SASL_MECHANISM: 'PLAIN',
        KAFKA_SASL_USERNAME: 'app',
        KAFKA_SASL_PASSWORD: PASSWORD,
      },
      isTerminal: false,
    });
    reportSecurity(config, logger);
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.message);
    expect(warnings).toEqual([
      'WARNING: SASL PLAIN over SASL_PLAINTEXT sends the Kafka password in the clear: use SASL_SSL',
      expect.stringMatching(
        /^WARNING: the HTTP endpoint listens on 0\.0\.0\.0, beyond this machine, and asks for NO credentials/,
      ),
    ]);
    expect(lines.find((l) => l.message === 'Kafka connection security')?.fields.kafka).toBe(
      'SASL_PLAINTEXT, PLAIN, as SASL user "app"',
    );
    expect(JSON.stringify(lines)).not.toContain(PASSWORD);
  });

  it('stays quiet about an endpoint on this machine only', () => {
    const { lines, logger } = collect();
    reportSecurity(
      loadWorkerConfig({ flags: { http: '127.0.0.1:8080' }, env: {}, isTerminal: false }),
      logger,
    );
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
  });
});
