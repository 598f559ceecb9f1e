#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts Apicurio Registry with HTTPS only and authentication required, for the tests of the schema
# registry's credentials, through scripts/registry/start.sh. No identity server is needed:
#   - HTTP basic auth against users Quarkus keeps in its configuration (quarkus.security.users.embedded),
#   - bearer tokens (JWTs signed RS256) checked by Quarkus OIDC against a public key given to it
#     (quarkus.oidc.public-key), so it never contacts an OIDC server.
# Prints the https URL of the Confluent-compatible API as the LAST line on stdout. The CA, the user and
# password, and the key that signs accepted tokens are in <run dir>/security/, described by
# security.json there (generated once per run dir with openssl).
#
# Env: REGISTRY_RUN_DIR (default <repo>/.tools/run/registry-secured), REGISTRY_PORT (38183),
#      REGISTRY_MANAGEMENT_PORT (38184), and the rest of scripts/registry/start.sh's.
# Stop it with REGISTRY_RUN_DIR=<same dir> scripts/registry/stop.sh.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="registry-secured"

RUN_DIR="${REGISTRY_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/registry-secured}"
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"
SEC="${RUN_DIR}/security"
require_cmd openssl curl

if [[ ! -f "${SEC}/security.json" ]] || ! openssl x509 -checkend 86400 -noout -in "${SEC}/registry.crt" >/dev/null 2>&1; then
  log "generating a CA, the registry's certificate, a user and a token signing key in ${SEC}"
  rm -rf "$SEC"
  mkdir -p "$SEC"
  chmod 700 "$SEC"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${SEC}/ca.key" 2>/dev/null
  openssl req -x509 -new -key "${SEC}/ca.key" -subj "/CN=Tributary test registry CA" -days 7 -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "${SEC}/ca.pem" 2>/dev/null
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "${SEC}/registry.key" 2>/dev/null
  openssl req -new -key "${SEC}/registry.key" -subj "/CN=registry" -out "${SEC}/registry.csr" 2>/dev/null
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n' \
    >"${SEC}/registry.ext"
  openssl x509 -req -in "${SEC}/registry.csr" -CA "${SEC}/ca.pem" -CAkey "${SEC}/ca.key" -CAcreateserial \
    -days 7 -sha256 -extfile "${SEC}/registry.ext" -out "${SEC}/registry.crt" 2>/dev/null
  rm -f "${SEC}/registry.csr" "${SEC}/registry.ext"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "${SEC}/token-key.pem" 2>/dev/null
  openssl pkey -in "${SEC}/token-key.pem" -pubout -outform DER 2>/dev/null | base64 -w0 >"${SEC}/token-public-key.b64"
  cat >"${SEC}/security.json" <<EOF
{
  "ca": "${SEC}/ca.pem",
  "user": { "name": "tributary", "password": "$(openssl rand -hex 16)" },
  "tokens": { "signingKey": "${SEC}/token-key.pem", "issuer": "tributary-test" }
}
EOF
  chmod 600 "${SEC}"/*.key "${SEC}"/*.pem "${SEC}/security.json"
fi
password="$(sed -n 's/.*"user": { "name": "tributary", "password": "\([0-9a-f]*\)".*/\1/p' "${SEC}/security.json")"
[[ -n "$password" ]] || die "no password in ${SEC}/security.json"

export REGISTRY_RUN_DIR="$RUN_DIR"
export REGISTRY_PORT="${REGISTRY_PORT:-38183}" REGISTRY_MANAGEMENT_PORT="${REGISTRY_MANAGEMENT_PORT:-38184}"
export REGISTRY_TLS_CERT="${SEC}/registry.crt" REGISTRY_TLS_KEY="${SEC}/registry.key"
# Basic auth (embedded users, plain text in the configuration) and bearer tokens checked against a key.
# Quarkus warns that quarkus.http.auth.basic is fixed at build time; Apicurio reads it at run time to
# build its chain of mechanisms ("Authentication chain: basic -> oidc" in the log), and asks for it.
export REGISTRY_JVM_OPTS="-Dquarkus.http.auth.basic=true \
-Dquarkus.security.users.embedded.plain-text=true \
-Dquarkus.security.users.embedded.users.tributary=${password} \
-Dquarkus.security.users.embedded.roles.tributary=sr-admin \
-Dquarkus.oidc.tenant-enabled=true \
-Dquarkus.oidc.public-key=$(cat "${SEC}/token-public-key.b64") \
-Dquarkus.oidc.token.issuer=tributary-test \
${REGISTRY_JVM_OPTS:-}"
export REGISTRY_CURL_OPTS="--cacert ${SEC}/ca.pem -u tributary:${password}"
exec bash "${SCRIPT_DIR}/start.sh"
