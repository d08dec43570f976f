#!/usr/bin/env bash
# Runs every test of leadrouter on a Debian 12 machine:
#   1. installs what is missing (Debian packages),
#   2. starts a real redis-server on a free loopback port (each integration
#      test starts its own `leadrouter dev-broker` and stops it),
#   3. builds with warnings as errors and runs the whole suite (ctest),
#   4. builds with ASan/UBSan and runs the whole suite again,
#   5. runs the Avro decoder fuzzer (libFuzzer) for a bounded time,
#   6. checks that every C file follows .clang-format,
# then stops what it started.  Usage: bash tests/run.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

bash ops/install-deps.sh

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
work=$(mktemp -d)
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
  --dir "$work" --logfile "$work/redis.log" &
redis_pid=$!
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
redis-cli -p "$port" ping >/dev/null
export LR_TEST_REDIS_URL="redis://127.0.0.1:$port/0"
export LR_TEST_REDIS_PORT="$port"
echo "redis-server $(redis-server --version | awk '{print $3}') on 127.0.0.1:$port"

passed=0
failed=0
run_suite() { # build-dir cmake-args...
  local dir=$1; shift
  cmake -S "$root" -B "$root/$dir" -DLR_WERROR=ON "$@" >/dev/null
  cmake --build "$root/$dir" -j2
  local log="$work/$dir.ctest.log" rc=0
  # Three at a time: the integration tests mostly wait (on timers, SLAs,
  # outages), each on its own broker and namespace.
  (cd "$root/$dir" && ctest --output-on-failure --timeout 900 -j3) 2>&1 | tee "$log" || rc=$?
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  if [ -n "$line" ]; then
    local total nfail
    total=$(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line")
    nfail=$(sed -E 's/.*passed, ([0-9]+) tests failed.*/\1/' <<<"$line")
    passed=$((passed + total - nfail)); failed=$((failed + nfail))
  else
    failed=$((failed + 1))
  fi
  return 0
}

echo "== build and test (warnings as errors)"
run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo

echo "== build and test under ASan/UBSan"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export LSAN_OPTIONS=suppressions="$root/tests/lsan.supp":print_suppressions=0
# The crash test's 200,000-event run is the plain pass's; under the
# sanitizers the same kills and Redis crash over half the stream.
LR_CRASH_EVENTS=${LR_CRASH_EVENTS_ASAN:-100000} \
  run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DLR_SANITIZE=ON

echo "== fuzz the decoder for ${FUZZ_SECONDS}s"
CC=clang cmake -S "$root" -B "$root/build-fuzz" -DLR_FUZZ=ON -DLR_SANITIZE=ON \
  -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$root/build-fuzz" -j2 --target fuzz_decode
mkdir -p "$work/corpus"
cp "$root"/tests/fuzz/corpus_decode/* "$work/corpus/" 2>/dev/null || true
if "$root/build-fuzz/tests/fuzz_decode" -max_total_time="$FUZZ_SECONDS" \
     -rss_limit_mb=2048 -print_final_stats=1 "$work/corpus" >"$work/fuzz.log" 2>&1; then
  grep -E 'stat::number_of_executed_units|Done' "$work/fuzz.log" | tail -2
  passed=$((passed + 1))
else
  tail -50 "$work/fuzz.log"
  failed=$((failed + 1))
fi

echo "== style: clang-format $(clang-format --version | grep -o '[0-9][0-9.]*' | head -1)"
# shellcheck disable=SC2046
if deviations=$(clang-format --dry-run $(git ls-files '*.c' '*.h' 2>/dev/null ||
                  find src include tests -name '*.[ch]') 2>&1) && [ -z "$deviations" ]; then
  echo "style ok"
  passed=$((passed + 1))
else
  grep 'warning:' <<<"$deviations" | head -20
  echo "style: $(grep -c 'warning:' <<<"$deviations") deviations from .clang-format (clang-format -i FILE...)"
  failed=$((failed + 1))
fi

echo "summary: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
