# shellcheck shell=bash disable=SC2034
# Shared helpers for scripts/kafka/* and scripts/registry/*.
# Source it; do not execute it. Callers are expected to run with `set -euo pipefail`.
#
# Conventions used by every script that sources this file:
#   - Human-readable progress goes to STDERR (log/die), so that STDOUT carries only the
#     machine-readable result (e.g. the bootstrap address printed last by start.sh).
#   - Everything downloaded or generated lives under $TRIBUTARY_TOOLS_DIR (default <repo>/.tools),
#     which is git-ignored.

# Absolute path of the repository root (two levels above this file: scripts/lib/common.sh).
TRIBUTARY_ROOT="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)"
export TRIBUTARY_ROOT
: "${TRIBUTARY_TOOLS_DIR:=${TRIBUTARY_ROOT}/.tools}"
export TRIBUTARY_TOOLS_DIR

# Pinned so that a bare `mvn` does not fall back to an ancient default plugin version.
MAVEN_DEPENDENCY_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

log() { printf '[%s] %s\n' "${LOG_PREFIX:-tributary}" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Seconds since the epoch with millisecond precision (for timing messages).
now_ms() { date +%s%3N; }
elapsed_since() { # elapsed_since <start_ms> -> "12.3s"
  local d=$(( $(now_ms) - $1 ))
  printf '%d.%ds' $((d / 1000)) $(((d % 1000) / 100))
}

# java_major <java binary>: prints the feature version (17, 21, 25, ...) of that Java, or nothing.
java_major() {
  local v
  v="$("$1" -version 2>&1 | awk -F'"' '/version/ {print $2; exit}')" || return 0
  v="${v#1.}"            # 1.8.0_x -> 8.0_x
  printf '%s\n' "${v%%[.+-]*}"
}

# find_java <min major> [preferred JAVA_HOME...]: prints a java binary of at least that version.
# Looks at the given homes, then $JAVA_HOME, `java` on PATH, and the JDKs under /usr/lib/jvm and
# /opt (newest first). Fails when none qualifies.
find_java() {
  local min="$1" c m
  shift
  local candidates=()
  for c in "$@" "${JAVA_HOME:-}"; do
    [[ -n "$c" && -x "$c/bin/java" ]] && candidates+=("$c/bin/java")
  done
  command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
  # shellcheck disable=SC2012
  while IFS= read -r c; do candidates+=("$c"); done < <(
    ls -d /usr/lib/jvm/*/bin/java /opt/*/bin/java /opt/java/*/bin/java 2>/dev/null | sort -rV || true)
  for c in "${candidates[@]}"; do
    m="$(java_major "$c")"
    if [[ "$m" =~ ^[0-9]+$ ]] && (( m >= min )); then
      printf '%s\n' "$c"
      return 0
    fi
  done
  die "no Java ${min}+ found (looked at: ${candidates[*]:-nothing}); install one or set JAVA_HOME"
}

# lock_install <dir>: holds an exclusive lock on <dir>/.install.lock (fd 8) until the calling
# script exits. Test files start brokers and registries in parallel, and an install that unpacks
# while another start runs the same files would pull them from under it; callers check their
# "already installed" marker after taking the lock.
lock_install() {
  mkdir -p "$1"
  exec 8>"$1/.install.lock"
  flock -w 900 8 || die "could not lock $1/.install.lock"
}

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "required command not found: $c"
  done
}

# pid_alive <pid>: true when a process with that PID exists (and is not a zombie).
pid_alive() {
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  state="$(ps -o stat= -p "$pid" 2>/dev/null || true)"
  [[ -n "$state" && "$state" != Z* ]]
}

# read_pidfile <file>: prints the PID stored in the file, or nothing.
read_pidfile() {
  [[ -f "$1" ]] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$1")"
  [[ -n "$pid" ]] && printf '%s\n' "$pid"
  return 0
}

# pidfile_cmdline_matches <pid> <needle>: guards against PID reuse — the process must still be
# the one we started (its command line contains <needle>, e.g. a unique run-dir path).
pid_cmdline_matches() {
  local pid="$1" needle="$2"
  [[ -r "/proc/${pid}/cmdline" ]] || return 1
  tr '\0' ' ' <"/proc/${pid}/cmdline" | grep -qF -- "$needle"
}

# stop_pidfile <pidfile> <needle> <name> [timeout_s]
# Stops exactly the process recorded in <pidfile>: SIGTERM, wait up to timeout, then SIGKILL.
# Removes the PID file. A stale PID file (dead process, or PID reused by an unrelated process)
# is just removed.
stop_pidfile() {
  local pidfile="$1" needle="$2" name="$3" timeout="${4:-30}"
  local pid
  pid="$(read_pidfile "$pidfile")"
  if [[ -z "$pid" ]]; then
    log "${name}: not running (no PID file at ${pidfile})"
    rm -f "$pidfile"
    return 0
  fi
  if ! pid_alive "$pid" || ! pid_cmdline_matches "$pid" "$needle"; then
    log "${name}: PID ${pid} from ${pidfile} is not running (stale PID file removed)"
    rm -f "$pidfile"
    return 0
  fi
  log "${name}: sending SIGTERM to PID ${pid}"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$(( $(date +%s) + timeout ))
  while pid_alive "$pid"; do
    if (( $(date +%s) >= deadline )); then
      log "${name}: PID ${pid} still alive after ${timeout}s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.2
  done
  rm -f "$pidfile"
  log "${name}: stopped"
}

# port_in_use <port>: true when something already listens on 127.0.0.1:<port>.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# tail_log <file> [lines]: dump the end of a log file to stderr (used on failures).
tail_log() {
  local f="$1" n="${2:-60}"
  if [[ -f "$f" ]]; then
    log "---- last ${n} lines of ${f} ----"
    tail -n "$n" "$f" >&2 || true
    log "---- end of ${f} ----"
  else
    log "(no log file at ${f})"
  fi
}

# mvn_batch: run Maven non-interactively and quietly, with the default ~/.m2 cache.
# Its output is kept back and shown (on stderr) only when it fails: Maven 3.8 prints stray ANSI
# reset codes even with -B -q. MAVEN_ARGS_EXTRA may add e.g. "-o" for offline runs.
mvn_batch() {
  require_cmd mvn
  local out rc=0
  out="$(mktemp)"
  # shellcheck disable=SC2086
  mvn -B -q --no-transfer-progress ${MAVEN_ARGS_EXTRA:-} "$@" >"$out" 2>&1 </dev/null || rc=$?
  if (( rc != 0 )); then
    sed -e 's/\x1b\[[0-9;]*m//g' "$out" >&2
  fi
  rm -f "$out"
  return "$rc"
}
