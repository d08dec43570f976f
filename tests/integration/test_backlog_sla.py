"""A worker that starts on a backlog (issue 11): the first-touch SLA runs
from when the rep is told, not from the lead's event time.

2,000 leads created an hour ago wait in the broker; one worker on the wall
clock (first-touch SLA 20 s here, so the test can see it expire) reads
them: every lead gets its first decision (attempt 1), each carrying
routed_at; no SLA_REASSIGNED decision comes before 20 s have passed since
the decision it undoes, and once they have, reassignments come (the SLA
works). Reps still to call a lead are skipped as AWAITING_FIRST_TOUCH, as
`LeadAssigned.skipped` shows over Kafka; /metrics shows the routing lag of
the backlog.
"""
import time

from lrtest import (Broker, Worker, check, consume, lead, metric, namespace, produce,
                    settle, status)

T = "bk"
LEADS = 2000
REPS = 10
SLA_S = 20
HTTP_PORT = None


def main():
    from lrfaults import free_port
    port = free_port()
    ns = namespace()
    now = int(time.time() * 1000)
    hour_ago = now - 3600 * 1000
    reps = [status(T, "r%02d" % i, hour_ago - 60000, "AVAILABLE") for i in range(REPS)]
    leads = [lead(T, "L%04d" % i, hour_ago + i * 10, score=60) for i in range(LEADS)]
    with Broker() as b:
        produce(b.bootstrap, reps + leads)
        w = Worker(b.bootstrap, ns, extra={"policy.sla_first_touch_seconds": SLA_S,
                                           "policy.max_open_leads": 100000,
                                           "http.listen": "127.0.0.1:%d" % port})
        with w:
            got = consume(b.bootstrap, "lead-assigned", LEADS, timeout=120, worker=w)
            first = [d for _, d, _ in got if d["attempt"] == 1]
            check(len(set(d["lead_id"] for d in first)) == LEADS,
                  "%d first decisions of %d leads" % (len(first), LEADS))
            lag = metric(port, "leadrouter_routing_lag_seconds")
            check(lag > 3000, "routing lag %.0f s, expected about an hour" % lag)
            routed = {d["lead_id"]: d["routed_at"] for d in first}
            check(all(r is not None and r >= now for r in routed.values()),
                  "first decisions without a wall-clock routed_at")
            awaiting = sum(1 for d in first for s in d["skipped"]
                           if s["why"] == "AWAITING_FIRST_TOUCH")
            check(awaiting > 0, "no rep skipped as AWAITING_FIRST_TOUCH")
            # past the SLA since the decisions: reassignments come
            got = settle(b.bootstrap, "lead-assigned", got, quiet=SLA_S + 8)
        later = [d for _, d, _ in got if d["reason"] == "SLA_REASSIGNED"]
        check(later, "no SLA reassignment %d s after the decisions" % (SLA_S + 8))
        for d in later:
            since = d["decided_at"] - routed[d["lead_id"]]
            check(since >= SLA_S * 1000,
                  "%s reassigned %d ms after its first decision, before the SLA"
                  % (d["event_id"], since))
    print("backlog: %d leads an hour old decided once each (lag %.0f s), %d reps skipped as "
          "AWAITING_FIRST_TOUCH, %d SLA reassignments, none before %d s since the decision"
          % (LEADS, lag, awaiting, len(later), SLA_S))


if __name__ == "__main__":
    main()
