#!/usr/bin/env bash
# docker-compose.yml is for users with Docker (none runs here): validate it.
set -euo pipefail
src=${LR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$src"
docker-compose -f docker-compose.yml config -q
services=$(docker-compose -f docker-compose.yml config --services | sort | tr '\n' ' ')
for s in kafka redis worker-1 worker-2; do
  grep -qw "$s" <<<"$services" || { echo "FAIL: service $s missing ($services)"; exit 1; }
done
echo "compose: valid, services: $services"
