/**
 * Reads the security settings (security-settings.ts) into the descriptions the rest of the worker
 * uses: a client-independent Kafka connection security, the schema registry's credentials, and the
 * HTTP endpoint's TLS and access policy. Settings that make no sense together are refused here, with
 * the names of the settings to change.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, errorMessage } from '../../errors.ts';
import { AccessList, SCOPES, type Scope } from '../../http/access.ts';
import type { HttpSecurity } from '../../http/security.ts';
import type { KafkaSecurity, KafkaSasl } from '../../kafka/connection.ts';
import type { RegistrySecurity } from '../../serde/registry-connection.ts';
import { secretFromFile, type Secret } from '../../security/secret.ts';
import { TokenProvider } from '../../security/token-provider.ts';
import { SECURITY_SETTINGS as S } from './security-settings.ts';
import type { Setting } from './settings.ts';

/** A secret as given: its value (from its environment variable), or the file holding it. */
export type SecretInput =
  | { readonly kind: 'value'; readonly secret: Secret }
  | { readonly kind: 'file'; readonly path: string; readonly where: string };

export interface SettingReader {
  read<T>(setting: Setting<T>): T;
  secret(setting: Setting<string | undefined>): SecretInput | undefined;
}

const secretOf = (input: SecretInput | undefined): Secret | undefined =>
  input === undefined
    ? undefined
    : input.kind === 'value'
      ? input.secret
      : secretFromFile(input.path, input.where);

const names = (setting: Setting<unknown>) =>
  [`--${setting.flag}`, setting.valueEnv, setting.env].filter(Boolean).join(' / ');

export function readKafkaSecurity(r: SettingReader): KafkaSecurity {
  const caFile = r.read(S.kafkaTlsCa);
  const certFile = r.read(S.kafkaTlsCert);
  const keyFile = r.read(S.kafkaTlsKey);
  const keyPassword = secretOf(r.secret(S.kafkaTlsKeyPassword));
  const mechanism = r.read(S.kafkaSaslMechanism);
  const tlsGiven = caFile !== undefined || certFile !== undefined || keyFile !== undefined;
  const protocol =
    r.read(S.kafkaSecurityProtocol) ?? (mechanism ? 'sasl_ssl' : tlsGiven ? 'ssl' : 'plaintext');
  const usesTls = protocol === 'ssl' || protocol === 'sasl_ssl';
  const usesSasl = protocol === 'sasl_plaintext' || protocol === 'sasl_ssl';

  if (!usesTls && tlsGiven)
    throw new ConfigError(
      `Kafka TLS files are set (${names(S.kafkaTlsCa)}, ...) but the security protocol is ${protocol.toUpperCase()}: use SSL or SASL_SSL`,
    );
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError(
      `a Kafka client certificate needs both ${names(S.kafkaTlsCert)} and ${names(S.kafkaTlsKey)}`,
    );
  if (usesSasl && !mechanism)
    throw new ConfigError(
      `the security protocol ${protocol.toUpperCase()} needs a SASL mechanism: set ${names(S.kafkaSaslMechanism)}`,
    );
  if (!usesSasl && mechanism)
    throw new ConfigError(
      `a SASL mechanism (${mechanism.toUpperCase()}) is set but the security protocol is ${protocol.toUpperCase()}: use SASL_SSL (or SASL_PLAINTEXT)`,
    );

  return {
    protocol,
    ...(usesTls
      ? { tls: { caFile, certFile, keyFile, keyPassword, verifyHostname: r.read(S.kafkaTlsVerifyHostname) } }
      : {}),
    ...(usesSasl && mechanism ? { sasl: readSasl(r, mechanism) } : {}),
  };
}

function readSasl(r: SettingReader, mechanism: KafkaSasl['mechanism']): KafkaSasl {
  if (mechanism !== 'oauthbearer') {
    const username = r.read(S.kafkaSaslUsername);
    const password = secretOf(r.secret(S.kafkaSaslPassword));
    if (!username || !password)
      throw new ConfigError(
        `SASL ${mechanism.toUpperCase()} needs a user name (${names(S.kafkaSaslUsername)}) and a password (${names(S.kafkaSaslPassword)})`,
      );
    return { mechanism, username, password };
  }
  const file = r.read(S.kafkaOauthTokenFile);
  const command = r.read(S.kafkaOauthTokenCommand);
  const endpoint = r.read(S.kafkaOauthTokenEndpoint);
  const given = [file, command, endpoint].filter((s) => s !== undefined).length;
  if (given !== 1)
    throw new ConfigError(
      `SASL OAUTHBEARER needs exactly one token source: ${names(S.kafkaOauthTokenFile)}, ${names(S.kafkaOauthTokenCommand)} or ${names(S.kafkaOauthTokenEndpoint)} (${given} given)`,
    );
  let tokens: TokenProvider;
  if (file !== undefined) tokens = new TokenProvider({ kind: 'file', path: file });
  else if (command !== undefined) tokens = new TokenProvider({ kind: 'command', command });
  else {
    const clientId = r.read(S.kafkaOauthClientId);
    const clientSecret = secretOf(r.secret(S.kafkaOauthClientSecret));
    if (!clientId || !clientSecret)
      throw new ConfigError(
        `the OAuth token endpoint needs a client id (${names(S.kafkaOauthClientId)}) and a client secret (${names(S.kafkaOauthClientSecret)})`,
      );
    tokens = new TokenProvider({
      kind: 'client-credentials',
      endpoint: endpoint!,
      clientId,
      clientSecret,
      scope: r.read(S.kafkaOauthScope),
    });
  }
  return { mechanism, tokens, extensions: r.read(S.kafkaOauthExtensions) };
}

export function readRegistrySecurity(r: SettingReader): RegistrySecurity {
  const username = r.read(S.schemaRegistryUsername);
  const password = secretOf(r.secret(S.schemaRegistryPassword));
  const token = r.secret(S.schemaRegistryToken);
  if ((username === undefined) !== (password === undefined))
    throw new ConfigError(
      `schema registry basic auth needs both ${names(S.schemaRegistryUsername)} and ${names(S.schemaRegistryPassword)}`,
    );
  if (username !== undefined && token !== undefined)
    throw new ConfigError(
      'give the schema registry either basic auth (a user and password) or a bearer token, not both',
    );
  return {
    ...(username !== undefined && password ? { basic: { username, password } } : {}),
    ...(token
      ? {
          token: new TokenProvider(
            token.kind === 'value'
              ? { kind: 'static', token: token.secret }
              : { kind: 'file', path: token.path },
          ),
        }
      : {}),
    caFile: r.read(S.schemaRegistryTlsCa),
  };
}

export function readHttpSecurity(r: SettingReader): HttpSecurity {
  const certFile = r.read(S.httpTlsCert);
  const keyFile = r.read(S.httpTlsKey);
  const caFile = r.read(S.httpTlsCa);
  if ((certFile === undefined) !== (keyFile === undefined))
    throw new ConfigError(`HTTPS needs both ${names(S.httpTlsCert)} and ${names(S.httpTlsKey)}`);
  if (caFile !== undefined && certFile === undefined)
    throw new ConfigError(
      `${names(S.httpTlsCa)} (client certificates) needs HTTPS: set ${names(S.httpTlsCert)} and ${names(S.httpTlsKey)}`,
    );
  const tokens = r.secret(S.httpTokens);
  const list = tokens === undefined ? AccessList.EMPTY : parseAccessList(tokens);
  const publicScopes = new Set<Scope>();
  for (const scope of r.read(S.httpPublic)) {
    if (!SCOPES.includes(scope as Scope))
      throw new ConfigError(
        `${names(S.httpPublic)}: unknown scope "${scope}"; scopes are ${SCOPES.join(', ')}`,
      );
    publicScopes.add(scope as Scope);
  }
  const clientCertificates = caFile !== undefined;
  if (list.hasCertificates && !clientCertificates)
    throw new ConfigError(
      `the HTTP access list names certificates ("cert:..."), which needs ${names(S.httpTlsCa)}`,
    );
  return {
    ...(certFile && keyFile ? { tls: { certFile, keyFile, caFile } } : {}),
    ...(list.hasTokens || clientCertificates ? { access: { list, publicScopes, clientCertificates } } : {}),
    peerToken: secretOf(r.secret(S.httpPeerToken)),
  };
}

function parseAccessList(input: SecretInput): AccessList {
  if (input.kind === 'value') return AccessList.parse(input.secret.reveal(), input.secret.source);
  let text: string;
  try {
    text = readFileSync(input.path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`${input.where}: cannot read ${input.path}: ${errorMessage(cause)}`, { cause });
  }
  return AccessList.parse(text, `${input.where} (${input.path})`);
}
