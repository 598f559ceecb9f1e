#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the Kafka broker started by scripts/kafka/start.sh — exactly that process, by the PID in
# its run dir: SIGTERM (controlled shutdown), wait up to KAFKA_STOP_TIMEOUT seconds (default 30),
# then SIGKILL. Removes the PID file. A no-op (exit 0) when nothing is running.
#
# Env: KAFKA_RUN_DIR (default <repo>/.tools/run/kafka), KAFKA_STOP_TIMEOUT,
#      KAFKA_DELETE_DATA=1 to also delete the data dir afterwards.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="kafka-stop"

RUN_DIR="${KAFKA_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/kafka}"
if [[ ! -d "$RUN_DIR" ]]; then
  log "not running (no run dir ${RUN_DIR})"
  exit 0
fi
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"

exec 9>"${RUN_DIR}/.lock"
flock -w 300 9 || die "could not lock ${RUN_DIR}/.lock"

# The needle must match what start.sh puts on the broker's command line.
stop_pidfile "${RUN_DIR}/kafka.pid" "${RUN_DIR}/server.properties" "Kafka" "${KAFKA_STOP_TIMEOUT:-30}"

if [[ "${KAFKA_DELETE_DATA:-0}" == 1 ]]; then
  rm -rf "${RUN_DIR}/data"
fi
