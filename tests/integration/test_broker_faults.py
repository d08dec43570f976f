"""Broker faults (SPEC §4: "Broker faults -> librdkafka retries; a fatal
error ends the process with a non-zero status and a clear log line, with
nothing committed that was not processed").

A three-broker dev broker is driven through its control channel
(`dev-broker --control`) while a generated stream of two tenants flows
through one worker, in phases:

1. each broker in turn goes down for a few seconds and comes back
   (partition leaders, and the group coordinator, stay on it meanwhile);
2. partition leaders move between brokers, every partition of every topic,
   several times;
3. retriable request errors: Produce and Fetch answered NOT_LEADER,
   OffsetCommit and Heartbeat answered with coordinator errors, Produce
   timing out;
4. the broker leading every output partition goes down for longer than
   max.poll.interval.ms (8 s here) while the worker publishes: it waits for
   the broker without leaving its consumer group;
5. a fatal error: Produce answered OUT_OF_ORDER_SEQUENCE_NUMBER by the
   broker that leads the output topics, which librdkafka's idempotent
   producer treats as fatal. The worker must exit non-zero with a log line
   saying why, and every input offset it committed must have been
   processed: each event below a committed offset is in Redis, each lead
   below one has its decision published. A new worker then finishes the
   stream.

At the end every lead has exactly one decision (repeats carry the same
event_id) and every rep's tallies equal those computed from the events.
"""
import time

from lrfaults import (INPUTS, check_decisions, check_tallies,
                      check_tier_chains, committed, events, generate, produce_lines, read_all,
                      wait_committed, wait_outbox)
from lrtest import (REDIS_URL, Broker, Worker, applied, check, consume, flush_namespace, namespace,
                    redis_client, settle)

TENANTS = ("bfa", "bfb")
END = "2026-05-04"
OUTPUTS = ("lead-assigned", "rep-tier-changed", "lead-router-dlq")
PARTS = 4
MAX_POLL_MS = 8000


def main():
    ns = namespace()
    lines, leads, outcomes = [], [], []
    for i, t in enumerate(TENANTS):
        ls = generate(t, 12, 30, 31 + i, END, 150)
        lines.append(ls)
        leads += events(ls, "lead-created")
        outcomes += events(ls, "call-outcome")
    # Interleave the tenants, each in its own order, then cut in phases.
    merged = [l for pair in zip(*lines) for l in pair]
    longest = max(lines, key=len)
    merged += longest[min(len(x) for x in lines):]
    n = len(merged)
    cuts = [0, n * 25 // 100, n * 40 // 100, n * 55 // 100, n * 70 // 100, n * 85 // 100, n]
    head, down_up, leaders, errors, long_down, fatal = [merged[cuts[i]:cuts[i + 1]]
                                                       for i in range(6)]

    r = redis_client()
    with Broker(brokers=3, partitions=PARTS, control=True) as b:
        w = Worker(b.bootstrap, ns, extra={"policy.max_open_leads": 100000,
                                           "kafka.max.poll.interval.ms": MAX_POLL_MS})
        w.start()
        try:
            produce_lines(b.bootstrap, head)
            wait_committed(b.bootstrap, ns, [w])

            # 1. Brokers down and up, one at a time, while the worker works.
            produce_lines(b.bootstrap, down_up)
            for broker in (1, 2, 3):
                b.cmd("down %d" % broker)
                time.sleep(3)
                b.cmd("up %d" % broker)
                time.sleep(1)
            wait_committed(b.bootstrap, ns, [w])
            print("  brokers 1, 2, 3 down 3 s each: ridden out")

            # 2. Leaders move, every partition of every topic, three times.
            produce_lines(b.bootstrap, leaders)
            for rnd in range(3):
                for t in INPUTS + OUTPUTS:
                    for p in range(PARTS):
                        b.cmd("leader %s %d %d" % (t, p, (p + rnd + 1) % 3 + 1))
                time.sleep(1.5)
            wait_committed(b.bootstrap, ns, [w])
            print("  leaders moved three times: ridden out")

            # 3. Retriable request errors (they hit the test's own clients
            # too, which retry as well).
            for cmd in ("errors Fetch 5 NOT_LEADER_OR_FOLLOWER",
                        "errors Produce 5 NOT_LEADER_OR_FOLLOWER",
                        "errors Produce 2 REQUEST_TIMED_OUT",
                        "errors OffsetCommit 3 COORDINATOR_NOT_AVAILABLE",
                        "errors Heartbeat 2 NOT_COORDINATOR"):
                b.cmd(cmd)
            produce_lines(b.bootstrap, errors)
            wait_committed(b.bootstrap, ns, [w])
            check(w.proc.poll() is None and "fatal" not in w.log(),
                  "worker failed on retriable errors\n" + w.log()[-3000:])
            print("  retriable Produce/Fetch/OffsetCommit/Heartbeat errors: ridden out")

            # 4. The outputs' broker down longer than max.poll.interval.ms
            # (the group's coordinator elsewhere, so heartbeats go on).
            for t in INPUTS:
                for p in range(PARTS):
                    b.cmd("leader %s %d 1" % (t, p))
            for t in OUTPUTS:
                for p in range(PARTS):
                    b.cmd("leader %s %d 3" % (t, p))
            b.cmd("coordinator group %s 1" % ns)
            time.sleep(1)
            revoked = w.log().count("revoked")
            b.cmd("down 3")
            produce_lines(b.bootstrap, long_down)
            time.sleep(MAX_POLL_MS / 1000.0 * 1.5)
            b.cmd("up 3")
            wait_committed(b.bootstrap, ns, [w])
            log = w.log()
            check("MAXPOLL" not in log and log.count("revoked") == revoked,
                  "the worker left its group while a broker was down\n" + log[-3000:])
            print("  outputs' broker down %.0f s (> max.poll.interval.ms): stayed in the group"
                  % (MAX_POLL_MS / 1000.0 * 1.5))

            # 5. A fatal idempotent-producer error on the outputs' broker.
            b.cmd("broker-errors 3 Produce 1 OUT_OF_ORDER_SEQUENCE_NUMBER")
            produce_lines(b.bootstrap, fatal)
            deadline = time.time() + 60
            while w.proc.poll() is None and time.time() < deadline:
                time.sleep(0.2)
            rc = w.proc.poll()
            log = w.log()
            check(rc not in (None, 0), "worker did not exit on a fatal error (rc %s)\n%s" % (
                rc, log[-3000:]))
            fatal_lines = [l for l in log.splitlines() if "ERROR worker: fatal:" in l]
            check(len(fatal_lines) == 1 and "out of order sequence" in fatal_lines[0].lower(),
                  "no clear fatal log line\n" + log[-3000:])
            print("  fatal error: exit status %d, %s" % (rc, fatal_lines[0].split("ERROR ")[1][:160]))
            w.stop()

            # Nothing committed that was not processed.
            done = committed(b.bootstrap, ns)
            published = set(d["lead_id"] for _, _, _, d in read_all(b.bootstrap, "lead-assigned"))
            below = 0
            for topic in INPUTS:
                for p, off, key, ev in read_all(b.bootstrap, topic):
                    if off >= done[(topic, p)]:
                        continue
                    below += 1
                    check(applied(r, ns, ev["tenant_id"], ev["event_id"]),
                          "%s [%d] @%d committed but not in Redis" % (topic, p, off))
                    if topic == "lead-created":
                        check(ev["lead_id"] in published,
                              "lead %s committed but its decision was not published" % ev["lead_id"])
            print("  after the fatal exit: %d committed events all processed" % below)

            # A new worker finishes the stream.
            w.start()
            wait_committed(b.bootstrap, ns, [w])
            got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=120, worker=w)
            got = settle(b.bootstrap, "lead-assigned", got)
            wait_outbox(REDIS_URL, ns, [w])
            rc = w.stop()
            check(rc == 0, "worker exit status %s after SIGTERM" % rc)
            changes = check_tier_chains(b.bootstrap, TENANTS, "2026-05-05", REDIS_URL, ns)
        finally:
            w.stop()

    first, repeats = check_decisions(got, leads)
    reps = check_tallies(TENANTS, "2026-05-05", REDIS_URL, ns, outcomes, first)
    flush_namespace(ns)
    print("broker faults: %d leads decided once, %d reps' tallies match %d outcomes, %d tier "
          "changes chained; %d repeated deliveries (same event_id)" % (
              len(first), reps, len(outcomes), changes, repeats))


if __name__ == "__main__":
    main()
