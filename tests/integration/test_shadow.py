"""A shadow policy in the live worker (issue 10): every lead is also decided
under `shadow.policy.*` and published to `lead-assigned-shadow`, changing
nothing the live policy uses.

The same org is routed twice, each time in a fresh namespace and broker:
once without a shadow, once with `shadow.policy.strategy=round_robin`. The
live decisions of both runs are identical (event_id, rep, reason, rank);
the shadow run publishes exactly one shadow decision per lead (a repeat
carries the same event_id and rep), each with the shadow's strategy and
policy_version, and they are round robin's: the reps take turns.
"""
import time

from lrtest import (Broker, Worker, applied, check, consume, lead, ms, namespace, outcome,
                    produce, redis_client, settle, status)

T = "sh"
REPS = ["r%d" % i for i in range(1, 7)]
LEADS = 36


def org():
    history, t0 = [], ms("2026-02-23T09:00")
    for k, rep in enumerate(REPS):
        for i in range(8):
            lid = "h-%s-%d" % (rep, i)
            history.append(outcome(T, rep, lid, t0 + i * 60000, "CONNECTED"))
            if i < 8 - k:
                history.append(outcome(T, rep, lid, t0 + i * 60000 + 3600000,
                                       "OPPORTUNITY_CREATED"))
    reps = [status(T, rep, ms("2026-03-02T08:00"), "AVAILABLE") for rep in REPS]
    leads = [lead(T, "L%02d" % i, ms("2026-03-02T09:00") + i * 60000, score=30 + 2 * i)
             for i in range(LEADS)]
    return history, reps, leads


def wait_applied(ns, events, worker, timeout=60):
    r = redis_client()
    deadline = time.time() + timeout
    while not all(applied(r, ns, T, ev["event_id"]) for _, ev in events):
        check(time.time() < deadline and worker.proc.poll() is None,
              "events not applied\n" + worker.log()[-3000:])
        time.sleep(0.2)


def route(extra):
    """Routes the org; returns (live, shadow) decisions by event_id."""
    history, reps, leads = org()
    ns = namespace()
    with Broker() as b:
        w = Worker(b.bootstrap, ns, extra=extra)
        with w:
            # one after the other: on another topic, a status of 2 March
            # applied first would install that day's ranking before the
            # history (as it should), and the two runs would rank apart
            for events in (history, reps):
                produce(b.bootstrap, events)
                wait_applied(ns, events, w)
            produce(b.bootstrap, leads)
            live = consume(b.bootstrap, "lead-assigned", LEADS, timeout=60, worker=w)
            live = settle(b.bootstrap, "lead-assigned", live)
            shadow = settle(b.bootstrap, "lead-assigned-shadow", [], quiet=2)
            check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
    return live, shadow


def by_event(got):
    out = {}
    for _, d, _ in got:
        out.setdefault(d["event_id"], set()).add(
            (d["lead_id"], d["rep_id"], d["reason"], d["rep_rank"], d["strategy"],
             d["policy_version"]))
    return out


def main():
    plain, none = route({})
    check(not none, "a shadow decision without a shadow policy")
    live, shadow = route({"shadow.policy.strategy": "round_robin"})
    p, l, s = by_event(plain), by_event(live), by_event(shadow)
    check(len(p) == LEADS, "%d decisions of %d leads" % (len(p), LEADS))
    check(p == l, "the live decisions changed with a shadow policy:\n%s\n%s"
          % (sorted(p.items())[:3], sorted(l.items())[:3]))
    check(len(s) == LEADS, "%d shadow decisions of %d leads" % (len(s), LEADS))
    for eid, v in s.items():
        check(len(v) == 1, "%s published with different contents: %s" % (eid, v))
    leads = sorted((next(iter(v)) for v in s.values()), key=lambda x: x[0])
    check(all(x[2] == "BASELINE" and x[4] == "round_robin" for x in leads),
          "shadow decisions not round robin's: %s" % leads[:3])
    live_versions = set(x[5] for v in l.values() for x in v)
    check(not live_versions & set(x[5] for x in leads),
          "the shadow decisions carry the live policy_version")
    # round robin: the reps take turns, in rep_id order
    turns = [x[1] for x in leads]
    check(turns[:len(REPS)] == sorted(REPS) and len(set(turns)) == len(REPS),
          "shadow reps do not take turns: %s" % turns)
    print("shadow: %d live decisions identical with and without it, %d shadow decisions "
          "(round robin), one per lead" % (len(l), len(s)))


if __name__ == "__main__":
    main()
