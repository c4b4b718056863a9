#!/usr/bin/env bash
# Prints the classpath of Maven's own resolution of the KCL multilang closure, in Maven's order,
# from the local repository that tests/prepare.sh fills. Used by the plain-java walkthrough only:
# kclrs itself builds the classpath from jars.lock.
set -euo pipefail
m2=${KCLRS_TEST_M2:-$HOME/.cache/kclrs-test/m2}
ref=${KCLRS_TEST_REFERENCE:-$(dirname "$m2")/reference/kcl-multilang.txt}
[ -s "$ref" ] || { echo "e2e: $ref is missing; run: bash tests/prepare.sh" >&2; exit 1; }
cp=
while read -r coords _; do
  IFS=: read -r g a ext rest <<<"$coords"
  n=$(awk -F: '{print NF}' <<<"$coords")
  if [ "$n" -eq 6 ]; then IFS=: read -r g a ext cls v scope <<<"$coords"; else IFS=: read -r g a ext v scope <<<"$coords"; cls=; fi
  f="$m2/${g//.//}/$a/$v/$a-$v${cls:+-$cls}.$ext"
  [ -f "$f" ] || { echo "e2e: $f is missing (listed in $ref)" >&2; exit 1; }
  cp=${cp:+$cp:}$f
done < <(grep -E '^\s+[^ ]+:[^ ]+:[^ ]+:' "$ref" | sed 's/^ *//')
printf '%s\n' "$cp"
