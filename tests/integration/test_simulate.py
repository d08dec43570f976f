"""test_simulate.py - `leadrouter simulate`, in memory and through the real
redis-server (--keep).

A small org (12 reps, 60 days) through the closed loop: the JSON contract of
SPEC §5 (every field, with sane values), determinism (same seed, same JSON,
byte for byte; another seed, other numbers), no rep starved of leads, bad
options refused with exit status 2, and stack ranking converting at least as
well as round robin, with more revenue, on the same org and the same outcome
randomness. In memory nothing is written to Redis; with --keep the state
goes through Redis every simulated day (written, then loaded back) and the
results are the same byte for byte: the store keeps everything the routing
needs. The kept namespace is read by the scorecard.
"""
import json
import os
import subprocess
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lrtest import LEADROUTER, REDIS_URL, check, fail  # noqa: E402

import redis  # noqa: E402

NS = "lrtest-sim-" + uuid.uuid4().hex[:8]
CONTRACT = {
    "strategy": str,
    "conversion_rate": float,
    "revenue_cents": int,
    "mean_speed_to_lead_minutes": float,
    "waiting_leads": int,
    "mean_wait_seconds": float,
    "sla_breaches": int,
    "gini_leads": float,
    "spearman_skill_rank": float,
    "bottom_tier_leads": int,
}


def simulate(*args, expect=0):
    cmd = [LEADROUTER, "simulate", "--set", "redis.url=" + REDIS_URL,
           "--set", "redis.namespace=" + NS] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if p.returncode != expect:
        fail("%s: exit %d (expected %d)\nstdout: %s\nstderr: %s"
             % (" ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
    return p


def run_json(strategies, seed, reps=12, days=60, extra=()):
    p = simulate("--strategies", strategies, "--reps", str(reps), "--days",
                 str(days), "--seed", str(seed), "--format", "json", *extra)
    try:
        doc = json.loads(p.stdout)
    except ValueError as e:
        fail("simulate --format json is not JSON (%s): %r" % (e, p.stdout))
    return p.stdout, doc


def check_contract(doc, names):
    check(isinstance(doc, dict) and list(doc) == ["strategies"],
          "top level must be {\"strategies\": [...]}: %r" % list(doc))
    got = [s.get("strategy") for s in doc["strategies"]]
    check(got == names, "strategies %r, expected %r" % (got, names))
    for s in doc["strategies"]:
        for k, t in CONTRACT.items():
            check(k in s, "%s: field %s missing" % (s["strategy"], k))
            ok = isinstance(s[k], t) or (t is float and isinstance(s[k], int))
            check(ok and not isinstance(s[k], bool),
                  "%s.%s: %r is not %s" % (s["strategy"], k, s[k], t.__name__))
        name = s["strategy"]
        check(s["leads"] > 2000, "%s: only %d leads" % (name, s["leads"]))
        check(s["routed"] == s["leads"],
              "%s: %d of %d leads routed" % (name, s["routed"], s["leads"]))
        check(0.05 < s["conversion_rate"] < 0.6,
              "%s: conversion %.3f" % (name, s["conversion_rate"]))
        check(abs(s["conversion_rate"] - s["converted"] / s["routed"]) < 1e-6,
              "%s: conversion_rate is not converted / routed" % name)
        check(s["revenue_cents"] > 0 and s["won"] > 0,
              "%s: no revenue" % name)
        check(0 < s["mean_speed_to_lead_minutes"] < 24 * 60,
              "%s: speed to lead %.1f min" % (name, s["mean_speed_to_lead_minutes"]))
        check(0 <= s["sla_breaches"] <= sum(s["reasons"].values()),
              "%s: %d SLA breaches, more than assignments" % (name, s["sla_breaches"]))
        check(0 <= s["gini_leads"] < 1, "%s: gini %.3f" % (name, s["gini_leads"]))
        check(-1 <= s["spearman_skill_rank"] <= 1,
              "%s: spearman %.3f" % (name, s["spearman_skill_rank"]))
        check(s["spearman_day"] == 60, "%s: spearman_day %d" % (name, s["spearman_day"]))
        check(s["waiting_leads"] >= 0 and s["mean_wait_seconds"] >= 0,
              "%s: waiting" % name)
        check(s["waiting_leads"] == 0 or s["mean_wait_seconds"] > 0,
              "%s: leads waited 0 s" % name)
        # Fairness: nobody starved, the bottom tier gets leads.
        check(s["min_rep_leads"] > 0, "%s: a rep got no lead" % name)
        check(s["bottom_tier_leads"] > 0, "%s: bottom tier got no lead" % name)
        check(sum(s["reasons"].values()) >= s["routed"],
              "%s: fewer decisions than routed leads" % name)


def main():
    r = redis.Redis.from_url(REDIS_URL)
    names = ["ranked", "round_robin"]

    out1, doc = run_json(",".join(names), 7)
    check_contract(doc, names)
    out2, _ = run_json(",".join(names), 7)
    check(out1 == out2, "same seed, different output:\n%s\n%s" % (out1, out2))
    out3, doc3 = run_json("ranked", 8)
    check(doc3["strategies"][0] != doc["strategies"][0],
          "another seed gave the same numbers")
    check_contract(doc3, ["ranked"])

    ranked = doc["strategies"][0]
    # The rank recovers skill from the outcomes it routed (60 days, 12 reps).
    check(ranked["spearman_skill_rank"] > 0.3,
          "ranked: spearman %.3f" % ranked["spearman_skill_rank"])
    rr = doc["strategies"][1]
    check(rr["reasons"]["BASELINE"] == rr["routed"] or
          rr["reasons"]["BASELINE"] > 0.9 * rr["routed"],
          "round_robin: decisions %r" % rr["reasons"])
    check(ranked["conversion_rate"] >= rr["conversion_rate"],
          "ranked converts %.4f < round_robin %.4f"
          % (ranked["conversion_rate"], rr["conversion_rate"]))
    check(ranked["revenue_cents"] > rr["revenue_cents"],
          "ranked revenue %d <= round_robin %d"
          % (ranked["revenue_cents"], rr["revenue_cents"]))
    check(rr["gini_leads"] < ranked["gini_leads"],
          "round robin spreads leads less evenly than ranked")

    # The table form names every strategy.
    p = simulate("--strategies", ",".join(names), "--reps", "6", "--days", "5",
                 "--seed", "7")
    for n in names:
        check(any(line.split()[:1] == [n] for line in p.stdout.splitlines()),
              "table without a row for %s:\n%s" % (n, p.stdout))

    # In memory: nothing was written to Redis.
    left = list(r.scan_iter(match=NS + "*", count=1000))
    check(not left, "keys left behind: %r" % left[:5])

    # Through Redis: the same results, and the state kept for the scorecard.
    outk, _ = run_json(",".join(names), 7, extra=["--keep"])
    check(outk == out1, "through Redis (--keep) the results differ:\n%s\n%s" % (out1, outk))
    for n in names:
        ns = "%s-sim-%s-7" % (NS, n)
        check(r.hlen(ns + ":{sim}:reps") == 12, "%s: reps not kept in %s" % (n, ns))
        p = subprocess.run([LEADROUTER, "scorecard", "--tenant", "sim", "--format", "json",
                            "--as-of", "2024-03-01", "--set", "redis.url=" + REDIS_URL,
                            "--set", "redis.namespace=" + ns],
                           capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "scorecard of the kept %s: %s" % (n, p.stderr))
        card = json.loads(p.stdout)
        check(len(card["reps"]) == 12 and card["reps"][0]["rank"] == 1,
              "scorecard of the kept %s: %r" % (n, card["reps"][:1]))
    for k in r.scan_iter(match=NS + "*", count=1000):
        r.unlink(k)

    # Bad options: exit 2, a message naming the problem.
    p = simulate("--strategies", "ranked,bogus", "--reps", "4", "--days", "2",
                 expect=2)
    check("bogus" in p.stderr, "unknown strategy not named: %r" % p.stderr)
    p = simulate("--strategies", "ranked", "--format", "xml", expect=2)
    check("--format" in p.stderr, "bad format not named: %r" % p.stderr)
    p = simulate("--strategies", "ranked", "--reps", "0", expect=2)
    check("--reps" in p.stderr, "bad --reps not named: %r" % p.stderr)
    p = simulate("--strategies", "ranked", "--bogus", "1", expect=2)
    print("ok: simulate (%s)" % ", ".join(
        "%s conv %.4f" % (s["strategy"], s["conversion_rate"])
        for s in doc["strategies"]))


if __name__ == "__main__":
    main()
