#!/usr/bin/env bash
# test_tools.sh - the development tools end to end: `dev-broker` starts and
# creates the topics, `generate | produce` delivers every generated event to
# its topic (Confluent-framed Avro, key = tenant), a consumer group reads
# them back, and the dev broker serves a transactional producer.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
LEADROUTER=${LEADROUTER:-$here/../../build/leadrouter}
PY=/usr/bin/python3
tmp=$(mktemp -d)
broker_pid=

cleanup() {
        if [ -n "$broker_pid" ]; then
                kill "$broker_pid" 2>/dev/null || true
                wait "$broker_pid" 2>/dev/null || true
        fi
        rm -rf "$tmp"
}
trap cleanup EXIT

fail() {
        echo "FAIL: $*" >&2
        exit 1
}

[ -x "$LEADROUTER" ] || fail "no binary at $LEADROUTER (set LEADROUTER)"

# 1. The broker: bootstrap list on the first stdout line.
"$LEADROUTER" dev-broker --brokers 2 --partitions 3 >"$tmp/broker.out" \
        2>"$tmp/broker.err" &
broker_pid=$!
for _ in $(seq 100); do
        [ -s "$tmp/broker.out" ] && break
        kill -0 "$broker_pid" 2>/dev/null || fail "dev-broker exited: $(cat "$tmp/broker.err")"
        sleep 0.1
done
bs=$(head -n1 "$tmp/broker.out")
[[ "$bs" =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]] || fail "bad bootstrap line: '$bs'"
echo "dev-broker at $bs"

timeout 60 kcat -L -b "$bs" >"$tmp/metadata" || fail "kcat -L failed"
for t in lead-created call-outcome rep-status lead-assigned rep-tier-changed lead-router-dlq; do
        grep -q "topic \"$t\" with 3 partitions" "$tmp/metadata" || fail "topic $t missing: $(cat "$tmp/metadata")"
done

# 2. generate | produce.
tenant=tools-it
"$LEADROUTER" generate --tenant "$tenant" --reps 6 --days 14 --seed 5 \
        --end 2026-11-27 --fresh-day 40 >"$tmp/gen.jsonl" 2>"$tmp/gen.err"
"$LEADROUTER" generate --tenant "$tenant" --reps 6 --days 14 --seed 5 \
        --end 2026-11-27 --fresh-day 40 | cmp -s - "$tmp/gen.jsonl" ||
        fail "generate is not deterministic"
"$LEADROUTER" produce --brokers "$bs" <"$tmp/gen.jsonl" 2>"$tmp/produce.err" ||
        fail "produce failed: $(cat "$tmp/produce.err")"
total=$(wc -l <"$tmp/gen.jsonl")
grep -q "^produced $total, failed 0$" "$tmp/produce.err" ||
        fail "unexpected summary: $(cat "$tmp/produce.err")"

# A bad line fails alone, named by its number; the rest is delivered.
printf '%s\n' "$(grep -m1 '"topic":"rep-status"' "$tmp/gen.jsonl")" \
        '{"topic": "rep-status", "event": {"event_id": "x"}}' |
        "$LEADROUTER" produce --brokers "$bs" --topic rep-status \
                2>"$tmp/bad.err" && fail "produce accepted a bad line"
grep -q "line 2: .*tenant_id\|line 2: .*rep_id\|line 2: .*missing" "$tmp/bad.err" ||
        fail "bad line not named: $(cat "$tmp/bad.err")"
grep -q "^produced 1, failed 1$" "$tmp/bad.err" || fail "bad summary: $(cat "$tmp/bad.err")"

# 3. kcat: every line on its topic, key = tenant, Confluent frame.
for t in lead-created call-outcome rep-status; do
        want=$(grep -c "^{\"topic\":\"$t\"" "$tmp/gen.jsonl")
        [ "$t" = rep-status ] && want=$((want + 1)) # the good line above
        timeout 60 kcat -C -b "$bs" -t "$t" -o beginning -e -q -f '%k\n' \
                >"$tmp/keys.$t" || fail "$t: kcat failed"
        got=$(wc -l <"$tmp/keys.$t")
        [ "$got" -eq "$want" ] || fail "$t: $got messages, expected $want"
        [ "$(sort -u "$tmp/keys.$t")" = "$tenant" ] || fail "$t: keys are not all $tenant"
        # First 5 bytes of a message: magic 0 and a 4-byte schema id.
        timeout 60 kcat -C -b "$bs" -t "$t" -o beginning -e -c 1 -q -f '%s' |
                head -c 5 | od -An -tu1 >"$tmp/frame.$t"
        read -r magic id0 id1 id2 id3 <"$tmp/frame.$t" || fail "$t: no frame"
        [ "$magic" -eq 0 ] || fail "$t: magic byte $magic"
        [ $((id0 + id1 + id2 + id3)) -gt 0 ] || fail "$t: schema id 0"
        echo "$t: $got messages, key $tenant, Confluent frame ok"
done

# 4. A consumer group reads everything (every message framed), and a
# transactional producer commits on the dev broker.
"$PY" - "$bs" "$tmp/gen.jsonl" "$tenant" <<'EOF'
import collections, json, sys, time
from confluent_kafka import Consumer, Producer, TopicPartition

bs, gen, tenant = sys.argv[1], sys.argv[2], sys.argv[3]
want = collections.Counter(json.loads(l)["topic"] for l in open(gen))
want["rep-status"] += 1

p = Producer({"bootstrap.servers": bs, "transactional.id": "test-tools"})
p.init_transactions(30)
p.begin_transaction()
for i in range(5):
    p.produce("lead-assigned", key=tenant, value=b"\x00\x00\x00\x00\x01txn%d" % i)
p.commit_transaction(30)
want["lead-assigned"] = 5

c = Consumer({"bootstrap.servers": bs, "group.id": "test-tools",
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe(list(want))
got = collections.Counter()
deadline = time.time() + 60
while got != want and time.time() < deadline:
    m = c.poll(0.5)
    if m is None:
        continue
    if m.error():
        raise SystemExit("consumer error: %s" % m.error())
    assert m.key() == tenant.encode(), m.key()
    assert m.value()[0] == 0 and len(m.value()) > 5, m.value()[:8]
    got[m.topic()] += 1
c.commit(asynchronous=False)
committed = c.committed([TopicPartition("call-outcome", i) for i in range(3)], 10)
c.close()
if got != want:
    raise SystemExit("consumer group read %s, expected %s" % (dict(got), dict(want)))
if sum(max(tp.offset, 0) for tp in committed) != want["call-outcome"]:
    raise SystemExit("committed offsets %s" % committed)
print("consumer group read %d messages; transactional producer ok" % sum(got.values()))
EOF

# 5. SIGTERM stops the broker with status 0.
kill -TERM "$broker_pid"
rc=0
wait "$broker_pid" || rc=$?
broker_pid=
[ "$rc" -eq 0 ] || fail "dev-broker exited with $rc"
# Under -DLR_SANITIZE=ON a report goes to stderr.
if grep -l "Sanitizer" "$tmp"/*.err; then
        fail "sanitizer report: $(cat "$tmp"/*.err)"
fi
echo "ok"
