#!/usr/bin/env bash
# Installs HAProxy from the distribution's packages when it is missing (the load-balancer suite,
# test/cluster/, runs three replicas behind it). Quiet and a no-op when haproxy is already on PATH.
set -euo pipefail
if command -v haproxy >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-haproxy: haproxy is missing and this is not root; install the 'haproxy' package" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq haproxy >/dev/null 2>&1 || {
  apt-get update -qq >/dev/null && apt-get install -y -qq haproxy >/dev/null
}
# The package's own service is not wanted: the suite starts haproxy in the foreground itself.
if command -v service >/dev/null 2>&1; then service haproxy stop >/dev/null 2>&1 || true; fi
haproxy -v | head -1
