#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Starts a 3-node Kafka cluster (KRaft, each node a combined broker + controller, a 3-voter quorum) on
# 127.0.0.1, as production runs: replication factor 3 for every topic, internal ones included, and
# min.insync.replicas=2. Each node is a scripts/kafka/start.sh broker with its own run dir
# (<cluster dir>/node-<n>) and the same cluster id; the nodes start in parallel, since none is ready
# before a quorum of controllers is. Prints the bootstrap list (127.0.0.1:39720,127.0.0.1:39721,...)
# as the LAST line on stdout; progress goes to stderr.
#
#   start-cluster.sh            all nodes, with fresh data (KAFKA_KEEP_DATA=1 keeps it)
#   start-cluster.sh 2          node 2 only, with the data it had: a restart after a crash or a stop
#
# A node that is already running is reused as is (start.sh). Env (all optional):
#   KAFKA_CLUSTER_PORT      client port of node 1 (default 39720); node n listens on +n-1 and runs its
#                           controller on +n+2 (so 39720-39725 by default)
#   KAFKA_CLUSTER_DIR       run dir of the cluster (default <repo>/.tools/run/kafka-cluster)
#   KAFKA_CLUSTER_EXTRA_PROPERTIES  more server.properties lines for every node
#   and those of start.sh (KAFKA_VERSION, KAFKA_HEAP_OPTS, ...); KAFKA_START_TIMEOUT defaults to 300 s here
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="kafka-cluster"

NODES=3
HOST=127.0.0.1
BASE="${KAFKA_CLUSTER_PORT:-39720}"
CLUSTER_DIR="${KAFKA_CLUSTER_DIR:-${TRIBUTARY_TOOLS_DIR}/run/kafka-cluster}"
mkdir -p "$CLUSTER_DIR"
CLUSTER_DIR="$(cd -- "$CLUSTER_DIR" && pwd)"

port_of() { echo $((BASE + $1 - 1)); }
controller_port_of() { echo $((BASE + NODES + $1 - 1)); }

voters=""
bootstrap=""
for n in $(seq 1 "$NODES"); do
  voters+="${voters:+,}${n}@${HOST}:$(controller_port_of "$n")"
  bootstrap+="${bootstrap:+,}${HOST}:$(port_of "$n")"
done

if (($# == 0)); then
  selected=$(seq 1 "$NODES")
  fresh="${KAFKA_KEEP_DATA:-0}"
  [[ "$fresh" == 1 ]] && fresh=0 || fresh=1
else
  selected="$*"
  fresh=0
fi

# One cluster id for all nodes, kept in the cluster dir; a fresh start makes a new one.
CLUSTER_ID_FILE="${CLUSTER_DIR}/cluster.id"
if [[ "$fresh" == 1 || ! -s "$CLUSTER_ID_FILE" ]]; then
  while :; do
    cid="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
    [[ "$cid" != -* && ${#cid} -eq 22 ]] && break
  done
  printf '%s\n' "$cid" >"$CLUSTER_ID_FILE"
fi

# start_node <n>: start.sh with this node's identity; start.sh keeps the data (KAFKA_KEEP_DATA=1) and
# formats it with the cluster's id when it is new.
start_node() {
  local n="$1" dir="${CLUSTER_DIR}/node-$1"
  mkdir -p "$dir"
  if [[ "$fresh" == 1 ]]; then rm -rf "${dir}/data"; fi
  cp "$CLUSTER_ID_FILE" "${dir}/cluster.id"
  KAFKA_RUN_DIR="$dir" KAFKA_KEEP_DATA=1 KAFKA_START_TIMEOUT="${KAFKA_START_TIMEOUT:-300}" \
    KAFKA_PORT="$(port_of "$n")" KAFKA_CONTROLLER_PORT="$(controller_port_of "$n")" \
    KAFKA_EXTRA_PROPERTIES="# node ${n} of a ${NODES}-node cluster (scripts/kafka/start-cluster.sh)
node.id=${n}
controller.quorum.voters=${voters}
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
# A loaded machine can take more than the default minute to elect the first controller.
initial.broker.registration.timeout.ms=300000
${KAFKA_CLUSTER_EXTRA_PROPERTIES:-}" \
    "${SCRIPT_DIR}/start.sh" >"${dir}/start.out" 2>"${dir}/start.err"
}

pids=()
nodes=()
for n in $selected; do
  [[ "$n" =~ ^[1-9]$ ]] && ((n <= NODES)) || die "no node ${n} (nodes are 1 to ${NODES})"
  log "starting node ${n} on ${HOST}:$(port_of "$n") (controller $(controller_port_of "$n"))"
  start_node "$n" &
  pids+=("$!")
  nodes+=("$n")
  # The first start compiles the readiness probe; let it finish before the others run the same step.
  if ((${#pids[@]} == 1)); then
    for _ in $(seq 1 600); do
      [[ -s "${CLUSTER_DIR}/node-${n}/kafka.pid" ]] || ! kill -0 "${pids[0]}" 2>/dev/null && break
      sleep 0.2
    done
  fi
done

failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    failed=1
    log "node ${nodes[$i]} did not start:"
    cat "${CLUSTER_DIR}/node-${nodes[$i]}/start.err" >&2 || true
  fi
done
if ((failed != 0)); then
  # Nothing half-started is left behind: the nodes that did come up go down again.
  for n in "${nodes[@]}"; do KAFKA_RUN_DIR="${CLUSTER_DIR}/node-${n}" "${SCRIPT_DIR}/stop.sh" || true; done
  die "the cluster did not start (run dir ${CLUSTER_DIR})"
fi
printf '%s\n' "$bootstrap" >"${CLUSTER_DIR}/bootstrap"
log "nodes ${nodes[*]} ready; bootstrap ${bootstrap}"
printf '%s\n' "$bootstrap"
