#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts Apicurio Registry 3 (Confluent-compatible API) on 127.0.0.1 in the background, with its
# default in-memory storage (H2 in memory: every start is empty), waits until the ccompat API
# answers, and prints its base URL (e.g. http://127.0.0.1:38081/apis/ccompat/v7) as the LAST line
# on stdout — that is what a Confluent schema-registry client takes as its `host`.
# Progress and diagnostics go to stderr. Reuses a registry started by this script if still alive.
# Installs it first if needed (scripts/registry/install.sh).
#
# Env (all optional):
#   APICURIO_VERSION            version (default from version.env)
#   REGISTRY_PORT               HTTP port                          (default 38081)
#   REGISTRY_MANAGEMENT_PORT    Quarkus management port (health, metrics; the app enables it and
#                               it would otherwise take 0.0.0.0:9000)  (default 38082)
#   REGISTRY_RUN_DIR            pid/log directory                  (default <repo>/.tools/run/registry)
#   REGISTRY_START_TIMEOUT      seconds to wait for readiness      (default 120)
#   REGISTRY_HEAP_OPTS          JVM heap flags                     (default "-Xms128m -Xmx512m")
#   REGISTRY_JVM_OPTS           extra JVM flags, e.g. -Dapicurio.ccompat.legacy-id-mode.enabled=true
#   REGISTRY_JAVA_HOME          JDK to use; else the first of JAVA_HOME, java on PATH, /usr/lib/jvm/*
#                               that is new enough (3.3.x needs Java 21+; install.sh records it)
#   REGISTRY_TLS_CERT, REGISTRY_TLS_KEY
#                               serve HTTPS (only) on REGISTRY_PORT with this certificate and key (PEM)
#   REGISTRY_CURL_OPTS          extra curl options of the readiness check (a CA, credentials)
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
# shellcheck source=./version.env
source "${SCRIPT_DIR}/version.env"
LOG_PREFIX="registry-start"

HOST=127.0.0.1
PORT="${REGISTRY_PORT:-38081}"
MPORT="${REGISTRY_MANAGEMENT_PORT:-38082}"
RUN_DIR="${REGISTRY_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/registry}"
TIMEOUT="${REGISTRY_START_TIMEOUT:-120}"
SCHEME=http
[[ -n "${REGISTRY_TLS_CERT:-}" ]] && SCHEME=https
URL="${SCHEME}://${HOST}:${PORT}/apis/ccompat/v7"

require_cmd curl
mkdir -p "$RUN_DIR"
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"
PIDFILE="${RUN_DIR}/registry.pid"
LOGFILE="${RUN_DIR}/registry.log"
# Put on the JVM command line as a system property; stop.sh and reuse check the PID against it.
PID_NEEDLE="-Dtributary.run.dir=${RUN_DIR}"

exec 9>"${RUN_DIR}/.lock"
flock -w 300 9 || die "could not lock ${RUN_DIR}/.lock"

# ready: the Confluent-compatible API answers 200 on /subjects.
# shellcheck disable=SC2086
ready() { [[ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 ${REGISTRY_CURL_OPTS:-} "${URL}/subjects" || true)" == 200 ]]; }
TLS_OPTS=""
if [[ "$SCHEME" == https ]]; then
  TLS_OPTS="-Dquarkus.http.ssl-port=${PORT} -Dquarkus.http.insecure-requests=disabled"
  TLS_OPTS+=" -Dquarkus.http.ssl.certificate.files=${REGISTRY_TLS_CERT} -Dquarkus.http.ssl.certificate.key-files=${REGISTRY_TLS_KEY}"
fi

# ---- reuse -------------------------------------------------------------------------------------
old_pid="$(read_pidfile "$PIDFILE")"
if [[ -n "$old_pid" ]] && pid_alive "$old_pid" && pid_cmdline_matches "$old_pid" "$PID_NEEDLE"; then
  running_url="$(cat "${RUN_DIR}/url" 2>/dev/null || echo '?')"
  running_version="$(cat "${RUN_DIR}/version" 2>/dev/null || echo '?')"
  if [[ "$running_url" != "$URL" || "$running_version" != "$APICURIO_VERSION" ]]; then
    die "Apicurio ${running_version} (PID ${old_pid}, ${running_url}) is already running from ${RUN_DIR} and does not" \
        "match the requested ${APICURIO_VERSION} at ${URL}. Stop it first: scripts/registry/stop.sh"
  fi
  ready || die "registry PID ${old_pid} is alive but ${URL}/subjects does not answer 200 (see ${LOGFILE})"
  log "reusing running Apicurio Registry ${running_version} (PID ${old_pid})"
  printf '%s\n' "$running_url"
  exit 0
fi
rm -f "$PIDFILE"

# ---- install, check ports ---------------------------------------------------------------------
JAR="$("${SCRIPT_DIR}/install.sh" | tail -n 1)"
[[ -f "$JAR" ]] || die "install.sh did not produce quarkus-run.jar"
for p in "$PORT" "$MPORT"; do
  port_in_use "$p" && die "port ${p} on ${HOST} is already in use; choose others with REGISTRY_PORT / REGISTRY_MANAGEMENT_PORT"
done
# Apicurio 3.3.x needs Java 21+ (it fails on 17 with UnsupportedClassVersionError, class file 65).
# install.sh recorded the minimum; pick a JDK that satisfies it (REGISTRY_JAVA_HOME, JAVA_HOME,
# PATH, then /usr/lib/jvm/* — e.g. the Temurin 25 JDK).
JAVA_MIN="$(cat "${TRIBUTARY_TOOLS_DIR}/registry/${APICURIO_VERSION}/.java-min" 2>/dev/null || echo 21)"
JAVA="$(find_java "$JAVA_MIN" "${REGISTRY_JAVA_HOME:-}")"
log "using $JAVA (Java $(java_major "$JAVA"); Apicurio ${APICURIO_VERSION} needs ${JAVA_MIN}+)"

# ---- launch (see scripts/kafka/start.sh for why setsid and the redirections) --------------------
: >"$LOGFILE"
start_ms="$(now_ms)"
# shellcheck disable=SC2086
setsid "$JAVA" ${REGISTRY_HEAP_OPTS:--Xms128m -Xmx512m} -Djava.awt.headless=true \
  "$PID_NEEDLE" \
  -Dquarkus.http.host="$HOST" -Dquarkus.http.port="$PORT" \
  -Dquarkus.management.host="$HOST" -Dquarkus.management.port="$MPORT" \
  -Djava.io.tmpdir="$RUN_DIR" \
  -Dapicurio.storage.snapshot.location="$RUN_DIR" -Dapicurio.import.work-dir="$RUN_DIR" \
  ${TLS_OPTS} ${REGISTRY_JVM_OPTS:-} \
  -jar "$JAR" </dev/null >>"$LOGFILE" 2>&1 9>&- &
pid=$!
disown "$pid" 2>/dev/null || true
printf '%s\n' "$pid" >"$PIDFILE"
printf '%s\n' "$URL" >"${RUN_DIR}/url"
printf '%s\n' "$APICURIO_VERSION" >"${RUN_DIR}/version"
log "Apicurio Registry ${APICURIO_VERSION} starting (PID ${pid}) on ${URL}, run dir ${RUN_DIR}"

deadline=$(( $(date +%s) + TIMEOUT ))
until ready; do
  if ! pid_alive "$pid"; then
    tail_log "$LOGFILE" 80
    rm -f "$PIDFILE"
    die "Apicurio Registry exited during startup (see ${LOGFILE})"
  fi
  if (( $(date +%s) >= deadline )); then
    tail_log "$LOGFILE" 80
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$PIDFILE"
    die "Apicurio Registry not ready within ${TIMEOUT}s"
  fi
  sleep 0.3
done
log "Apicurio Registry ${APICURIO_VERSION} ready in $(elapsed_since "$start_ms") (PID ${pid})"
printf '%s\n' "$URL"
