#!/bin/sh
# Installs the Debian 12 packages the hub needs to build, run and test.
# As root it runs apt-get; otherwise it prints the exact command to run.
# Usage: deploy/install-deps.sh [--check]   (--check: exit 1 if something is missing)
set -eu
PKGS="build-essential pkg-config libzmq3-dev libprotobuf-c-dev protobuf-c-compiler
protobuf-compiler liblmdb-dev lmdb-utils libuv1-dev libjansson-dev libinih-dev
libcmocka-dev libcurl4-openssl-dev libsodium-dev libmicrohttpd-dev
python3 python3-zmq python3-protobuf python3-jsonschema python3-rfc3987 python3-aiosmtpd
chromium chromium-driver python3-selenium fonts-wqy-zenhei
clang libclang-rt-14-dev iproute2
systemd curl"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "${1:-}" = "--check" ]; then echo "missing:$missing"; exit 1; fi
if [ "$(id -u)" -eq 0 ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y --no-install-recommends $missing || { apt-get update && apt-get install -y --no-install-recommends $missing; }
else
  echo "install-deps: missing packages. Run as root:"
  echo "  sudo apt-get install -y$missing"
  exit 1
fi
