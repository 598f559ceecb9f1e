#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Downloads Apicurio Registry (io.apicurio:apicurio-registry-app:<version>:tar.gz:all) from Maven
# Central through Maven (so it lands in, and is reused from, ~/.m2) and unpacks it into
# .tools/registry/<version>/. Idempotent: a marker file makes later runs a fast no-op.
# Prints the path of quarkus-run.jar on stdout (last line).
#
# Env: APICURIO_VERSION (see version.env), TRIBUTARY_TOOLS_DIR, MAVEN_ARGS_EXTRA,
#      REGISTRY_FORCE_INSTALL=1 to unpack again.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
source "${SCRIPT_DIR}/../lib/common.sh"
# shellcheck source=./version.env
source "${SCRIPT_DIR}/version.env"
LOG_PREFIX="registry-install"

HOME_DIR="${TRIBUTARY_TOOLS_DIR}/registry/${APICURIO_VERSION}"
MARKER="${HOME_DIR}/.installed"
ARTIFACT="io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all"

lock_install "$HOME_DIR"
# The marker holds the path of quarkus-run.jar, relative to HOME_DIR.
if [[ "${REGISTRY_FORCE_INSTALL:-0}" != 1 && -s "$MARKER" && -f "${HOME_DIR}/$(cat "$MARKER")" ]]; then
  log "Apicurio Registry ${APICURIO_VERSION} already installed in ${HOME_DIR}"
  printf '%s\n' "${HOME_DIR}/$(cat "$MARKER")"
  exit 0
fi

require_cmd mvn tar
start_ms="$(now_ms)"
log "fetching ${ARTIFACT} from Maven Central (about 160 MB on a cold ~/.m2)..."
mkdir -p "$HOME_DIR"
WORK="$(mktemp -d "${HOME_DIR}/.install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# dependency:copy works without a project pom when the plugin is named in full; the tarball is
# cached in ~/.m2 like any other artifact, so a re-install after deleting .tools costs no download.
mvn_batch "${MAVEN_DEPENDENCY_PLUGIN}:copy" \
  -Dartifact="${ARTIFACT}" \
  -DoutputDirectory="${WORK}" \
  -Dmdep.useBaseVersion=true \
  || die "mvn failed to fetch ${ARTIFACT} (is Maven Central reachable?)"

tarball="$(find "$WORK" -maxdepth 1 -name '*.tar.gz' | head -n 1)"
[[ -n "$tarball" ]] || die "no tarball found after mvn copy"
mkdir -p "${WORK}/app"
tar -xzf "$tarball" -C "${WORK}/app"
rm -f "$tarball"

# The tarball is a Quarkus "fast-jar" (quarkus-run.jar, lib/, app/, quarkus/); in 3.3.x it sits at
# the root of the tarball. Take the shallowest quarkus-run.jar in case a version nests it.
jar_rel="$(cd "${WORK}/app" && find . -name quarkus-run.jar | awk -F/ '{print NF" "$0}' | sort -n | head -n 1 | cut -d' ' -f2-)"
[[ -n "$jar_rel" ]] || die "quarkus-run.jar not found in ${ARTIFACT}"
jar_rel="${jar_rel#./}"

# Record the Java version the app needs (3.3.x is compiled for Java 21: class file major 65),
# read from the first class of the application jar; start.sh picks a matching JDK.
java_min=17
app_jar="$(find "${WORK}/app/$(dirname "$jar_rel")/app" -maxdepth 1 -name '*.jar' 2>/dev/null | head -n 1)"
if [[ -n "$app_jar" ]] && command -v unzip >/dev/null 2>&1; then
  cls="$(unzip -Z1 "$app_jar" | grep '\.class$' | head -n 1 || true)"
  if [[ -n "$cls" ]]; then
    major="$(unzip -p "$app_jar" "$cls" | od -An -j6 -N2 -tu1 | awk '{print $1 * 256 + $2}')"
    [[ "$major" =~ ^[0-9]+$ ]] && (( major > 44 )) && java_min=$(( major - 44 ))
  fi
fi
printf '%s\n' "$java_min" >"${HOME_DIR}/.java-min"

rm -rf "${HOME_DIR}/app"
mv "${WORK}/app" "${HOME_DIR}/app"
printf '%s\n' "app/${jar_rel}" >"$MARKER"
log "installed Apicurio Registry ${APICURIO_VERSION} ($(du -sh "${HOME_DIR}/app" | cut -f1)) in $(elapsed_since "$start_ms")"
printf '%s\n' "${HOME_DIR}/app/${jar_rel}"
