#!/usr/bin/env bash
# Install everything the test suite needs: the package with its "testing"
# extra, and the system clients the integration tests drive (curl, nginx,
# nghttp2-client for h2load, haproxy for tests/proxies). Safe to run again; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python -m pip install -q -e ".[testing]"

missing=()
command -v curl >/dev/null 2>&1 || missing+=(curl)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v h2load >/dev/null 2>&1 || missing+=(nghttp2-client)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || missing+=(haproxy)
if [ ${#missing[@]} -gt 0 ]; then
  if command -v apt-get >/dev/null 2>&1; then
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "warning: please install: ${missing[*]}" >&2
  fi
fi
