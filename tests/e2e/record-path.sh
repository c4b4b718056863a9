#!/usr/bin/env bash
# Makes src/bundle/record-path.classlist again: the classes a real run of the daemon loads that
# `kclrs bundle`'s training run does not reach (docs/bundle.md, "The CDS archive").
#   1. flow.sh's first run with plain java (JDK 17) on the local emulators, with
#      -XX:DumpLoadedClassList: every class the daemon loaded, leases, records, checkpoints and
#      shutdown included;
#   2. `kclrs bundle` of the built-in lock with the same JDK: its training run's list, the part of
#      cds/classlist before kclrs's record-path mark;
#   3. the names of 1 missing from 2, in first-load order, without dynamic proxies (their names
#      are numbered per run and never archived).
# Usage: bash tests/e2e/record-path.sh [KCLRS_BIN] > src/bundle/record-path.classlist
# (KCLRS_BIN defaults to target/release/kclrs; needs tests/prepare.sh's repository and emulators.)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
bin=${1:-$repo/target/release/kclrs}
java_home=${KCLRS_E2E_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

KCLRS_E2E_ONE_RUN=1 KCLRS_E2E_DAEMON_ENV="JDK_JAVA_OPTIONS=-XX:DumpLoadedClassList=$work/full.classlist" \
  bash "$here/flow.sh" "$work/flow" java >"$work/flow.log" 2>&1 || { tail -n 20 "$work/flow.log" >&2; exit 1; }
"$bin" bundle --dest "$work/kcl" --java "$java_home" --cache-dir "$work/cache" \
  --repository "file://$m2/" --no-mvn --no-local-repo >&2
mark=$(sed -n 's/^pub const RECORD_PATH_MARK: &str = "\(.*\)";$/\1/p' "$repo/src/bundle/cds.rs")
[ -n "$mark" ] || { echo "record-path: no RECORD_PATH_MARK in src/bundle/cds.rs" >&2; exit 1; }

kcl=$(sed -n 's/^roots = \["software.amazon.kinesis:amazon-kinesis-client-multilang:\(.*\)"\]$/\1/p' "$repo/jars.lock")
jdk=$("$java_home/bin/java" -version 2>&1 | sed -n 's/^openjdk version "\(.*\)".*/\1/p')
cat <<EOF
# kclrs bundle: the record path's classes. What the daemon loads in a real run (leases taken,
# GetRecords parsed, records through the processor protocol, checkpoints, shutdown) that the
# bundle's training run does not reach, whose endpoints drop every connection. Merged after the
# training run's class list at bundle time; names the bundle's runtime or jars do not have are
# skipped by the dump. One class per line, in first-load order.
# Made by tests/e2e/record-path.sh: KCL $kcl multilang (jars.lock), OpenJDK $jdk,
# tests/e2e/flow.sh's first run on the local emulators, minus \`kclrs bundle\`'s training list.
EOF
awk -v mark="$mark" '
  FNR == 1 { file++ }
  file == 1 && $0 == mark { done = 1 }
  file == 1 { if (!done && $0 !~ /^[#@]/) trained[$1] = 1; next }
  /^[#@]/ || $1 ~ /^jdk\/proxy/ { next }
  !($1 in trained) && !seen[$1]++ { print $1 }
' "$work/kcl/cds/classlist" "$work/full.classlist"
