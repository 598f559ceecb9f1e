#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts a single-node Kafka (KRaft) whose every listener is secured, for the tests of TLS, SASL and
# ACLs, through scripts/kafka/start.sh. Prints the SASL_SSL bootstrap address as the LAST line on
# stdout; everything a client needs (CA, client certificates, users and passwords, the OAuth signing
# key) is in <run dir>/security/, described by security.json there.
#
# Listeners, all on 127.0.0.1:
#   KAFKA_PORT (39292)             SASL_SSL: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 and OAUTHBEARER (JWTs
#                                  signed with security/oauth-key.pem, checked against security/jwks.json)
#   KAFKA_SSL_PORT (39293)         SSL with client certificates required (mTLS); also the listener
#                                  the broker uses for itself
#   KAFKA_CONTROLLER_PORT (39294)  the KRaft controller, SSL with client certificates required
# The broker certificate names 127.0.0.1 only (an IP SAN, no DNS name), so a client that connects
# to "localhost" meets a hostname mismatch.
# Authorization: the StandardAuthorizer, nothing allowed without an ACL; super users are the broker
# itself (its certificate) and "admin". Users: admin, alice (SCRAM-SHA-256 and -512), bob (PLAIN);
# certificates for admin and carol. Principals of certificates are their CN.
#
# Certificates, keys and passwords are generated once per run dir (KAFKA_RUN_DIR, default
# <repo>/.tools/run/kafka-secured) with openssl and reused while they are valid; delete
# <run dir>/security to make new ones. Stop the broker with
#   KAFKA_RUN_DIR=<same dir> scripts/kafka/stop.sh
# Other env: as scripts/kafka/start.sh (KAFKA_VERSION, KAFKA_START_TIMEOUT, KAFKA_HEAP_OPTS, ...).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="kafka-secured"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-39292}"
SSL_PORT="${KAFKA_SSL_PORT:-39293}"
CPORT="${KAFKA_CONTROLLER_PORT:-39294}"
RUN_DIR="${KAFKA_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/kafka-secured}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"
SEC="${RUN_DIR}/security"
require_cmd openssl

# ---- certificates, keys, passwords (once) ------------------------------------------------------
# new_key <file>: an unencrypted PKCS#8 key (what Kafka's PEM key stores and Node read).
new_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
# issue <name> <subject> <extensions>: a certificate signed by the test CA, and <name>.pem = key + certificate.
issue() {
  local name="$1" subject="$2" extensions="$3"
  new_key "${SEC}/${name}.key"
  openssl req -new -key "${SEC}/${name}.key" -subj "$subject" -out "${SEC}/${name}.csr" 2>/dev/null
  printf '%s\n' "$extensions" >"${SEC}/${name}.ext"
  openssl x509 -req -in "${SEC}/${name}.csr" -CA "${SEC}/ca.pem" -CAkey "${SEC}/ca.key" -CAcreateserial \
    -days 7 -sha256 -extfile "${SEC}/${name}.ext" -out "${SEC}/${name}.crt" 2>/dev/null
  cat "${SEC}/${name}.key" "${SEC}/${name}.crt" >"${SEC}/${name}.pem"
  rm -f "${SEC}/${name}.csr" "${SEC}/${name}.ext"
}
password() { openssl rand -hex 16; }
# base64url <hex>: the bytes of a hex string in base64url without padding (JWK fields).
unhex() { if command -v xxd >/dev/null 2>&1; then xxd -r -p; else perl -ne 'chomp; print pack("H*", $_)'; fi; }
base64url() { printf '%s' "$1" | unhex | base64 -w0 | tr '+/' '-_' | tr -d '='; }

# Valid for 7 days: made again when less than a day is left.
if [[ ! -f "${SEC}/security.json" ]] || ! openssl x509 -checkend 86400 -noout -in "${SEC}/broker.crt" >/dev/null 2>&1; then
  log "generating a CA, certificates, the OAuth signing key and passwords in ${SEC}"
  rm -rf "$SEC"
  mkdir -p "$SEC"
  chmod 700 "$SEC"
  new_key "${SEC}/ca.key"
  openssl req -x509 -new -key "${SEC}/ca.key" -subj "/CN=Tributary test CA" -days 7 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "${SEC}/ca.pem" 2>/dev/null
  # The broker is a client of its own controller listener too.
  issue broker "/CN=broker" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:${HOST}"
  for user in admin carol; do
    issue "$user" "/CN=${user}" "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  done
  # OAUTHBEARER: tokens are RS256 JWTs signed with this key; the broker trusts the JWKS below.
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${SEC}/oauth-key.pem" 2>/dev/null
  modulus="$(openssl rsa -in "${SEC}/oauth-key.pem" -noout -modulus | cut -d= -f2)"
  printf '{"keys":[{"kty":"RSA","kid":"tributary-test","use":"sig","alg":"RS256","n":"%s","e":"AQAB"}]}\n' \
    "$(base64url "$modulus")" >"${SEC}/jwks.json"
  admin_pw="$(password)"; alice_pw="$(password)"; bob_pw="$(password)"
  cat >"${SEC}/security.json" <<EOF
{
  "ca": "${SEC}/ca.pem",
  "certificates": {
    "admin": { "cert": "${SEC}/admin.crt", "key": "${SEC}/admin.key" },
    "carol": { "cert": "${SEC}/carol.crt", "key": "${SEC}/carol.key" }
  },
  "users": {
    "admin": { "password": "${admin_pw}", "mechanisms": ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] },
    "alice": { "password": "${alice_pw}", "mechanisms": ["SCRAM-SHA-256", "SCRAM-SHA-512"] },
    "bob": { "password": "${bob_pw}", "mechanisms": ["PLAIN"] }
  },
  "oauth": { "signingKey": "${SEC}/oauth-key.pem", "keyId": "tributary-test", "issuer": "tributary-test", "audience": "kafka" }
}
EOF
  chmod 600 "${SEC}"/*.key "${SEC}"/*.pem "${SEC}/security.json"
fi
json_password() { sed -n "s/.*\"$1\": { \"password\": \"\\([0-9a-f]*\\)\".*/\\1/p" "${SEC}/security.json"; }
admin_pw="$(json_password admin)"
alice_pw="$(json_password alice)"
bob_pw="$(json_password bob)"
# Tells the caller where the secured listeners are (the test setup reads it beside security.json).
printf '{"saslSsl":"%s:%s","ssl":"%s:%s"}\n' "$HOST" "$PORT" "$HOST" "$SSL_PORT" >"${SEC}/listeners.json"

# ---- broker settings -----------------------------------------------------------------------------
export KAFKA_LISTENERS_CONFIG="listeners=SASL_SSL://${HOST}:${PORT},SSL://${HOST}:${SSL_PORT},CONTROLLER://${HOST}:${CPORT}
advertised.listeners=SASL_SSL://${HOST}:${PORT},SSL://${HOST}:${SSL_PORT}
inter.broker.listener.name=SSL
listener.security.protocol.map=SASL_SSL:SASL_SSL,SSL:SSL,CONTROLLER:SSL"

export KAFKA_EXTRA_PROPERTIES="# TLS on every listener: one key store (PEM) and the test CA.
ssl.keystore.type=PEM
ssl.keystore.location=${SEC}/broker.pem
ssl.truststore.type=PEM
ssl.truststore.location=${SEC}/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.controller.ssl.client.auth=required
ssl.principal.mapping.rules=RULE:^CN=([^,]+)\$/\$1/,DEFAULT

sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512,OAUTHBEARER
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_admin=\"${admin_pw}\" user_bob=\"${bob_pw}\";
listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;
listener.name.sasl_ssl.oauthbearer.sasl.server.callback.handler.class=org.apache.kafka.common.security.oauthbearer.OAuthBearerValidatorCallbackHandler
sasl.oauthbearer.jwks.endpoint.url=file://${SEC}/jwks.json
sasl.oauthbearer.expected.issuer=tributary-test
sasl.oauthbearer.expected.audience=kafka

authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
super.users=User:broker;User:admin
${KAFKA_EXTRA_PROPERTIES:-}"

# SCRAM credentials go into the metadata log when the storage is formatted.
export KAFKA_FORMAT_ARGS="--add-scram SCRAM-SHA-256=[name=admin,password=${admin_pw}] --add-scram SCRAM-SHA-512=[name=admin,password=${admin_pw}] --add-scram SCRAM-SHA-256=[name=alice,password=${alice_pw}] --add-scram SCRAM-SHA-512=[name=alice,password=${alice_pw}]"

# The readiness probe connects as admin over SASL_SSL.
cat >"${SEC}/admin-client.properties" <<EOF
security.protocol=SASL_SSL
sasl.mechanism=SCRAM-SHA-512
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${admin_pw}";
ssl.truststore.type=PEM
ssl.truststore.location=${SEC}/ca.pem
EOF
chmod 600 "${SEC}/admin-client.properties"
export KAFKA_CLIENT_CONFIG="${SEC}/admin-client.properties"

# Kafka 4 reads a JWKS only from URLs it is told to allow.
export KAFKA_JVM_OPTS="-Dorg.apache.kafka.sasl.oauthbearer.allowed.urls=file://${SEC}/jwks.json ${KAFKA_JVM_OPTS:-}"
export KAFKA_RUN_DIR="$RUN_DIR" KAFKA_PORT="$PORT" KAFKA_CONTROLLER_PORT="$CPORT"
exec bash "${SCRIPT_DIR}/start.sh"
