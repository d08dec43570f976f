"""`leadrouter replay` end to end over Kafka: a live worker (dev broker, real
Redis) routes an org, and replay reproduces every decision it recorded.

Event clock: four tenants fed in order (replay_org.Feeder):
- acme, a generated org: imported history, presence changes, fresh leads
  decided RANKED/FALLBACK_TIER, first-touch SLAs running out
  (SLA_REASSIGNED), and a spell where every rep is busy (leads QUEUED, or
  ESCALATED past max_wait);
- late: two leads whose LeadCreated events are produced out of event-time
  order (the later one first), with reps that take one lead each;
- midnight: a status of 5 March installs that day's ranking before the
  wins of 4 March 22:00 arrive (another topic): the worker routes ML on the
  ranking without them, and records where it installed it;
- rr: a generated org whose fresh leads are routed ranked, for a what-if.
Checks: `replay --compare lead-assigned` reproduces every decision, exit 0,
and names the late and midnight tenants' decisions as made on out-of-order
inputs; a copy of the topic with one decision altered (a file, and another
topic) is reported with both reps, exit 1; `--order event-time` reports
the late and midnight tenants' decisions with their causes; a what-if with
policy.strategy=round_robin reports the moved leads and leads per rep, as
counted here from the recorded decisions and the round-robin order;
--format html gives one self-contained page; --output-topic writes the
replayed decisions, never to a worker's topic;
nothing is written to Redis or lead-assigned.

Wall clock: a worker on its wall clock with SLAs and escalations firing by
its clock, and a waiting lead routed by a status older than it (read after
it); replay reproduces every decision, timer decisions included.
"""
import collections
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import lrtest  # noqa: E402
import replay_org  # noqa: E402
from lrtest import check, lead, ms, status, outcome  # noqa: E402

DAY = "2026-03-02"
RANKED_EARLY = "an input of an earlier day arrived after the day's ranking was installed"
EVENT_CLOCK = {"worker.clock": "event", "policy.sla_first_touch_seconds": 900,
               "policy.max_wait_seconds": 300,
               # imported leads without a terminal outcome stay open
               "policy.max_open_leads": 100000,
               # rr: no timers, so its leads show the strategy alone
               "tenants.rr.sla_first_touch_seconds": 0,
               "tenants.rr.max_wait_seconds": 0,
               "kafka.fetch.wait.max.ms": 5}

def stored(r, ns):
    """The namespace's keys and each tenant's stored version (other tests
    may share the Redis)."""
    return sorted((k, r.hget(k, "version")) if k.endswith(":meta") else (k, None)
                  for k in r.scan_iter(match=ns + "*", count=1000))


def acme_events():
    events = replay_org.generate("--tenant", "acme", "--reps", 6, "--days", 10, "--end", DAY,
                                 "--fresh-day", 40, "--seed", 3)
    reps = sorted({e["event"]["rep_id"] for e in events if e["topic"] == "rep-status"})
    # 15:00-15:40 every rep is busy: leads wait, two past max_wait
    busy = [status("acme", r, ms(DAY + "T15:00"), "BUSY", event_id="busy-" + r) for r in reps]
    free = [status("acme", r, ms(DAY + "T15:40"), "AVAILABLE", event_id="free-" + r) for r in reps]
    waits = [lead("acme", "Q%d" % i, ms(DAY + "T15:%02d" % m), score=55)
             for i, m in enumerate((2, 3, 21, 38))]
    return events + [replay_org.envelope(x) for x in busy + free + waits]


def late_events():
    """l1 and l2 take one lead each (l1 first: rep_id); LE is produced
    after LL although it happened before."""
    profile = {"max_open_leads": 1}
    return ([replay_org.envelope(status("late", r, ms(DAY + "T08:00"), "AVAILABLE", **profile))
             for r in ("l1", "l2")],
            replay_org.envelope(lead("late", "LL", ms(DAY + "T10:05"), score=30)),
            replay_org.envelope(lead("late", "LE", ms(DAY + "T09:55"), score=30)))


def midnight_events():
    """m1 and m2: m1 ahead on 3 March; m2's wins of 4 March late in the
    evening arrive after a status of 5 March has installed that day's
    ranking (on another topic), so the worker routes ML of 5 March to m1.
    Returns the feeds in the order the worker sees them."""
    def day(d, hm):
        return ms("2026-03-%02dT%s" % (d, hm))
    start = [status("midnight", r, day(3, "08:00"), "AVAILABLE", event_id="m-start-" + r)
             for r in ("m1", "m2")]
    early = [outcome("midnight", "m1", "mh1", day(3, "10:00") + i * 60000, oc,
                     deal=2000000 if oc == "CLOSED_WON" else None)
             for i, oc in enumerate(("CONNECTED", "OPPORTUNITY_CREATED", "CLOSED_WON"))]
    opens = [status("midnight", "m2", day(5, "07:00"), "AVAILABLE", event_id="m-open")]
    late = [outcome("midnight", "m2", "mh%d" % k, day(4, "22:00") + (3 * k + i) * 60000, oc,
                    deal=5000000 if oc == "CLOSED_WON" else None)
            for k in (2, 3, 4)
            for i, oc in enumerate(("CONNECTED", "OPPORTUNITY_CREATED", "CLOSED_WON"))]
    lead_ = [lead("midnight", "ML", day(5, "09:00"), score=30)]
    return [[replay_org.envelope(x) for x in feed] for feed in (start, early, opens, late, lead_)]


def rr_events():
    events = replay_org.generate("--tenant", "rr", "--reps", 4, "--days", 10, "--end", DAY,
                                 "--fresh-day", 12, "--seed", 7)
    # the reps stay as they start: every one a candidate for every lead
    return [e for e in events
            if e["topic"] != "rep-status" or e["event"]["event_id"].endswith("-init")]


def unique(decisions):
    out = {}
    for d in decisions:
        out.setdefault(d["event_id"], d)
    return out


def check_reproduced(rep, want, what):
    check(rep["compared"] == want and rep["reproduced"] == want and not rep["differing"]
          and not rep["recorded_only"] and not rep["replayed_only"],
          "%s: compared %s, reproduced %s of %d; differing %s, recorded only %s, replayed "
          "only %s" % (what, rep["compared"], rep["reproduced"], want, rep["differing"][:5],
                       rep["recorded_only"][:5], rep["replayed_only"][:5]))


def event_clock(work):
    ns = lrtest.namespace()
    r = lrtest.redis_client()
    with lrtest.Broker(partitions=2) as b:
        w = lrtest.Worker(b.bootstrap, ns, extra=EVENT_CLOCK)
        with w:
            feed = replay_org.Feeder(b.bootstrap, ns, w)
            feed.in_order(acme_events() + rr_events())
            statuses, ll, le = late_events()
            feed.send(statuses)
            feed.send([ll])  # decided before LE arrives
            feed.send([le])
            for part in midnight_events():
                feed.send(part)
            time.sleep(0.5)
        check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
        recorded = replay_org.recorded(b.bootstrap)
        by_id = unique(recorded)
        reasons = collections.Counter(d["reason"] for d in by_id.values())
        print("recorded:", len(by_id), "decisions", dict(reasons))
        for want in ("RANKED", "SLA_REASSIGNED", "QUEUED", "ESCALATED"):
            check(reasons[want], "the org made no %s decision: %s" % (want, dict(reasons)))
        check(all(d["inputs_applied"] for d in by_id.values()), "a decision without inputs_applied")
        keys = stored(r, ns)

        # 1. every decision reproduced, in the worker's order
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--format", "json", check_rc=0))
        check_reproduced(rep, len(by_id), "replay --compare lead-assigned")
        check(rep["order"] == "recorded", "order %s" % rep["order"])
        late = {x["event_id"]: x["cause"] for x in rep["decided_out_of_order"]}
        check(late == {"lc-LL#1": "decided before an input that now precedes it",
                       "lc-LE#1": "inputs arrived out of event-time order",
                       "lc-ML#1": RANKED_EARLY},
              "decided on out-of-order inputs: %s" % late)
        check(by_id["lc-ML#1"]["rep_id"] == "m1" and
              [x["day"] for x in by_id["lc-ML#1"]["rankings_installed"]] == [20515, 20517],
              "ML, routed on 5 March's ranking as installed before m2's late wins: %s"
              % by_id["lc-ML#1"])
        print("reproduced %d of %d; out of order: %s" % (rep["reproduced"], rep["compared"], late))

        # 2. a copy with one decision altered: a file, and another topic
        victim = next(d for d in by_id.values() if d["tenant_id"] == "acme" and d["reason"] == "RANKED")
        other = next(x for x in sorted({d["rep_id"] for d in by_id.values() if d["tenant_id"] == "acme"})
                     if x != victim["rep_id"])
        altered = [dict(d, rep_id=other) if d["event_id"] == victim["event_id"] else d
                   for d in recorded]
        path = os.path.join(work, "altered.jsonl")
        replay_org.write_jsonl(path, altered)
        lrtest.produce(b.bootstrap, [], raw=[("lead-assigned-copy", d["tenant_id"].encode(),
                                              lrtest.SCHEMAS.encode("LeadAssigned", d)) for d in altered])
        for source in (path, "lead-assigned-copy"):
            rp = replay_org.replay(w, b.bootstrap, "--compare", source, "--format", "json", check_rc=1)
            rep = replay_org.report(rp)
            check(rep["reproduced"] == len(by_id) - 1 and len(rep["differing"]) == 1,
                  "%s: %s" % (source, rep["differing"]))
            diff = rep["differing"][0]
            check(diff["event_id"] == victim["event_id"] and diff["recorded_rep_id"] == other
                  and diff["replayed_rep_id"] == victim["rep_id"]
                  and diff["recorded_reason"] == diff["replayed_reason"] == "RANKED",
                  "%s: %s" % (source, diff))
        table = replay_org.replay(w, b.bootstrap, "--compare", path, check_rc=1).stdout
        check(victim["event_id"] in table and other in table, "table:\n" + table)
        print("altered copy: %s reported (%s recorded, %s replayed)" % (
            victim["event_id"], other, victim["rep_id"]))

        # 3. by event time: the late tenant's decisions differ, with causes
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--order", "event-time", "--format", "json",
                                                  check_rc=1))
        causes = {x["event_id"]: (x["recorded_rep_id"], x["replayed_rep_id"], x["cause"])
                  for x in rep["differing"]}
        check(causes == {"lc-LL#1": ("l1", "l2", "decided before an input that now precedes it"),
                         "lc-LE#1": ("l2", "l1", "inputs arrived out of event-time order"),
                         "lc-ML#1": ("m1", "m2", RANKED_EARLY)},
              "event-time order: %s" % causes)
        print("event-time order:", causes)

        # 4. what-if: round robin for rr, against an independent count
        out = os.path.join(work, "rr.jsonl")
        rep = replay_org.report(replay_org.replay(
            w, b.bootstrap, "--tenant", "rr", "--compare", "lead-assigned", "--format", "json",
            "--set", "policy.strategy=round_robin", "--output", out, check_rc=1))
        wi = rep.get("what_if")
        check(wi, "no what_if in %s" % sorted(rep))
        rr = sorted((d for d in by_id.values() if d["tenant_id"] == "rr"), key=lambda d: d["decided_at"])
        reps = sorted({e["event"]["rep_id"] for e in rr_events() if e["topic"] == "rep-status"})
        expected = {d["lead_id"]: reps[i % len(reps)] for i, d in enumerate(rr)}
        moved = {lid for lid, rep_id in expected.items()
                 if rep_id != next(d["rep_id"] for d in rr if d["lead_id"] == lid)}
        per_rep = {x["rep_id"]: (x["before"], x["after"]) for x in wi["leads_per_rep"]}
        before = collections.Counter(d["rep_id"] for d in rr)
        after = collections.Counter(expected.values())
        check(per_rep == {x: (before[x], after[x]) for x in reps},
              "leads per rep %s, counted %s / %s" % (per_rep, dict(before), dict(after)))
        check(wi["moved"] == len(moved) and {m["lead_id"] for m in wi["moved_leads"]} == moved,
              "moved %s %s, counted %d %s" % (wi["moved"], [m["lead_id"] for m in wi["moved_leads"]],
                                              len(moved), sorted(moved)))
        replayed = [json.loads(line) for line in open(out)]
        check(all(d["reason"] == "BASELINE" and d["strategy"] == "round_robin" for d in replayed),
              "round robin decisions: %s" % replayed[:3])
        check(all(x["cause"] == "policy_version differs" for x in rep["differing"]),
              "what-if causes: %s" % rep["differing"][:3])
        check(wi["leads"] == len(rr) and wi["gini"]["after"] <= wi["gini"]["before"],
              "what-if figures: %s" % {k: wi[k] for k in ("leads", "gini")})
        print("what-if round robin: %d of %d leads moved; per rep %s" % (wi["moved"], len(rr), per_rep))

        # the same what-if on acme: its figures are those of the decisions
        out = os.path.join(work, "acme.jsonl")
        rep = replay_org.report(replay_org.replay(
            w, b.bootstrap, "--tenant", "acme", "--compare", "lead-assigned", "--format", "json",
            "--set", "policy.strategy=round_robin", "--output", out, check_rc=1))
        wi = rep["what_if"]
        b_last = replay_org.last_assignment(d for d in by_id.values() if d["tenant_id"] == "acme")
        a_last = replay_org.last_assignment(json.loads(line) for line in open(out))
        per_rep = {x["rep_id"]: (x["before"], x["after"]) for x in wi["leads_per_rep"]}
        cb, ca = collections.Counter(b_last.values()), collections.Counter(a_last.values())
        check(per_rep == {x: (cb[x], ca[x]) for x in per_rep} and sum(cb.values()) == sum(ca.values()),
              "acme leads per rep %s, counted %s / %s" % (per_rep, dict(cb), dict(ca)))
        check(wi["moved"] == sum(1 for k in b_last if k in a_last and a_last[k] != b_last[k]),
              "acme moved %s" % wi["moved"])
        for k in ("waits", "sla", "estimate"):
            check(k in wi, "what_if without %s" % k)
        check("estimate" in wi["estimate"]["label"], "estimate label %s" % wi["estimate"])
        page = replay_org.replay(w, b.bootstrap, "--tenant", "acme", "--compare", "lead-assigned",
                                 "--format", "html", "--set", "policy.strategy=round_robin",
                                 check_rc=1).stdout
        check(page.startswith("<!DOCTYPE html>") and "What if" in page and "estimate" in page
              and "policy_version differs" in page and page.rstrip().endswith("</html>")
              and "src=" not in page and "href=" not in page,
              "--format html is not one self-contained page:\n" + page[:1500])

        # 5. --output-topic, never a worker's topic
        rp = replay_org.replay(w, b.bootstrap, "--output-topic", "lead-assigned", check_rc=2)
        check("replay never writes" in rp.stderr, rp.stderr)
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--output-topic", "replayed", "--format", "json",
                                                  check_rc=0))
        out = unique(replay_org.recorded(b.bootstrap, "replayed"))
        check(set(out) == set(by_id) and all(out[k]["rep_id"] == by_id[k]["rep_id"] for k in out),
              "--output-topic: %d decisions, %d recorded" % (len(out), len(by_id)))

        # 6. ranges: up to noon everything reproduces; from the fresh day on,
        # without the history, what differs misses its inputs
        noon = ms(DAY + "T12:00")
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--to", DAY + "T12:00", "--format", "json",
                                                  check_rc=0))
        want = sum(1 for d in by_id.values() if d["decided_at"] < noon)
        check_reproduced(rep, want, "--to noon")
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--from", DAY, "--tenant", "acme",
                                                  "--format", "json", check_rc=1))
        causes = {x["cause"] for x in rep["differing"] + rep["recorded_only_detail"]}
        check(causes == {"input missing from the replayed range"} and rep["outside_range"] > 0,
              "--from without the history: causes %s, %d events outside" % (causes,
                                                                          rep["outside_range"]))
        print("ranges: %d decisions before noon reproduced; from %s on: %d differ, %d not "
              "replayed, for missing inputs" % (want, DAY, len(rep["differing"]),
                                                len(rep["recorded_only"])))

        # read-only: nothing new in Redis or lead-assigned
        check(stored(r, ns) == keys, "replay wrote to Redis")
        check(len(replay_org.recorded(b.bootstrap)) == len(recorded), "replay wrote to lead-assigned")
    lrtest.flush_namespace(ns)


def wall_clock():
    T = "wall"
    ns = lrtest.namespace()
    with lrtest.Broker(partitions=2) as b:
        w = lrtest.Worker(b.bootstrap, ns, extra={"policy.sla_first_touch_seconds": 3,
                                                  "policy.max_wait_seconds": 2})
        with w:
            feed = replay_org.Feeder(b.bootstrap, ns, w)

            def send(*pairs):
                feed.send([replay_org.envelope(p) for p in pairs])

            now = int(time.time() * 1000)
            send(*(status(T, x, now - 60000, "AVAILABLE") for x in ("r1", "r2", "r3")))
            now = int(time.time() * 1000)
            send(lead(T, "W1", now, score=30), lead(T, "W2", now + 1, score=90))
            time.sleep(1)
            send(outcome(T, "r1", "W1", int(time.time() * 1000), "CONNECTED"))
            time.sleep(4)  # W2's first-touch SLA runs out on the wall clock
            now = int(time.time() * 1000)
            send(status(T, "r1", now, "BUSY"), status(T, "r2", now, "BUSY"),
                 status(T, "r3", now, "IN_MEETING"))
            send(lead(T, "Q1", now + 1, score=60), lead(T, "Q2", now + 2, score=60))
            time.sleep(3.5)  # they wait past max_wait: escalated
            now = int(time.time() * 1000)
            send(status(T, "r2", now, "AVAILABLE"), lead(T, "Q3", now + 5, score=60))
            time.sleep(4)
            # everyone busy; Q4 waits; a status older than Q4, read after it,
            # frees r3: Q4 is routed as of its wait, not before it existed
            now = int(time.time() * 1000)
            send(status(T, "r1", now, "BUSY"), status(T, "r2", now, "BUSY"),
                 status(T, "r3", now, "IN_MEETING"))
            q4_at = now + 50
            send(lead(T, "Q4", q4_at, score=60))
            send(status(T, "r3", now + 10, "AVAILABLE"))
            time.sleep(4)
        check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
        by_id = unique(replay_org.recorded(b.bootstrap))
        reasons = collections.Counter(d["reason"] for d in by_id.values())
        print("wall clock: recorded", len(by_id), dict(reasons))
        check(reasons["SLA_REASSIGNED"] and reasons["ESCALATED"],
              "no timer decision on the wall clock: %s" % dict(reasons))
        check(all(d["routed_at"] for d in by_id.values()), "a live decision without routed_at")
        q4 = by_id.get("lc-Q4#1")
        check(q4 and q4["reason"] == "QUEUED" and q4["rep_id"] == "r3"
              and q4["decided_at"] == q4_at and q4["wait_ms"] == 0,
              "Q4, routed by a late status as of its wait: %s" % q4)
        rep = replay_org.report(replay_org.replay(w, b.bootstrap, "--compare", "lead-assigned",
                                                  "--format", "json", check_rc=0))
        check_reproduced(rep, len(by_id), "wall clock")
        print("wall clock: reproduced %d of %d" % (rep["reproduced"], rep["compared"]))
    lrtest.flush_namespace(ns)


def main():
    work = tempfile.mkdtemp(prefix="lrreplay-")
    event_clock(work)
    wall_clock()
    print("ok")


if __name__ == "__main__":
    main()
