#!/usr/bin/env bash
# The end-to-end benchmark of leadrouter: starts its own redis-server (on a
# free loopback port, no persistence) and its own `leadrouter dev-broker`,
# runs tests/bench/bench_e2e.py against them, then stops everything it
# started. Prints numbers; asserts nothing about timing.
#
#   bash tests/bench/run.sh [bench_e2e.py options]    (--help lists them)
#
# LEADROUTER=path/to/leadrouter picks the binary (default build/leadrouter,
# built RelWithDebInfo when missing); LR_BENCH_KEEP=1 keeps the logs.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

LEADROUTER=${LEADROUTER:-$root/build/leadrouter}
if [ ! -x "$LEADROUTER" ]; then
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$root/build" -j"$(nproc)" --target leadrouter
  LEADROUTER=$root/build/leadrouter
fi
PARTITIONS=${PARTITIONS:-8}

work=$(mktemp -d)
redis_pid=""
broker_pid=""
cleanup() {
  for p in $broker_pid $redis_pid; do
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  if [ -n "${LR_BENCH_KEEP:-}" ]; then echo "logs kept in $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

port=$(free_port)
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 100); do
  kill -0 "$redis_pid" 2>/dev/null || { cat "$work/redis.log"; exit 1; }
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -p "$port" ping >/dev/null

"$LEADROUTER" dev-broker --partitions "$PARTITIONS" >"$work/broker.out" 2>"$work/broker.log" &
broker_pid=$!
for _ in $(seq 100); do
  [ -s "$work/broker.out" ] && break
  kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker.log"; exit 1; }
  sleep 0.05
done
brokers=$(head -1 "$work/broker.out")

export LEADROUTER LR_SOURCE_DIR="$root"
export LR_BENCH_REDIS_PORT=$port LR_BENCH_REDIS_PID=$redis_pid
export LR_BENCH_BROKERS=$brokers LR_BENCH_BROKER_PID=$broker_pid
export LR_BENCH_PARTITIONS=$PARTITIONS LR_BENCH_WORK=$work
echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port (pid $redis_pid)," \
  "dev broker at $brokers with $PARTITIONS partitions (pid $broker_pid), $(nproc) CPUs"
/usr/bin/python3 "$root/tests/bench/bench_e2e.py" "$@"
