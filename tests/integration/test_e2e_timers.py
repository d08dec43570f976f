"""End to end: the routing timers through the real worker, dev broker and
Redis, under both clocks (worker.clock), decisions read back from
`lead-assigned`:

- event clock (replay): a lead not called within the first-touch SLA is
  reassigned to the next rep, never its first one, when the event-time
  watermark passes the SLA (attempt 2, event_id <lead event>#2, decided at
  the SLA's due time, PREVIOUS_ASSIGNEE skipped); a lead held by
  contact_after is routed at that time;
- wall clock (live): the same happens with no further event at all, driven
  by the worker's clock;
- every timer decision is published once and acked: the outbox is empty and
  no timer is due afterwards.
"""
import time

from lrtest import (Broker, Worker, applied, check, consume, flush_namespace, lead,
                    ms, namespace, produce, redis_client, settle, state, status)

D0 = "2026-03-02"


def by_event_id(got):
    out = {}
    for _, d, _ in got:
        out.setdefault(d["event_id"], set()).add((d["rep_id"], d["reason"], d["attempt"],
                                                  d["decided_at"]))
    return out


def wait_applied(ns, tenant, events, worker, timeout=60):
    """Waits until every event is in Redis (topics are consumed in no fixed
    order relative to each other)."""
    r = redis_client()
    deadline = time.time() + timeout
    while not all(applied(r, ns, tenant, ev["event_id"]) for _, ev in events):
        check(time.time() < deadline and worker.proc.poll() is None,
              "events not applied\n" + worker.log()[-3000:])
        time.sleep(0.1)


def check_drained(ns, tenant, timeout=10):
    """Every timer decision published was acked: the outbox is empty (the
    ack is written with the tenant's next write, right after delivery)."""
    deadline = time.time() + timeout
    while state(ns, tenant)["outbox"] and time.time() < deadline:
        time.sleep(0.2)
    check(state(ns, tenant)["outbox"] == 0, "outbox of %s not empty" % tenant)


def event_clock(b):
    T = "ev"
    ns = namespace()
    w = Worker(b.bootstrap, ns, extra={"worker.clock": "event",
                                       "policy.sla_first_touch_seconds": 900,
                                       "policy.max_wait_seconds": 300})
    with w:
        reps = [status(T, "r1", ms(D0 + "T08:00"), "AVAILABLE"),
                status(T, "r2", ms(D0 + "T08:00"), "AVAILABLE")]
        produce(b.bootstrap, reps)
        wait_applied(ns, T, reps, w)
        leads = [lead(T, "E1", ms(D0 + "T10:00"), score=30),
                 lead(T, "E2", ms(D0 + "T10:01"), score=30,
                      contact_after=ms(D0 + "T10:30"))]
        produce(b.bootstrap, leads)
        wait_applied(ns, T, leads, w)
        # E1 called by nobody; the watermark moves on
        produce(b.bootstrap, [status(T, "r2", ms(D0 + "T10:40"), "AVAILABLE",
                                     event_id="wm-1040")])
        got = consume(b.bootstrap, "lead-assigned", 3, worker=w)
        got = settle(b.bootstrap, "lead-assigned", got)
        check_drained(ns, T)
        check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
    flush_namespace(ns)
    got = [g for g in got if g[1]["tenant_id"] == T]
    ds = by_event_id(got)
    print("event clock:", sorted(ds.items()))
    check(set(ds) == {"lc-E1#1", "lc-E1#2", "lc-E2#1"}, "decisions: %s" % sorted(ds))
    for eid, v in ds.items():
        check(len(v) == 1, "%s published with different contents: %s" % (eid, v))
    check(ds["lc-E1#1"] == {("r1", "RANKED", 1, ms(D0 + "T10:00"))}, "E1#1 %s" % ds["lc-E1#1"])
    check(ds["lc-E1#2"] == {("r2", "SLA_REASSIGNED", 2, ms(D0 + "T10:15"))},
          "E1#2 %s" % ds["lc-E1#2"])
    # E2 waited for its contact_after; r1 has no lead then (E1 moved away)
    check(ds["lc-E2#1"] == {("r1", "RANKED", 1, ms(D0 + "T10:30"))}, "E2#1 %s" % ds["lc-E2#1"])
    sla = [d for _, d, _ in got if d["event_id"] == "lc-E1#2"][0]
    check([(s["rep_id"], s["why"]) for s in sla["skipped"]] == [("r1", "PREVIOUS_ASSIGNEE")],
          "skipped %s" % sla["skipped"])
    check("first-touch SLA" in sla["explanation"], "explanation: " + sla["explanation"])


def wall_clock(b):
    T = "wall"
    ns = namespace()
    w = Worker(b.bootstrap, ns, extra={"policy.sla_first_touch_seconds": 3,
                                       "policy.max_wait_seconds": 300})
    with w:
        now = int(time.time() * 1000)
        reps = [status(T, "r1", now - 60000, "AVAILABLE"),
                status(T, "r2", now - 60000, "AVAILABLE")]
        produce(b.bootstrap, reps)
        wait_applied(ns, T, reps, w)
        now = int(time.time() * 1000)
        produce(b.bootstrap, [lead(T, "W1", now, score=30),
                              lead(T, "W2", now, score=30, contact_after=now + 2000)])
        # no further event: the worker's clock fires the SLA and contact_after
        got = consume(b.bootstrap, "lead-assigned", 3, timeout=60, worker=w)
        got = settle(b.bootstrap, "lead-assigned", got)
        check_drained(ns, T)
        due = state(ns, T)["next_timer"]
        check(due is None or due > time.time() * 1000, "a timer is overdue: %s" % due)
        check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
    flush_namespace(ns)
    got = [g for g in got if g[1]["tenant_id"] == T]
    ds = by_event_id(got)
    print("wall clock:", sorted(ds.items()))
    check({"lc-W1#1", "lc-W1#2", "lc-W2#1"} <= set(ds), "decisions: %s" % sorted(ds))
    for eid, v in ds.items():
        check(len(v) == 1, "%s published with different contents: %s" % (eid, v))
    (rep1, _, _, _), = ds["lc-W1#1"]
    (rep2, reason, attempt, at), = ds["lc-W1#2"]
    check(rep1 == "r1" and rep2 == "r2" and reason == "SLA_REASSIGNED" and attempt == 2,
          "W1: %s" % sorted(ds.items()))
    # the SLA counts from when r1 was told (routed_at), not the event time
    routed = next(d["routed_at"] for _, d, _ in got if d["event_id"] == "lc-W1#1")
    check(routed is not None and routed >= now,
          "W1#1 without its wall-clock time: %r" % routed)
    check(at == routed + 3000, "W1#2 decided at its due time: %d vs %d" % (at, routed + 3000))
    (rep, reason, _, at), = ds["lc-W2#1"]
    check(at == now + 2000 and reason == "RANKED", "W2 %s" % ds["lc-W2#1"])


def main():
    with Broker() as b:
        event_clock(b)
        wall_clock(b)
    print("e2e timers: SLA reassignment and contact_after under both clocks, outbox drained")


if __name__ == "__main__":
    main()
