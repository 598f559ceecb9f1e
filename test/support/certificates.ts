import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as files (what the settings take) and as PEM text. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: string;
  readonly key: string;
}

/**
 * A throw-away certificate authority made with openssl for one test file: a self-signed CA that issues
 * server and client certificates (EC P-256 keys, valid for a day). `close()` deletes the files.
 */
export class TestCertificates {
  readonly directory = mkdtempSync(join(tmpdir(), 'tributary-certs-'));
  readonly caFile: string;
  readonly ca: string;
  private readonly caKeyFile: string;
  private serial = 1;

  constructor(name = 'Tributary test CA') {
    this.caKeyFile = this.newKey('ca');
    this.caFile = join(this.directory, 'ca.pem');
    openssl([
      'req',
      '-x509',
      '-new',
      '-key',
      this.caKeyFile,
      '-subj',
      `/CN=${name}`,
      '-days',
      '1',
      '-sha256',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
      '-out',
      this.caFile,
    ]);
    this.ca = readFileSync(this.caFile, 'utf8');
  }

  /**
   * A certificate for `commonName`, usable by a server at the given names (`IP:127.0.0.1`,
   * `DNS:localhost`) and as a client certificate.
   */
  issue(commonName: string, altNames: readonly string[] = []): IssuedCertificate {
    const base = `${commonName.replace(/[^\w.-]/g, '_')}-${this.serial++}`;
    const keyFile = this.newKey(base);
    const csr = join(this.directory, `${base}.csr`);
    const extensions = join(this.directory, `${base}.ext`);
    const certFile = join(this.directory, `${base}.crt`);
    openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${commonName}`, '-out', csr]);
    writeFileSync(
      extensions,
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage=serverAuth,clientAuth',
        ...(altNames.length > 0 ? [`subjectAltName=${altNames.join(',')}`] : []),
      ].join('\n'),
    );
    openssl([
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      this.caFile,
      '-CAkey',
      this.caKeyFile,
      '-set_serial',
      String(this.serial),
      '-days',
      '1',
      '-sha256',
      '-extfile',
      extensions,
      '-out',
      certFile,
    ]);
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  }

  /** Writes a file beside the certificates (a token list, a password) and returns its path. */
  file(name: string, content: string): string {
    const path = join(this.directory, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  close(): void {
    rmSync(this.directory, { recursive: true, force: true });
  }

  private newKey(name: string): string {
    const file = join(this.directory, `${name}.key`);
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
    return file;
  }
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}
