#!/usr/bin/env bash
# Brings the real Maven artifacts the tests need onto this machine, through `mvn` only, into a
# dedicated local repository (default ~/.cache/kclrs-test/m2, override KCLRS_TEST_M2). For each
# root listed in tests/maven/roots.txt it writes a one-dependency pom and runs the pinned
# maven-dependency-plugin's `list` goal, which downloads the runtime closure (POMs and jars) and
# records Maven's own answer in <m2>/../reference/<name>.txt for the resolution tests.
# Idempotent: a root whose reference list exists is skipped. Finally it installs (only when missing)
# what the end-to-end test needs: moto and boto3 (pip) and nginx (apt), see tests/e2e/install.sh.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
ref=$(dirname "$m2")/reference
plugin=org.apache.maven.plugins:maven-dependency-plugin:3.8.1
mkdir -p "$m2" "$ref"
while read -r name coords; do
  case "$name" in ''|'#'*) continue ;; esac
  [ -s "$ref/$name.txt" ] && continue
  IFS=: read -r g a rest <<<"$coords"
  v=${coords##*:}
  parts=$(awk -F: '{print NF}' <<<"$coords")
  type=jar classifier=
  if [ "$parts" -ge 4 ]; then type=$(cut -d: -f3 <<<"$coords"); fi
  if [ "$parts" -eq 5 ]; then classifier=$(cut -d: -f4 <<<"$coords"); fi
  work=$(mktemp -d)
  cat >"$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>kclrs.test</groupId><artifactId>root-$name</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies><dependency>
    <groupId>$g</groupId><artifactId>$a</artifactId><version>$v</version>
    <type>$type</type>${classifier:+<classifier>$classifier</classifier>}
  </dependency></dependencies>
</project>
POM
  echo "prepare: resolving $coords with mvn" >&2
  (cd "$work" && mvn -B -q -Dmaven.repo.local="$m2" "$plugin:list" \
     -DincludeScope=runtime -DoutputFile="$work/list.txt" -DappendOutput=false >"$work/mvn.log" 2>&1) \
    || { cat "$work/mvn.log" >&2; exit 1; }
  mv "$work/list.txt" "$ref/$name.txt"
  rm -rf "$work"
done <"$here/maven/roots.txt"
# Maven 4 (a release candidate: no final 4.x is served yet), for the test that the mvn fallback's
# work folder ignores a planted `.mvn/` under both Maven 3 and 4 (tests/cli/local_users.rs).
maven4=org.apache.maven:apache-maven:4.0.0-rc-5:tar.gz:bin
if [ ! -s "$m2/org/apache/maven/apache-maven/4.0.0-rc-5/apache-maven-4.0.0-rc-5-bin.tar.gz" ]; then
  echo "prepare: fetching $maven4 with mvn" >&2
  work=$(mktemp -d)
  (cd "$work" && mvn -B -q -Dmaven.repo.local="$m2" "$plugin:get" -Dtransitive=false \
     -Dartifact="$maven4" >"$work/mvn.log" 2>&1) || { cat "$work/mvn.log" >&2; exit 1; }
  rm -rf "$work"
fi
echo "prepare: Maven artifacts ready in $m2" >&2
bash "$here/e2e/install.sh"
