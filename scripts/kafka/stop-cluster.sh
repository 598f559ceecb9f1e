#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the nodes of the cluster started by scripts/kafka/start-cluster.sh (all, or the given ones),
# each by the PID in its run dir (scripts/kafka/stop.sh). A no-op for nodes that are not running.
#
#   stop-cluster.sh [node...]
# Env: KAFKA_CLUSTER_DIR (default <repo>/.tools/run/kafka-cluster), KAFKA_STOP_TIMEOUT,
#      KAFKA_DELETE_DATA=1 to also delete the nodes' data.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="kafka-cluster"

CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-${TRIBUTARY_TOOLS_DIR}/run/kafka-cluster}"
if (($# == 0)); then set -- 1 2 3; fi
pids=()
for n in "$@"; do
  KAFKA_RUN_DIR="${CLUSTER_DIR}/node-${n}" "${SCRIPT_DIR}/stop.sh" &
  pids+=("$!")
done
for pid in "${pids[@]}"; do wait "$pid"; done
