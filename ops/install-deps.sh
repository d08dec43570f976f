#!/usr/bin/env bash
# Installs what leadrouter needs to build, run and test on Debian 12
# (all from Debian's own packages). Safe to run again; skips apt when
# everything is already there.
set -euo pipefail

PACKAGES=(
  build-essential cmake pkg-config clang clang-format libclang-rt-14-dev
  librdkafka-dev libavro-dev libhiredis-dev libjansson-dev libyaml-dev
  libcurl4-openssl-dev
  redis-server redis-tools tzdata
  kcat openssl python3 python3-confluent-kafka python3-avro python3-redis
  docker-compose valgrind
  chromium chromium-driver python3-selenium python3-pil fonts-dejavu-core
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
