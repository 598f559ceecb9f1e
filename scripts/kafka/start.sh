#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts a single-node Kafka (KRaft, combined broker+controller) on 127.0.0.1 in the background,
# waits until it is really ready, and prints the bootstrap address (e.g. 127.0.0.1:39092) as the
# LAST line on stdout. Progress and diagnostics go to stderr.
#
# If a broker started by this script (same run dir) is already alive, it is reused as is.
# Installs the jars first if needed (scripts/kafka/install.sh).
#
# Env (all optional):
#   KAFKA_VERSION            broker version (default from version.env)
#   KAFKA_PORT               client listener port            (default 39092)
#   KAFKA_CONTROLLER_PORT    KRaft controller listener port  (default 39093)
#   KAFKA_RUN_DIR            pid/log/config/data directory   (default <repo>/.tools/run/kafka)
#   KAFKA_KEEP_DATA=1        keep the data dir (topics, offsets) from the previous run
#   KAFKA_START_TIMEOUT      seconds to wait for readiness   (default 120)
#   KAFKA_HEAP_OPTS          JVM heap flags                  (default "-Xms256m -Xmx512m")
#   KAFKA_JVM_OPTS           extra JVM flags
#   KAFKA_LOG_LEVEL          root log level of the broker    (default INFO)
#   KAFKA_AUTO_CREATE_TOPICS auto.create.topics.enable       (default true, the broker default)
#   KAFKA_NUM_PARTITIONS     num.partitions for auto-created topics (default 1)
#   KAFKA_EXTRA_PROPERTIES   extra server.properties lines (newline separated), appended last
#   KAFKA_LISTENERS_CONFIG   server.properties lines that replace the default PLAINTEXT listener block
#                            (listeners, advertised.listeners, inter.broker.listener.name,
#                            listener.security.protocol.map); KAFKA_PORT must be one of its listeners
#   KAFKA_CLIENT_CONFIG      client properties file the readiness probe connects with (security settings)
#   KAFKA_FORMAT_ARGS        extra arguments of `StorageTool format` (e.g. --add-scram ...)
#   KAFKA_JAVA_HOME          JDK to use; else the first Java 17+ (11+ for 3.9) of JAVA_HOME, PATH,
#                            /usr/lib/jvm/* (a JDK: javac compiles the readiness probe)
#
# Files in the run dir: kafka.pid, kafka.log (broker stdout/stderr), server.properties,
# log4j config, bootstrap (the address), version, data/.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
# shellcheck source=./version.env
source "${SCRIPT_DIR}/version.env"
LOG_PREFIX="kafka-start"

HOST=127.0.0.1
PORT="${KAFKA_PORT:-39092}"
CPORT="${KAFKA_CONTROLLER_PORT:-39093}"
RUN_DIR="${KAFKA_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/kafka}"
TIMEOUT="${KAFKA_START_TIMEOUT:-120}"
BOOTSTRAP="${HOST}:${PORT}"

mkdir -p "$RUN_DIR"
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"
PIDFILE="${RUN_DIR}/kafka.pid"
LOGFILE="${RUN_DIR}/kafka.log"
PROPS="${RUN_DIR}/server.properties"
DATA_DIR="${RUN_DIR}/data"
# The broker's command line contains this path; stop.sh/reuse use it to make sure a PID still
# belongs to our broker and not to an unrelated process that got the same PID later.
PID_NEEDLE="$PROPS"

# Serialise concurrent start/stop calls on the same run dir (e.g. parallel test workers).
exec 9>"${RUN_DIR}/.lock"
flock -w 300 9 || die "could not lock ${RUN_DIR}/.lock"

# run_readycheck <libs dir> <readycheck dir>: one Admin round trip; its output goes to readycheck.log.
# QUIET_LOG_JVM_OPT (set in step 4) keeps the client's own logging down to errors.
run_readycheck() {
  # shellcheck disable=SC2086
  "$JAVA" -Xmx128m -XX:TieredStopAtLevel=1 $QUIET_LOG_JVM_OPT \
    -cp "$1/*:$2" ReadyCheck "$BOOTSTRAP" 5000 ${KAFKA_CLIENT_CONFIG:-} >>"${RUN_DIR}/readycheck.log" 2>&1
}

# ---- 1. reuse a broker that is already running ---------------------------------------------------
old_pid="$(read_pidfile "$PIDFILE")"
if [[ -n "$old_pid" ]] && pid_alive "$old_pid" && pid_cmdline_matches "$old_pid" "$PID_NEEDLE"; then
  running_version="$(cat "${RUN_DIR}/version" 2>/dev/null || echo '?')"
  running_bootstrap="$(cat "${RUN_DIR}/bootstrap" 2>/dev/null || echo "$BOOTSTRAP")"
  if [[ "$running_version" != "$KAFKA_VERSION" || "$running_bootstrap" != "$BOOTSTRAP" ]]; then
    die "a Kafka ${running_version} broker (PID ${old_pid}, ${running_bootstrap}) is already running from ${RUN_DIR};" \
        "it does not match the requested ${KAFKA_VERSION} at ${BOOTSTRAP}. Stop it first: scripts/kafka/stop.sh"
  fi
  log "reusing running Kafka ${running_version} (PID ${old_pid})"
  printf '%s\n' "$running_bootstrap"
  exit 0
fi
rm -f "$PIDFILE"

# ---- 2. install (fast no-op when already installed) ------------------------------------------------
# Kafka 4.x needs Java 17+ (3.9 runs on 11+). KAFKA_JAVA_HOME, then JAVA_HOME, PATH, /usr/lib/jvm/*.
case "$KAFKA_VERSION" in 3.*) JAVA_MIN=11 ;; *) JAVA_MIN=17 ;; esac
JAVA="$(find_java "$JAVA_MIN" "${KAFKA_JAVA_HOME:-}")"

LIBS_DIR="$("${SCRIPT_DIR}/install.sh" | tail -n 1)"
[[ -d "$LIBS_DIR" ]] || die "install.sh did not produce a libs dir"
CP="${LIBS_DIR}/*"

# Compile the readiness probe once per Kafka version (javac ships with the JDK).
RC_DIR="$(dirname "$LIBS_DIR")/readycheck"
if [[ ! -f "${RC_DIR}/ReadyCheck.class" || "${SCRIPT_DIR}/ReadyCheck.java" -nt "${RC_DIR}/ReadyCheck.class" ]]; then
  JAVAC="$(dirname "$JAVA")/javac"; [[ -x "$JAVAC" ]] || JAVAC=javac
  mkdir -p "$RC_DIR"
  "$JAVAC" -nowarn -cp "$CP" -d "$RC_DIR" "${SCRIPT_DIR}/ReadyCheck.java" >&2 \
    || die "could not compile ReadyCheck.java (a JDK, not a JRE, is needed)"
fi

# ---- 3. ports must be free ------------------------------------------------------------------------
for p in "$PORT" "$CPORT"; do
  if port_in_use "$p"; then
    die "port ${p} on ${HOST} is already in use by another process (not a broker started from ${RUN_DIR});" \
        "choose other ports with KAFKA_PORT / KAFKA_CONTROLLER_PORT"
  fi
done

# ---- 4. configuration ---------------------------------------------------------------------------
if [[ "${KAFKA_KEEP_DATA:-0}" != 1 ]]; then
  rm -rf "$DATA_DIR"
fi
mkdir -p "$DATA_DIR"

cat >"$PROPS" <<EOF
# Generated by scripts/kafka/start.sh for Kafka ${KAFKA_VERSION} — single combined KRaft node for tests.
process.roles=broker,controller
node.id=1
# Static quorum (works on 3.9 and 4.x, so StorageTool needs neither --standalone nor --initial-controllers).
controller.quorum.voters=1@${HOST}:${CPORT}
${KAFKA_LISTENERS_CONFIG:-listeners=PLAINTEXT://${HOST}:${PORT},CONTROLLER://${HOST}:${CPORT}
advertised.listeners=PLAINTEXT://${HOST}:${PORT}
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT}
controller.listener.names=CONTROLLER
log.dirs=${DATA_DIR}

# One broker: every replication factor must be 1, or consumer groups/transactions never find a coordinator.
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions: faster creation of __consumer_offsets / __transaction_state.
offsets.topic.num.partitions=10
transaction.state.log.num.partitions=5

# Tests: no delay before the first rebalance of a new group.
group.initial.rebalance.delay.ms=0
# auto.create.topics.enable is the broker default (true); tests should still create their topics up
# front and wait for leaders (auto-created topics get num.partitions partitions).
auto.create.topics.enable=${KAFKA_AUTO_CREATE_TOPICS:-true}
num.partitions=${KAFKA_NUM_PARTITIONS:-1}
delete.topic.enable=true

# Small machine (2 cores): modest thread pools; smaller log-cleaner buffer to fit a 512 MB heap
# (the cleaner stays enabled: compacted changelog topics need it).
num.network.threads=3
num.io.threads=4
background.threads=4
log.cleaner.threads=1
log.cleaner.dedupe.buffer.size=33554432
EOF
if [[ -n "${KAFKA_EXTRA_PROPERTIES:-}" ]]; then
  printf '\n# KAFKA_EXTRA_PROPERTIES\n%s\n' "$KAFKA_EXTRA_PROPERTIES" >>"$PROPS"
fi

# Logging: everything to stdout, which is redirected into kafka.log.
LEVEL="${KAFKA_LOG_LEVEL:-INFO}"
if [[ "$KAFKA_LOG_BACKEND" == log4j2 ]]; then
  LOGCFG="${RUN_DIR}/log4j2.properties"
  cat >"$LOGCFG" <<EOF
status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ${LEVEL}
rootLogger.appenderRef.out.ref = OUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
EOF
  LOG_JVM_OPT="-Dlog4j2.configurationFile=${LOGCFG}"
  sed -e "s/^rootLogger.level = .*/rootLogger.level = ERROR/" -e "s/^status = .*/status = error/" \
    "$LOGCFG" >"${RUN_DIR}/log4j2-quiet.properties"
  QUIET_LOG_JVM_OPT="-Dlog4j2.configurationFile=${RUN_DIR}/log4j2-quiet.properties"
else
  LOGCFG="${RUN_DIR}/log4j.properties"
  cat >"$LOGCFG" <<EOF
log4j.rootLogger=${LEVEL}, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
  LOG_JVM_OPT="-Dlog4j.configuration=file:${LOGCFG}"
  sed -e "s/^log4j.rootLogger=.*/log4j.rootLogger=ERROR, out/" "$LOGCFG" >"${RUN_DIR}/log4j-quiet.properties"
  QUIET_LOG_JVM_OPT="-Dlog4j.configuration=file:${RUN_DIR}/log4j-quiet.properties"
fi

# ---- 5. format storage ----------------------------------------------------------------------------
# StorageTool lives in the core jar (kafka.tools.StorageTool) in 3.9 and 4.x. With KAFKA_KEEP_DATA=1
# the cluster id is kept so that an already formatted data dir is accepted (--ignore-formatted).
CLUSTER_ID_FILE="${RUN_DIR}/cluster.id"
if [[ "${KAFKA_KEEP_DATA:-0}" != 1 || ! -s "$CLUSTER_ID_FILE" ]]; then
  # Same format as `StorageTool random-uuid` (16 random bytes, URL-safe base64, no padding, not
  # starting with '-'), without paying for a JVM start.
  while :; do
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$cid" != -* && ${#cid} -eq 22 ]] && break
  done
  printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
fi
CLUSTER_ID="$(cat "$CLUSTER_ID_FILE")"
: >"$LOGFILE"
: >"${RUN_DIR}/readycheck.log"
# KAFKA_FORMAT_ARGS is split on spaces but not globbed (SCRAM credentials are written `...=[name=x,...]`).
set -f
# shellcheck disable=SC2086
"$JAVA" -Xmx128m $QUIET_LOG_JVM_OPT -cp "$CP" kafka.tools.StorageTool format \
  -t "$CLUSTER_ID" -c "$PROPS" --ignore-formatted ${KAFKA_FORMAT_ARGS:-} >>"$LOGFILE" 2>&1 \
  || { tail_log "$LOGFILE"; die "kafka.tools.StorageTool format failed"; }
set +f

# ---- 6. launch ------------------------------------------------------------------------------------
# setsid: the broker gets its own session, so it is neither tied to the caller's terminal nor killed
# with the caller's process group; it lives until scripts/kafka/stop.sh. All three std streams are
# redirected so a caller reading our stdout through a pipe (child_process) is not kept waiting, and
# the lock fd 9 is closed so the broker does not hold the run-dir lock for its whole life.
start_ms="$(now_ms)"
# shellcheck disable=SC2086
setsid "$JAVA" ${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
  -Djava.awt.headless=true $LOG_JVM_OPT ${KAFKA_JVM_OPTS:-} \
  -cp "$CP" kafka.Kafka "$PROPS" </dev/null >>"$LOGFILE" 2>&1 9>&- &
pid=$!
disown "$pid" 2>/dev/null || true   # no "Killed" job notice from bash if we must kill it below
printf '%s\n' "$pid" >"$PIDFILE"
printf '%s\n' "$KAFKA_VERSION" >"${RUN_DIR}/version"
printf '%s\n' "$BOOTSTRAP" >"${RUN_DIR}/bootstrap"
log "Kafka ${KAFKA_VERSION} starting (PID ${pid}) on ${BOOTSTRAP}, controller ${HOST}:${CPORT}, run dir ${RUN_DIR}"

# ---- 7. wait until ready --------------------------------------------------------------------------
fail() {
  tail_log "$LOGFILE" 80
  if pid_alive "$pid"; then
    log "killing the broker that did not become ready (PID ${pid})"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PIDFILE"
  die "$*"
}
deadline=$(( $(date +%s) + TIMEOUT ))
started_logged=0
while :; do
  pid_alive "$pid" || fail "Kafka exited during startup (see ${LOGFILE})"
  if (( started_logged == 0 )) && grep -q "Kafka Server started" "$LOGFILE"; then
    started_logged=1
    log "log says 'Kafka Server started' after $(elapsed_since "$start_ms"); checking with an Admin client"
  fi
  if (( started_logged == 1 )) && run_readycheck "$LIBS_DIR" "$RC_DIR"; then
    break
  fi
  (( $(date +%s) < deadline )) || {
    [[ -s "${RUN_DIR}/readycheck.log" ]] && tail_log "${RUN_DIR}/readycheck.log" 10
    fail "Kafka not ready within ${TIMEOUT}s"
  }
  sleep 0.3
done
log "Kafka ${KAFKA_VERSION} ready in $(elapsed_since "$start_ms") (PID ${pid})"
printf '%s\n' "$BOOTSTRAP"
