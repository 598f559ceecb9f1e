#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Stops the Apicurio Registry started by scripts/registry/start.sh — exactly that process, by the
# PID in its run dir: SIGTERM, wait up to REGISTRY_STOP_TIMEOUT seconds (default 30), then SIGKILL.
# Removes the PID file. A no-op (exit 0) when nothing is running.
#
# Env: REGISTRY_RUN_DIR (default <repo>/.tools/run/registry), REGISTRY_STOP_TIMEOUT.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
LOG_PREFIX="registry-stop"

RUN_DIR="${REGISTRY_RUN_DIR:-${TRIBUTARY_TOOLS_DIR}/run/registry}"
if [[ ! -d "$RUN_DIR" ]]; then
  log "not running (no run dir ${RUN_DIR})"
  exit 0
fi
RUN_DIR="$(cd -- "$RUN_DIR" && pwd)"

exec 9>"${RUN_DIR}/.lock"
flock -w 300 9 || die "could not lock ${RUN_DIR}/.lock"

# The needle must match the system property start.sh puts on the JVM command line.
stop_pidfile "${RUN_DIR}/registry.pid" "-Dtributary.run.dir=${RUN_DIR}" "Apicurio Registry" "${REGISTRY_STOP_TIMEOUT:-30}"
