#!/usr/bin/env bash
# A bad configuration stops start-up with a message naming the key, before
# anything connects; --set overrides the file. Every subcommand explains
# itself (--help: usage on stdout, status 0), and --version names the
# versions of leadrouter, its libraries and the Redis server it talks to.
set -euo pipefail
LR=${LEADROUTER:-build/leadrouter}
dir=$(mktemp -d); trap 'rm -rf "$dir"' EXIT
fails=0
expect_error() { # name expected-text args...
  local name=$1 want=$2; shift 2
  local out rc=0
  out=$("$LR" run "$@" 2>&1) || rc=$?
  if [ "$rc" -ne 2 ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL $name: rc=$rc, output: $out"; fails=$((fails + 1))
  else
    echo "ok   $name: $out"
  fi
}
cat >"$dir/ok.yaml" <<'YAML'
kafka:
  bootstrap.servers: 127.0.0.1:1
redis:
  url: redis://127.0.0.1:1/0
policy:
  weights:
    conversion: 0.30
    win_rate: 0.25
    deal_size: 0.20
    cycle_days: 0.15
    speed_to_lead: 0.10
tenants:
  acme:
    tiers: 4
YAML
printf 'kafka:\n  bootstrap.servers: x\nredis:\n  urll: redis://x\n' >"$dir/typo.yaml"
printf 'policy:\n  weights:\n    conversion: 0.5\n' >"$dir/weights.yaml"
printf 'kafka: [unclosed\n' >"$dir/syntax.yaml"

expect_error unknown-key "redis.urll" --config "$dir/typo.yaml"
expect_error weights-sum "policy.weights" --config "$dir/weights.yaml"
expect_error set-unknown "worker.nope" --config "$dir/ok.yaml" --set worker.nope=1
expect_error tenant-key "tenants.acme.tierz" --config "$dir/ok.yaml" --set tenants.acme.tierz=2
expect_error tenant-range "tenants.acme" --config "$dir/ok.yaml" --set tenants.acme.promote_ratio=0.5
expect_error bad-int "policy.tiers" --config "$dir/ok.yaml" --set policy.tiers=many
expect_error missing-file "nope.yaml" --config "$dir/nope.yaml"
expect_error yaml-syntax "syntax.yaml" --config "$dir/syntax.yaml"
expect_error no-config "--config" 
expect_error env-secret "LR_TEST_UNSET_SECRET" --config "$dir/ok.yaml" --set 'kafka.sasl.password=${LR_TEST_UNSET_SECRET}'
expect_error kafka-prop "kafka.no.such.property" --config "$dir/ok.yaml" --set kafka.no.such.property=1
expect_error clock "worker.clock" --config "$dir/ok.yaml" --set worker.clock=sundial
expect_error tier-weights "tenants.acme.tier_weights" --config "$dir/ok.yaml" --set tenants.acme.tier_weights=3,2,1
expect_error sla-attempts "policy.sla_max_attempts" --config "$dir/ok.yaml" --set policy.sla_max_attempts=-1
expect_error daily-cap "policy.max_leads_per_day" --config "$dir/ok.yaml" --set policy.max_leads_per_day=-3
expect_error http-listen "http.listen" --config "$dir/ok.yaml" --set http.listen=9464
expect_error http-port "http.listen" --config "$dir/ok.yaml" --set http.listen=127.0.0.1:70000
expect_error subject-strategy "schemas.subject_name_strategy" --config "$dir/ok.yaml" --set schemas.subject_name_strategy=by_guess
expect_error auto-register "schemas.auto_register" --config "$dir/ok.yaml" --set schemas.auto_register=maybe
expect_error registry-auth "schemas.basic_auth_user_info" --config "$dir/ok.yaml" --set schemas.basic_auth_user_info=nopassword

# --help of every subcommand: usage on stdout, nothing on stderr, status 0.
for cmd in run dev-broker produce generate scorecard simulate; do
  rc=0
  "$LR" "$cmd" --help >"$dir/help.out" 2>"$dir/help.err" || rc=$?
  if [ "$rc" -ne 0 ] || ! head -1 "$dir/help.out" | grep -q "^usage: leadrouter $cmd" ||
     [ -s "$dir/help.err" ]; then
    echo "FAIL $cmd --help: rc=$rc, stdout: $(head -2 "$dir/help.out"), stderr: $(cat "$dir/help.err")"
    fails=$((fails + 1))
  else
    echo "ok   $cmd --help: $(head -1 "$dir/help.out")"
  fi
done
rc=0
"$LR" --help >"$dir/help.out" 2>&1 || rc=$?
if [ "$rc" -ne 0 ] || ! grep -q -- "--version" "$dir/help.out"; then
  echo "FAIL --help: rc=$rc"; fails=$((fails + 1))
fi

# --version: leadrouter and library versions; the Redis server's, or
# "unreachable" (quickly) when nothing answers.
check_version() { # name expected-redis-line-regex args...
  local name=$1 want=$2; shift 2
  local out rc=0 t0 t1
  t0=$(date +%s)
  out=$("$LR" --version "$@" 2>&1) || rc=$?
  t1=$(date +%s)
  if [ "$rc" -ne 0 ] || ! grep -qE '^leadrouter [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out" ||
     ! grep -qE '^librdkafka [0-9.]+ \(built with [0-9.]+\)$' <<<"$out" ||
     ! grep -qE '^avro-c 1\.[0-9.]+ ' <<<"$out" ||
     ! grep -qE '^hiredis [0-9]+\.[0-9]+\.[0-9]+ ' <<<"$out" ||
     ! grep -qE "$want" <<<"$out" || [ $((t1 - t0)) -gt 5 ]; then
    echo "FAIL version $name: rc=$rc, $((t1 - t0)) s, output: $out"; fails=$((fails + 1))
  else
    echo "ok   version $name: $(tail -1 <<<"$out")"
  fi
}
check_version unreachable '^Redis server unreachable at redis://\*\*\*@127\.0\.0\.1:1/0 ' \
  --set 'redis.url=redis://:secret@127.0.0.1:1/0'
printf 'redis:\n  url: redis://127.0.0.1:1/0\n' >"$dir/redis.yaml"
check_version from-config '^Redis server unreachable at redis://127\.0\.0\.1:1/0 ' --config "$dir/redis.yaml"
if [ -n "${LR_TEST_REDIS_URL:-}" ]; then
  check_version reachable '^Redis server [0-9]+\.[0-9]+\.[0-9]+ at ' --set "redis.url=$LR_TEST_REDIS_URL"
fi
if [ "$fails" -ne 0 ]; then echo "$fails config check(s) failed"; exit 1; fi
echo "config: all checks passed"
