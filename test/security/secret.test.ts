import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { Secret, secretFromFile } from '../../src/security/secret.ts';
import { TestCertificates } from '../support/certificates.ts';

const VALUE = 's3cr3t-value-never-shown';

describe('a secret', () => {
  const files = new TestCertificates();
  afterAll(() => files.close());

  it('shows its source but never its value: in strings, JSON, inspection and logs', () => {
    const secret = new Secret(VALUE, 'KAFKA_SASL_PASSWORD');
    const holder = { user: 'alice', password: secret };
    expect(String(secret)).toBe('[redacted]');
    expect(`${secret}`).toBe('[redacted]');
    expect(JSON.stringify(holder)).toBe('{"user":"alice","password":"[redacted]"}');
    expect(inspect(holder, { depth: 5, showHidden: true })).not.toContain(VALUE);
    expect(inspect(secret)).toBe('Secret([redacted], from KAFKA_SASL_PASSWORD)');
    let logged = '';
    const logger = pino(
      {},
      new Writable({ write: (chunk, _e, done) => ((logged += String(chunk)), done()) }),
    );
    logger.info({ holder, secret }, 'connecting');
    expect(logged).toContain('"password":"[redacted]"');
    expect(logged).not.toContain(VALUE);
    expect(secret.reveal()).toBe(VALUE);
  });

  it('reads a mounted secret file without its trailing line break, and names the file, not the content, when it fails', () => {
    const path = files.file('password', `${VALUE}\n`);
    const secret = secretFromFile(path, '--kafka-sasl-password-file');
    expect(secret.reveal()).toBe(VALUE);
    expect(secret.source).toBe(`file ${path}`);
    expect(() => secretFromFile(files.file('empty', '\n'), 'KAFKA_SASL_PASSWORD_FILE')).toThrow(
      /KAFKA_SASL_PASSWORD_FILE: the secret file .*empty is empty/,
    );
    expect(() => secretFromFile(`${path}.missing`, 'KAFKA_SASL_PASSWORD_FILE')).toThrow(
      /KAFKA_SASL_PASSWORD_FILE: cannot read the secret file .*password\.missing/,
    );
  });
});
