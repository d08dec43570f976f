#!/usr/bin/env bash
# The main job, on a fresh Debian 12 machine: installs what is missing,
# builds, starts a local redis-server and the dev broker, loads a generated
# 90-day history of a 40-rep org (each lead's assignment as a CRM import
# carries it, then its calls and deals), routes a fresh day of leads with
# the worker, and shows the assignments with their reasons, the leads that
# wait and why, and the scorecard; writes the HTML scorecards (tenant page
# and one page per rep; their path is printed last). Everything it starts
# is stopped at the end.  Usage: bash ops/demo.sh
set -euo pipefail
started=$(date +%s)
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash ops/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target leadrouter
LR=$root/build/leadrouter
PY=/usr/bin/python3

TENANT=${TENANT:-demo}
REPS=${REPS:-40}
LEADS=${LEADS:-400}
SEED=${SEED:-7}
MAX_OPEN=40
TODAY=$(date -u +%F)
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo "demo failed; worker log tail:"; tail -20 "$work/worker.log" 2>/dev/null' ERR
free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

rport=$(free_port)
redis-server --bind 127.0.0.1 --port "$rport" --save '' --appendonly no --dir "$work" \
  --logfile "$work/redis.log" & pids+=($!)
until redis-cli -p "$rport" ping >/dev/null 2>&1; do sleep 0.1; done

"$LR" dev-broker --partitions 4 >"$work/broker.out" 2>"$work/broker.log" & pids+=($!)
until [ -s "$work/broker.out" ]; do sleep 0.1; done
BROKERS=$(head -1 "$work/broker.out")
echo "== redis-server on 127.0.0.1:$rport, dev broker at $BROKERS"

hport=$(free_port)
METRICS=http://127.0.0.1:$hport/metrics
# Unquoted heredoc (the variables expand): no backticks or $(...) inside.
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
  max_open_leads: $MAX_OPEN
  # The generated fresh day has no calls (nobody knows in advance who gets
  # which lead), so a first-touch SLA would reassign every lead; see
  # leadrouter simulate for the closed loop with calls and SLAs.
  sla_first_touch_seconds: 0
YAML
"$LR" run --config "$work/worker.yaml" 2>"$work/worker.log" & pids+=($!)

echo "== generating and loading a 90-day history of a $REPS-rep org"
"$LR" generate --tenant "$TENANT" --reps "$REPS" --days 90 --seed "$SEED" --end "$TODAY" >"$work/history.jsonl"
echo "   $(wc -l <"$work/history.jsonl") events: per lead its assignment as imported from the CRM, then its calls"
# Day by day, each day's imported assignments before its calls: Kafka keeps
# no order across topics (ops/load_events.py says more).
"$PY" ops/load_events.py "$LR" "$BROKERS" "$METRICS" "$work/history.jsonl"

echo "== routing a fresh day ($TODAY) of $LEADS leads"
"$LR" generate --tenant "$TENANT" --reps "$REPS" --days 0 --seed "$SEED" --end "$TODAY" \
  --fresh-day "$LEADS" >"$work/today.jsonl"
"$PY" ops/load_events.py "$LR" "$BROKERS" "$METRICS" "$work/today.jsonl"
"$PY" ops/show_assignments.py --leadrouter "$LR" --brokers "$BROKERS" --metrics "$METRICS" \
  --leads "$work/today.jsonl" --events "$(cat "$work/history.jsonl" "$work/today.jsonl" | wc -l)" \
  --redis "redis://127.0.0.1:$rport/0" --tenant "$TENANT" --max-open "$MAX_OPEN"

echo "== scorecard of $TENANT as of $TODAY"
"$LR" scorecard --tenant "$TENANT" --set "redis.url=redis://127.0.0.1:$rport/0"

echo "== the worker's metrics (GET $METRICS)"
"$PY" -c 'import sys, urllib.request
for l in urllib.request.urlopen(sys.argv[1], timeout=10).read().decode().splitlines():
    if not l.startswith("#"):
        print("   " + l)' "$METRICS"

echo "== HTML scorecards (tenant page and one page per rep, self-contained)"
out="$root/build/scorecards/$TENANT"
rm -rf "$out"
mkdir -p "$root/build/scorecards"
"$LR" scorecard --tenant "$TENANT" --set "redis.url=redis://127.0.0.1:$rport/0" --out "$out" >/dev/null
echo "   open $out/index.html"
echo "== done in $(($(date +%s) - started)) s"
