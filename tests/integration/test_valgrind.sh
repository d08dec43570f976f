#!/usr/bin/env bash
# The worker under valgrind (memcheck, full leak check) on a short stream of
# good and bad messages: reps, leads, outcomes, and bytes that are not
# Confluent-framed, an unknown schema id, a truncated body, an oversized
# body. It must route the good leads, dead-letter the bad messages, stop on
# SIGTERM, and valgrind must report no memory error and no definite or
# indirect leak (--error-exitcode). Suppressions (tests/valgrind.supp) are
# for third-party code only, each with its reason.
# Skipped in a sanitizer build (valgrind cannot run ASan binaries).
set -euo pipefail
LR=${LEADROUTER:-build/leadrouter}
SRC=${LR_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
: "${LR_TEST_REDIS_URL:?needs a redis-server}"
if ! command -v valgrind >/dev/null; then
  echo "FAIL: valgrind is not installed (ops/install-deps.sh installs it)"; exit 1
fi
if nm "$LR" 2>/dev/null | grep -q __asan_init || ldd "$LR" | grep -q libasan; then
  echo "valgrind: skipped, $LR is built with AddressSanitizer"; exit 0
fi

dir=$(mktemp -d)
ns="vg$$"
broker=""
worker=""
cleanup() {
  [ -n "$worker" ] && kill -KILL "$worker" 2>/dev/null && wait "$worker" 2>/dev/null || true
  [ -n "$broker" ] && kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null || true
  redis-cli -u "$LR_TEST_REDIS_URL" --scan --pattern "$ns:*" |
    xargs -r redis-cli -u "$LR_TEST_REDIS_URL" unlink >/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT

"$LR" dev-broker >"$dir/broker.out" 2>"$dir/broker.log" &
broker=$!
for _ in $(seq 100); do [ -s "$dir/broker.out" ] && break; sleep 0.1; done
bs=$(head -1 "$dir/broker.out")
[ -n "$bs" ] || { echo "FAIL: dev-broker printed no bootstrap list"; exit 1; }

cat >"$dir/w.yaml" <<EOF
kafka:
  bootstrap.servers: $bs
  group.id: $ns
  session.timeout.ms: 30000
redis:
  url: $LR_TEST_REDIS_URL
  namespace: $ns
http:
  listen: 127.0.0.1:0
EOF

valgrind --tool=memcheck --leak-check=full --show-leak-kinds=definite,indirect \
  --errors-for-leak-kinds=definite,indirect --error-exitcode=99 \
  --suppressions="$SRC/tests/valgrind.supp" --gen-suppressions=all \
  --num-callers=30 --log-file="$dir/valgrind.log" \
  "$LR" run --config "$dir/w.yaml" 2>"$dir/worker.log" &
worker=$!

day=$(( ($(date +%s) / 86400 - 3) * 86400 * 1000 ))
t8=$((day + 8 * 3600000)) t10=$((day + 10 * 3600000))
{
  for r in 1 2 3; do
    printf '{"topic":"rep-status","event":{"event_id":"vg-rs-%d","tenant_id":"vg","rep_id":"r%d","occurred_at":%d,"status":"AVAILABLE","display_name":"Rep %d","regions":["EU"],"max_open_leads":50}}\n' "$r" "$r" "$t8" "$r"
  done
  for i in $(seq 1 4); do
    printf '{"topic":"call-outcome","event":{"event_id":"vg-co-%d","tenant_id":"vg","rep_id":"r%d","lead_id":"old%d","occurred_at":%d,"outcome":"CLOSED_WON","deal_value_cents":1000}}\n' "$i" $((i % 3 + 1)) "$i" $((t8 + i))
  done
  for i in $(seq 1 10); do
    printf '{"topic":"lead-created","event":{"event_id":"vg-lc-%d","tenant_id":"vg","lead_id":"L%d","created_at":%d,"score":%d,"attributes":{"k":"v"}}}\n' "$i" "$i" $((t10 + i * 1000)) $((i * 9))
  done
} >"$dir/good.jsonl"
"$LR" produce --brokers "$bs" <"$dir/good.jsonl" >/dev/null
# Bad messages: not framed, unknown schema id, truncated, oversized.
printf 'hello, not avro' | kcat -P -b "$bs" -t lead-created -k vg
printf '\x00\x00\x00\x03\xe7abcdef' | kcat -P -b "$bs" -t lead-created -k vg
printf '\x00\x00\x00\x00\x01\x02\x04' | kcat -P -b "$bs" -t call-outcome -k vg
head -c 300000 /dev/zero | kcat -P -b "$bs" -t rep-status -k vg

want_dlq=4
got=0
for _ in $(seq 600); do
  got=$(kcat -C -b "$bs" -t lead-assigned -o beginning -e -q -f '%k\n' 2>/dev/null | grep -c . || true)
  dlq=$(kcat -C -b "$bs" -t lead-router-dlq -o beginning -e -q -f '%k\n' 2>/dev/null | grep -c . || true)
  [ "$got" -ge 10 ] && [ "$dlq" -ge "$want_dlq" ] && break
  kill -0 "$worker" 2>/dev/null || break
  sleep 0.5
done
[ "$got" -ge 10 ] || { echo "FAIL: $got of 10 leads routed under valgrind"; tail -30 "$dir/worker.log"; exit 1; }
[ "$dlq" -ge "$want_dlq" ] || { echo "FAIL: $dlq of $want_dlq dead letters"; tail -30 "$dir/worker.log"; exit 1; }

# The HTTP thread serves a scrape while the worker runs under valgrind.
port=$(sed -n 's/.*http.listen .* (port \([0-9]*\)).*/\1/p' "$dir/worker.log" | head -1)
metrics=$(/usr/bin/python3 -c 'import sys, urllib.request; print(urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read().decode())' "$port") \
  || { echo "FAIL: no /metrics on port '$port'"; tail -30 "$dir/worker.log"; exit 1; }
decisions=$(sed -n 's/^leadrouter_decisions_total //p' <<<"$metrics")
[ "${decisions:-0}" -ge 10 ] || { echo "FAIL: /metrics: $metrics"; exit 1; }

kill -TERM "$worker"
rc=0; wait "$worker" || rc=$?
worker=""
grep -q "stopped" "$dir/worker.log" || { echo "FAIL: no clean stop"; tail -30 "$dir/worker.log"; exit 1; }
summary=$(grep -E "ERROR SUMMARY|definitely lost|indirectly lost" "$dir/valgrind.log" || true)
if [ "$rc" -ne 0 ]; then
  echo "FAIL: exit status $rc under valgrind (99: memory errors or leaks)"
  cat "$dir/valgrind.log"
  exit 1
fi
echo "$summary"
echo "valgrind: 10 leads routed, $dlq dead letters, clean stop, no memory error, no definite or indirect leak"
