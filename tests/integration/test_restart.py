"""Restarting the worker mid-stream loses no event and double-counts none.

A generated org (history + a fresh day of leads) is produced with the
project's own `produce`; the worker is killed with SIGKILL three times
while it consumes and restarted each time. Afterwards every lead has
exactly one decision (the same event_id and rep whenever it was re-published)
and every rep's tallies in the scorecard equal those counted here from the
input events."""
import json
import random
import signal
import subprocess
import time

from lrfaults import check_decisions, check_tallies, without_imported_assignments
from lrtest import (LEADROUTER, REDIS_URL, Broker, Worker, check, consume, flush_namespace,
                    namespace, redis_client, run, settle, state)

T = "rs"
END = "2026-05-04"


def main():
    ns = namespace()
    gen = "\n".join(without_imported_assignments(run(
        ["generate", "--tenant", T, "--reps", "20", "--days", "30", "--seed", "11",
         "--end", END, "--fresh-day", "300"]).stdout.splitlines())) + "\n"
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
            while w.log().count("worker: assigned") < kills + 1 and time.time() < deadline:
                time.sleep(0.05)
            time.sleep(rng.uniform(0.05, 0.6))
            w.stop(signal.SIGKILL)
            kills += 1
        w.start()
        got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=180, worker=w)
        got = settle(b.bootstrap, "lead-assigned", got, quiet=5)
        rc = w.stop()
        check(rc == 0, "worker exit status %s after SIGTERM" % rc)
        waiting = len(state(ns, T)["queue"])
        check(waiting == 0, "%d leads still waiting" % waiting)
        first, repeats = check_decisions(got, leads)
        check_tallies([T], "2026-05-05", REDIS_URL, ns, outcomes, first)
    flush_namespace(ns)
    print("restart: %d kills survived, %d leads and %d outcomes checked, %d repeated deliveries "
          "(same event_id and rep)" % (kills, len(leads), len(outcomes), repeats))


if __name__ == "__main__":
    main()
