#!/usr/bin/env bash
# Installs what the e2e test needs, by package name through the ordinary clients, only when it is
# missing: moto's server and boto3 (pip) for the Kinesis/DynamoDB emulator and the test's own
# calls, nginx (apt) for the HTTP/2 front. Idempotent; meant to be called from .ci/run.
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
# Installing the Debian package starts a system nginx on port 80; the test never uses it.
java17=${KCLRS_E2E_JAVA:-/usr/lib/jvm/java-17-openjdk-amd64}
[ -x "$java17/bin/java" ] || command -v java >/dev/null || { echo "e2e: no Java found" >&2; exit 1; }
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
echo "e2e: moto $(python3 -c 'import moto; print(moto.__version__)'), $("$nginx_bin" -v 2>&1)" >&2
