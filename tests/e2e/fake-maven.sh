#!/usr/bin/env bash
# fake-maven.sh DIR URL: writes a stand-in Maven installation into DIR for runs that must show
# what "nothing configured" does without leaving the machine: `DIR/lib/maven-model-builder-3.9.9.jar`
# holds a super POM whose `central` is URL (a loopback server), which is where kclrs reads
# Maven's central from; `DIR/bin/mvn` only touches DIR/mvn-ran and fails, so a run that should
# not need mvn can check it never ran. Put DIR/bin first on PATH. Used by bench/first-run.sh and
# tests/docs/run-blocks.sh.
set -euo pipefail
dir=${1:?usage: fake-maven.sh DIR URL}
url=${2:?usage: fake-maven.sh DIR URL}
mkdir -p "$dir/bin" "$dir/lib"
rm -f "$dir/mvn-ran"
cat >"$dir/bin/mvn" <<SH
#!/bin/sh
touch '$dir/mvn-ran'
exit 1
SH
chmod +x "$dir/bin/mvn"
python3 - "$dir/lib/maven-model-builder-3.9.9.jar" "$url" <<'PY'
import sys, zipfile
jar, url = sys.argv[1], sys.argv[2]
pom = f"""<?xml version="1.0" encoding="UTF-8"?>
<project><modelVersion>4.0.0</modelVersion>
<repositories><repository><id>central</id><name>Central Repository</name><url>{url}</url>
<layout>default</layout><snapshots><enabled>false</enabled></snapshots></repository></repositories>
</project>
"""
with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("org/apache/maven/model/pom-4.0.0.xml", pom)
PY
