"""Imported assignments (README "Importing a history"): a LeadCreated whose
attributes carry assigned_rep_id and assigned_at (epoch ms) attributes the lead
to that rep from assigned_at, as a CRM history import does. End to end: the
real worker, the dev broker, real Redis; what it did is read only from the
outputs (the scorecard's JSON, /metrics, the topics).

- Nothing is routed or published for them (no LeadAssigned).
- The speed-to-lead metric gets a sample per imported lead that its rep
  called: first call - assigned_at (r1: 20 and 60 min -> 40; later calls and a
  lead attributed by its outcome alone add none).
- A rep known only from assigned_rep_id is created like any rep first seen.
- The cohort is the assigned day: a lead created at 23:50 and assigned at
  00:10 counts for the next day.
- Imported leads are open leads: a rep at capacity with them gets no new
  lead (it waits) until it closes one.
- Malformed imports (no assigned_at, a bad time, a bad rep id) are
  dead-lettered with a reason naming the attribute.
"""
import json

from lrfaults import free_port
from lrtest import (DLQ, REDIS_URL, Broker, Worker, check, consume, fail,
                    flush_namespace, lead, metric, ms, namespace, outcome,
                    produce, run, status, wait_metric)

T = "imp"
D = "2026-03-10"  # a Tuesday: the routed lead's day
H = "2026-03-05"  # the history day


def imported(lead_id, rep, created, assigned=None, **kw):
    name, ev = lead(T, lead_id, ms(created), score=60, **kw)
    ev["attributes"] = {"assigned_rep_id": rep, "assigned_at": str(ms(assigned or created))}
    return name, ev


def scorecard(ns, as_of):
    r = run(["scorecard", "--tenant", T, "--as-of", as_of, "--format", "json",
             "--set", "redis.namespace=" + ns, "--set", "redis.url=" + REDIS_URL])
    return {rep["rep_id"]: rep for rep in json.loads(r.stdout)["reps"]}


def main():
    ns = namespace()
    hport = free_port()
    steps = [
        [status(T, r, ms("2026-03-02T08:00"), "AVAILABLE") for r in ("r1", "r2", "r3")],
        [imported("L1", "r1", H + "T10:00"),
         imported("L2", "r1", H + "T10:25", H + "T10:30"),
         imported("L3", "rnew", H + "T11:00"),
         imported("L4", "r2", H + "T12:00"),
         imported("L6", "r3", "2026-03-06T23:50", "2026-03-07T00:10")],
        [outcome(T, "r1", "L1", ms(H + "T10:20"), "NO_ANSWER"),
         outcome(T, "r1", "L1", ms(H + "T11:00"), "CONNECTED"),
         outcome(T, "r1", "L2", ms(H + "T11:30"), "CONNECTED"),
         outcome(T, "rnew", "L3", ms(H + "T11:05"), "DISQUALIFIED"),
         # attributed by its outcomes alone (no assignment time): no sample
         outcome(T, "r1", "L5", ms(H + "T13:00"), "OPPORTUNITY_CREATED"),
         outcome(T, "r1", "L5", ms(H + "T15:00"), "CLOSED_WON", deal=1000000)],
    ]
    bad = [imported("B1", "r1", H + "T16:00"), imported("B2", "r1", H + "T16:00"),
           imported("B3", "r:1", H + "T16:00")]
    del bad[0][1]["attributes"]["assigned_at"]
    bad[1][1]["attributes"]["assigned_at"] = "yesterday"
    fresh = [lead(T, "F1", ms(D + "T09:00"), score=60)]
    try:
        with Broker() as b:
            w = Worker(b.bootstrap, ns, extra={"http.listen": "127.0.0.1:%d" % hport,
                                               "policy.max_open_leads": 2})
            with w:
                done = 0
                for step in steps:  # each applied before the next
                    produce(b.bootstrap, step)
                    done += len(step)
                    wait_metric(hport, "leadrouter_events_total", done, w)
                produce(b.bootstrap, bad)
                wait_metric(hport, "leadrouter_dead_letters_total", len(bad), w)
                dlq = consume(b.bootstrap, DLQ, len(bad), decode=False)
                reasons = sorted(h["error"] for _, _, h in dlq)
                print("dead letters: %s" % reasons)
                check(len(reasons) == 3, "dead letters %s" % reasons)
                check(any("attributes.assigned_at" in r and "needs both" in r for r in reasons)
                      and any("not epoch milliseconds" in r for r in reasons)
                      and any("attributes.assigned_rep_id" in r and "':'" in r for r in reasons),
                      "dead-letter reasons %s" % reasons)
                check(metric(hport, "leadrouter_decisions_total") == 0,
                      "imported assignments published decisions")

                card = scorecard(ns, "2026-03-07")
                r1, rnew, r2 = card["r1"], card.get("rnew"), card["r2"]
                check(rnew is not None, "rep rnew (known only from assigned_rep_id) not created")
                speed = r1["metrics"]["speed_to_lead"]
                print("r1 speed_to_lead %s, rnew %s, r2 %s" % (
                    speed, rnew["metrics"]["speed_to_lead"], r2["metrics"]["speed_to_lead"]))
                check(speed["value"] is not None and abs(speed["value"] - 40.0) < 1e-6
                      and speed.get("samples") == 2, "r1 speed_to_lead %s, expected 40 min "
                      "from 2 samples" % speed)
                check(abs(rnew["metrics"]["speed_to_lead"]["value"] - 5.0) < 1e-6,
                      "rnew speed %s" % rnew["metrics"]["speed_to_lead"])
                check(r2["metrics"]["speed_to_lead"]["value"] is None,
                      "r2 (not called yet) has a speed %s" % r2["metrics"]["speed_to_lead"])
                check(r1["counts"]["leads_assigned"] == 3 and r2["counts"]["leads_assigned"] == 1
                      and rnew["counts"]["leads_assigned"] == 1,
                      "leads_assigned r1 %d r2 %d rnew %d" % (
                          r1["counts"]["leads_assigned"], r2["counts"]["leads_assigned"],
                          rnew["counts"]["leads_assigned"]))
                # cohort = the assigned day (03-07), not the created day (03-06)
                n6 = scorecard(ns, "2026-03-07")["r3"]["counts"]["leads_assigned"]
                n7 = scorecard(ns, "2026-03-08")["r3"]["counts"]["leads_assigned"]
                check((n6, n7) == (0, 1), "r3's imported lead counted as of 03-07/03-08: %d/%d, "
                      "expected 0/1 (cohort of the assigned day)" % (n6, n7))
                check(r1["open_leads"] == 2, "r1 open leads %d, expected 2" % r1["open_leads"])

                # r1 is the only rep free: r2, r3 go offline, rnew never said
                # it was there. With its imported leads it is at capacity, so
                # F1 waits until r1 closes one.
                for step in ([status(T, r, ms(D + "T08:00"), "OFFLINE") for r in ("r2", "r3")],
                             fresh):
                    produce(b.bootstrap, step)
                    done += len(step)
                    wait_metric(hport, "leadrouter_events_total", done, w)
                check(metric(hport, "leadrouter_decisions_total") == 0,
                      "F1 was routed although r1 is at capacity with imported leads")
                produce(b.bootstrap, [outcome(T, "r1", "L1", ms(D + "T09:30"), "CLOSED_LOST")])
                got = consume(b.bootstrap, "lead-assigned", 1, worker=w)
                check(len(got) == 1, "F1 not routed once r1 freed up")
                d = got[0][1]
                print("F1: %s %s after %d ms" % (d["rep_id"], d["reason"], d["wait_ms"]))
                check((d["lead_id"], d["rep_id"], d["reason"]) == ("F1", "r1", "QUEUED"),
                      "F1 decision %s" % d)
    finally:
        flush_namespace(ns)
    print("ok")


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001
        fail("%s: %s" % (type(e).__name__, e))
