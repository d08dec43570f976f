#!/usr/bin/env bash
# A bad configuration stops start-up with a message naming the key, before
# anything connects; --set overrides the file.
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
if [ "$fails" -ne 0 ]; then echo "$fails config check(s) failed"; exit 1; fi
echo "config: all checks passed"
