#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what is missing,
# builds, starts a local redis-server and the dev broker, loads a generated
# 90-day history of a 40-rep org, routes a fresh day of leads with the
# worker, shows the assignments with their reasons and the scorecard, and
# writes the HTML scorecards (their path is printed last).
# Everything it starts is stopped at the end.  Usage: bash ops/demo.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash ops/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target leadrouter
LR=$root/build/leadrouter

TENANT=${TENANT:-demo}
REPS=${REPS:-40}
LEADS=${LEADS:-400}
SEED=${SEED:-7}
TODAY=$(date -u +%F)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$(free_port)
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$work" \
  --logfile "$work/redis.log" & pids+=($!)
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done

"$LR" dev-broker --partitions 4 >"$work/broker.out" 2>"$work/broker.log" & pids+=($!)
until [ -s "$work/broker.out" ]; do sleep 0.1; done
BROKERS=$(head -1 "$work/broker.out")
echo "== redis-server on 127.0.0.1:$rport, dev broker at $BROKERS"

hport=$(free_port)
cat >"$work/worker.yaml" <<YAML
kafka:
  bootstrap.servers: $BROKERS
redis:
  url: redis://127.0.0.1:$rport/0
http:
  listen: 127.0.0.1:$hport
worker:
  clock: event          # timers follow the generated day's event time
policy:
  max_open_leads: 40
  # The generated fresh day has no calls (nobody knows in advance who gets
  # which lead), so a first-touch SLA would reassign every lead; see
  # `leadrouter simulate` for the closed loop with calls and SLAs.
  sla_first_touch_seconds: 0
YAML
"$LR" run --config "$work/worker.yaml" 2>"$work/worker.log" & pids+=($!)
worker=$!

applied() { redis-cli -p "$rport" exists "lr:{$TENANT}:e:$1"; }

echo "== generating and loading a 90-day history of a $REPS-rep org"
"$LR" generate --tenant "$TENANT" --reps "$REPS" --days 90 --seed "$SEED" --end "$TODAY" >"$work/history.jsonl"
echo "   $(wc -l <"$work/history.jsonl") events"
# In chunks, each applied before the next: the dev broker keeps only a few
# MB per partition, and one tenant's events share one partition.
split -l 10000 "$work/history.jsonl" "$work/chunk."
start=$(date +%s.%N)
for chunk in "$work"/chunk.*; do
  "$LR" produce --brokers "$BROKERS" <"$chunk" 2>/dev/null
  last=$(tail -1 "$chunk" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["event"]["event_id"])')
  until [ "$(applied "$last")" = 1 ]; do
    kill -0 "$worker" 2>/dev/null || { cat "$work/worker.log"; exit 1; }
    sleep 0.2
  done
done
echo "   history applied in $(/usr/bin/python3 -c "import time; print('%.1f' % (time.time() - $start))") s"

echo "== routing a fresh day ($TODAY) of $LEADS leads"
"$LR" generate --tenant "$TENANT" --reps "$REPS" --days 0 --seed "$SEED" --end "$TODAY" \
  --fresh-day "$LEADS" >"$work/today.jsonl"
"$LR" produce --brokers "$BROKERS" <"$work/today.jsonl" 2>/dev/null
/usr/bin/python3 "$root/ops/show_assignments.py" "$BROKERS" "$LEADS" "$work/worker.log"

echo "== scorecard of $TENANT as of $TODAY"
"$LR" scorecard --tenant "$TENANT" --set "redis.url=redis://127.0.0.1:$rport/0"

echo "== the worker's metrics (GET http://127.0.0.1:$hport/metrics)"
/usr/bin/python3 -c 'import sys, urllib.request
for l in urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().splitlines():
    if not l.startswith("#"):
        print("   " + l)' "http://127.0.0.1:$hport/metrics"

echo "== HTML scorecards (tenant page and one page per rep, self-contained)"
out="$root/build/scorecards/$TENANT"
rm -rf "$out"
mkdir -p "$root/build/scorecards"
"$LR" scorecard --tenant "$TENANT" --set "redis.url=redis://127.0.0.1:$rport/0" --out "$out" >/dev/null
echo "   open $out/index.html"
