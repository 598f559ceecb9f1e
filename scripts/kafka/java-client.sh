#!/usr/bin/env bash
# Runs one of the Java programs in scripts/kafka/ (e.g. TransactionOracle) with the broker's own jars on
# the classpath, so tests can use Kafka's Java clients as an oracle. Installs the jars if needed and
# compiles the program once per Kafka version (again when its source changes) into
# .tools/kafka/<version>/java-clients/. stdin and stdout belong to the program; the clients' own
# logging (errors only) and this script's progress go to stderr.
#
# Usage: scripts/kafka/java-client.sh <ClassName> [args...]
# Env: KAFKA_VERSION (version.env), KAFKA_JAVA_HOME, JAVA_HOME, TRIBUTARY_TOOLS_DIR.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
# shellcheck source=./version.env
source "${SCRIPT_DIR}/version.env"
LOG_PREFIX="kafka-java-client"

(( $# >= 1 )) || die "usage: java-client.sh <ClassName> [args...]"
CLASS="$1"
shift
SOURCE="${SCRIPT_DIR}/${CLASS}.java"
[[ -f "$SOURCE" ]] || die "no program ${SOURCE}"

case "$KAFKA_VERSION" in 3.*) JAVA_MIN=11 ;; *) JAVA_MIN=17 ;; esac
JAVA="$(find_java "$JAVA_MIN" "${KAFKA_JAVA_HOME:-}")"
LIBS_DIR="$("${SCRIPT_DIR}/install.sh" | tail -n 1)"
[[ -d "$LIBS_DIR" ]] || die "install.sh did not produce a libs dir"
OUT_DIR="$(dirname "$LIBS_DIR")/java-clients"

# Compile into a fresh directory and move it into place, so concurrent callers never see half a class.
if [[ ! -f "${OUT_DIR}/${CLASS}.class" || "$SOURCE" -nt "${OUT_DIR}/${CLASS}.class" ]]; then
  JAVAC="$(dirname "$JAVA")/javac"; [[ -x "$JAVAC" ]] || JAVAC=javac
  mkdir -p "$OUT_DIR"
  WORK="$(mktemp -d "${OUT_DIR}/.compile.XXXXXX")"
  "$JAVAC" -nowarn -cp "${LIBS_DIR}/*" -d "$WORK" "$SOURCE" >&2 \
    || { rm -rf "$WORK"; die "could not compile ${SOURCE} (a JDK, not a JRE, is needed)"; }
  for f in "$WORK"/*.class; do mv -f "$f" "$OUT_DIR/"; done
  rm -rf "$WORK"
fi

# The clients log through the broker's logging backend: errors only, to stderr.
if [[ "$KAFKA_LOG_BACKEND" == log4j2 ]]; then
  LOGCFG="${OUT_DIR}/log4j2-stderr.properties"
  [[ -f "$LOGCFG" ]] || cat >"$LOGCFG" <<EOF
status = error
appender.err.type = Console
appender.err.name = ERR
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = ERROR
rootLogger.appenderRef.err.ref = ERR
EOF
  LOG_OPT="-Dlog4j2.configurationFile=${LOGCFG}"
else
  LOGCFG="${OUT_DIR}/log4j-stderr.properties"
  [[ -f "$LOGCFG" ]] || cat >"$LOGCFG" <<EOF
log4j.rootLogger=ERROR, err
log4j.appender.err=org.apache.log4j.ConsoleAppender
log4j.appender.err.Target=System.err
log4j.appender.err.layout=org.apache.log4j.PatternLayout
log4j.appender.err.layout.ConversionPattern=[%d] %p %m (%c)%n
EOF
  LOG_OPT="-Dlog4j.configuration=file:${LOGCFG}"
fi

exec "$JAVA" -Xmx256m -XX:TieredStopAtLevel=1 "$LOG_OPT" -cp "${LIBS_DIR}/*:${OUT_DIR}" "$CLASS" "$@"
