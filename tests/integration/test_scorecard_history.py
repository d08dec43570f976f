"""The scorecard of a past month shows the ranking the router used then.

A generated org of 8 reps lives through six months (2025-01 .. 2025-06) by
the worker (worker.clock: event, through the dev broker and a real Redis):
the outcome history of `leadrouter generate --days 181`, plus a batch of
new leads on the last day of every month (each month's last day produced
and applied on its own, as the worker reads the three topics in no set
order). Each `lead-assigned` decision
carries the rank and tier of its rep in the ranking installed that day
(rep_rank, rep_tier). After the run, `scorecard --month M` must show, for
every rep who got a lead on M's last day, that same rank and tier: the
ranking of the month's last evaluation, from the ranking history, though
the day buckets of January to March have long been pruned (window 90
days). A month outside the history must be refused with a non-zero exit.

Needs the store's ranking history (store.ranking_retention_days); with a
store that only keeps the 90-day buckets it fails for the old months.
"""
import collections
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
import lrtest  # noqa: E402
from lrtest import check  # noqa: E402

TENANT = "hist"
REPS = 8
SEED = 5
END = datetime.date(2025, 7, 1)  # first day after the history
DAYS = 181                       # 2025-01-01 .. 2025-06-30
LEADS_PER_MONTH_END = 24
WINDOW = 90


def generate(*args):
    r = lrtest.run(["generate", "--tenant", TENANT, "--reps", str(REPS), "--seed", str(SEED)] + list(args))
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def event_time(item):
    ev = item["event"]
    return ev.get("occurred_at") or ev.get("created_at")


def month_ends():
    d = datetime.date(2025, 1, 1)
    while d < END:
        nxt = (d.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        yield nxt - datetime.timedelta(days=1)
        d = nxt


def main():
    events = generate("--days", str(DAYS), "--end", END.isoformat())
    for last in month_ends():
        for e in generate("--days", "0", "--end", last.isoformat(),
                          "--fresh-day", str(LEADS_PER_MONTH_END)):
            ev = e["event"]
            if e["topic"] != "lead-created":
                continue  # reps stay AVAILABLE: the leads are routed at once
            # the history's leads of that day have the same ids
            ev["lead_id"] = ev["lead_id"].replace("-L", "-N", 1)
            ev["event_id"] += "-new"
            events.append(e)
    events.sort(key=event_time)  # stable: the generator's order within a time
    leads = sum(1 for e in events if e["topic"] == "lead-created")
    ns = lrtest.namespace()
    r = lrtest.redis_client()
    work = tempfile.mkdtemp(prefix="lrhist-")
    try:
        with lrtest.Broker(partitions=2) as broker, \
                lrtest.Worker(broker.bootstrap, ns, extra={
                    "worker.clock": "event",
                    # imported leads without a terminal outcome stay open:
                    # no capacity limit, so month-end leads are routed at once
                    "policy.max_open_leads": "100000"}) as worker:
            # In chunks, each applied before the next: the dev broker keeps
            # only a few MB per partition, and the worker sees the three
            # topics in no set order, so each month's last day is a chunk
            # of its own: its decisions are all made with its ranking.
            cuts = set(range(0, len(events), 8000))
            for last in month_ends():
                for day in (last, last + datetime.timedelta(days=1)):
                    t = int(datetime.datetime(day.year, day.month, day.day,
                                              tzinfo=datetime.timezone.utc).timestamp() * 1000)
                    cuts.add(next((i for i, e in enumerate(events) if event_time(e) >= t), len(events)))
            cuts = sorted(cuts | {len(events)})
            for i, j in zip(cuts, cuts[1:]):
                chunk = events[i:j]
                if not chunk:
                    continue
                path = os.path.join(work, "chunk.jsonl")
                with open(path, "w") as f:
                    for e in chunk:
                        f.write(json.dumps(e) + "\n")
                with open(path) as f:
                    p = subprocess.run([lrtest.LEADROUTER, "produce", "--brokers", broker.bootstrap],
                                       stdin=f, capture_output=True, text=True)
                check(p.returncode == 0, "produce: %s" % p.stderr[-2000:])
                lasts = {e["topic"]: e["event"]["event_id"] for e in chunk}
                deadline = time.time() + 300
                for eid in lasts.values():
                    while not lrtest.applied(r, ns, TENANT, eid):
                        check(worker.proc.poll() is None, "worker exited\n" + worker.log()[-3000:])
                        check(time.time() < deadline, "chunk not applied in 300 s\n" + worker.log()[-3000:])
                        time.sleep(0.2)
            decided = lrtest.consume(broker.bootstrap, "lead-assigned", leads, timeout=20, worker=worker)
        check(decided, "no lead-assigned decision")

        # the ranking each month's last day carried, as the decisions say
        carried = collections.defaultdict(dict)  # month -> rep -> (rank, tier)
        ends = {last.isoformat()[:7]: last for last in month_ends()}
        for _, d, _ in decided:
            day = datetime.datetime.fromtimestamp(d["decided_at"] / 1000, datetime.timezone.utc).date()
            month = day.isoformat()[:7]
            if ends.get(month) != day:
                continue
            got = (d["rep_rank"], d["rep_tier"])
            seen = carried[month].setdefault(d["rep_id"], got)
            check(seen == got, "%s: decisions of one day disagree on %s: %s vs %s" % (day, d["rep_id"], seen, got))
        check(sorted(carried) == sorted(ends), "months with decisions on their last day: %s" % sorted(carried))
        last_rank_day = max(ends.values())
        pruned = [m for m, last in ends.items() if last < last_rank_day - datetime.timedelta(days=WINDOW)]
        check(len(pruned) >= 2, "months outside the window: %s" % pruned)

        for month in sorted(carried):
            sc = lrtest.run(["scorecard", "--tenant", TENANT, "--month", month, "--format", "json",
                             "--set", "redis.url=" + lrtest.REDIS_URL, "--set", "redis.namespace=" + ns],
                            check_rc=False)
            check(sc.returncode == 0, "scorecard --month %s%s: exit %d: %s" % (
                month, " (buckets pruned)" if month in pruned else "", sc.returncode, sc.stderr.strip()))
            doc = json.loads(sc.stdout)
            check(doc["ranking_day"] == ends[month].isoformat(),
                  "--month %s shows the ranking of %s, not of %s" % (month, doc["ranking_day"], ends[month]))
            shown = {x["rep_id"]: (x["rank"], x["tier"]) for x in doc["reps"]}
            for rep, want in sorted(carried[month].items()):
                check(shown.get(rep) == want, "--month %s: %s is (rank, tier) %s on the scorecard, %s in the "
                      "decisions" % (month, rep, shown.get(rep), want))
            print("%s: %d reps match the decisions of %s%s" % (
                month, len(carried[month]), ends[month], " (buckets pruned)" if month in pruned else ""))

        sc = lrtest.run(["scorecard", "--tenant", TENANT, "--month", "2023-01",
                         "--set", "redis.url=" + lrtest.REDIS_URL, "--set", "redis.namespace=" + ns],
                        check_rc=False)
        check(sc.returncode == 1 and "ranking history" in sc.stderr and not sc.stdout,
              "--month outside the history: exit %d, %r" % (sc.returncode, sc.stderr))
    finally:
        lrtest.flush_namespace(ns)
    print("ok")


if __name__ == "__main__":
    main()
