"""Restarting the worker mid-stream loses no event and double-counts none.

A generated org (history + a fresh day of leads) is produced with the
project's own `produce`; the worker is killed with SIGKILL three times
while it consumes and restarted each time. Afterwards every lead has
exactly one decision (the same event_id and rep whenever it was re-published)
and every rep's tallies in the scorecard equal those counted here from the
input events."""
import collections
import json
import random
import signal
import subprocess
import time

from lrtest import (LEADROUTER, REDIS_URL, Broker, Worker, check, consume, fail,
                    flush_namespace, namespace, redis_client, run, settle)

T = "rs"
END = "2026-05-04"


def main():
    ns = namespace()
    gen = run(["generate", "--tenant", T, "--reps", "20", "--days", "30", "--seed", "11",
               "--end", END, "--fresh-day", "300"]).stdout
    lines = [json.loads(l) for l in gen.splitlines()]
    leads = [l["event"] for l in lines if l["topic"] == "lead-created"]
    outcomes = [l["event"] for l in lines if l["topic"] == "call-outcome"]
    check(len(leads) == 300 and len(outcomes) > 1000, "generated %d leads, %d outcomes" % (len(leads), len(outcomes)))
    r = redis_client()
    rng = random.Random(5)
    kills = 0
    with Broker() as b:
        p = subprocess.run([LEADROUTER, "produce", "--brokers", b.bootstrap], input=gen,
                           capture_output=True, text=True)
        check(p.returncode == 0, "produce failed: " + p.stderr)
        w = Worker(b.bootstrap, ns)
        for _ in range(3):
            w.start()
            # kill at a random moment once it consumes (after joining the group)
            deadline = time.time() + 60
            while w.log().count("assigned") < kills + 1 and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.05, 0.6))
            w.stop(signal.SIGKILL)
            kills += 1
        w.start()
        got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=180, worker=w)
        got = settle(b.bootstrap, "lead-assigned", got, quiet=5)
        rc = w.stop()
        check(rc == 0, "worker exit status %s after SIGTERM" % rc)
        card = json.loads(run(["scorecard", "--tenant", T, "--as-of", "2026-05-05", "--format", "json",
                               "--set", "redis.url=" + REDIS_URL, "--set", "redis.namespace=" + ns]).stdout)
        waiting = r.zcard("%s:{%s}:queue" % (ns, T))
    flush_namespace(ns)

    decisions = collections.defaultdict(set)
    for _, d, _ in got:
        decisions[d["lead_id"]].add((d["event_id"], d["rep_id"], d["attempt"]))
    repeats = len(got) - len(decisions)
    check(waiting == 0, "%d leads still waiting" % waiting)
    check(len(decisions) == len(leads), "%d of %d leads decided" % (len(decisions), len(leads)))
    for lid, ds in decisions.items():
        check(len(ds) == 1, "lead %s got different decisions: %s" % (lid, ds))

    # Independent tallies from the input events (first terminal outcome of a
    # lead counts; every outcome is a call).
    want = collections.defaultdict(collections.Counter)
    closed, converted, seen = set(), set(), set()
    for o in sorted(outcomes, key=lambda o: o["occurred_at"]):
        c = want[o["rep_id"]]
        c["calls"] += 1
        key = o["lead_id"]
        if key not in seen:
            seen.add(key)
            c["leads_assigned"] += 1
        if o["outcome"] in ("OPPORTUNITY_CREATED", "CLOSED_WON") and key not in converted and key not in closed:
            converted.add(key)
            c["opportunities"] += 1
        if o["outcome"] in ("CLOSED_WON", "CLOSED_LOST", "DISQUALIFIED") and key not in closed:
            closed.add(key)
            if o["outcome"] == "CLOSED_WON":
                c["won"] += 1
                c["won_value_cents"] += o.get("deal_value_cents") or 0
            elif o["outcome"] == "CLOSED_LOST":
                c["lost"] += 1
    for ds in decisions.values():
        want[next(iter(ds))[1]]["leads_assigned"] += 1
    reps = {x["rep_id"]: x for x in card["reps"]}
    for rep, c in want.items():
        check(rep in reps, "rep %s missing from the scorecard" % rep)
        for k in ("calls", "leads_assigned", "opportunities", "won", "lost", "won_value_cents"):
            check(int(reps[rep]["counts"][k]) == c[k],
                  "%s %s: scorecard %s, events %d" % (rep, k, reps[rep]["counts"][k], c[k]))
    print("restart: %d kills survived, %d leads and %d outcomes checked, %d repeated deliveries "
          "(same event_id and rep)" % (kills, len(leads), len(outcomes), repeats))


if __name__ == "__main__":
    main()
