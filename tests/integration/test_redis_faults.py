"""Redis faults mid-stream (SPEC §4: "Redis unreachable -> consumption pauses
and no offset is committed; it resumes when Redis is back").

The test runs its own redis-server (no persistence of its own: `--save ''`)
and one worker with `max.poll.interval.ms` 10000, then, while a generated org
(history + a fresh day of leads) streams in, in phases:

1. Redis hangs (SIGSTOP) for longer than max.poll.interval.ms, with input
   arriving meanwhile: connections neither fail nor answer.
2. Redis is down (SHUTDOWN SAVE, restarted on the same port from its dump
   after longer than max.poll.interval.ms): connections are refused.
3. Redis down while the group rebalances: another member joins while the
   worker waits for Redis, and leaves after Redis is back. The batch the
   worker held is for partitions it lost: it must drop it (their next owner
   reads it again), and consume again from every partition it gets back.
4. FUNCTION FLUSH: Redis is up but has lost the Functions library.

For each outage: the worker logs it once (not once per message or retry)
and once when Redis is back, commits no offset while it lasts, stays in its
consumer group (phases 1-2: no revocation, no max.poll.interval.ms expiry),
and resumes by itself. For the flush, it reloads the library. At the end
every lead has exactly one decision and every rep's tallies equal those
computed from the input events."""
import re
import time

from confluent_kafka import Consumer

from lrfaults import (INPUTS, RedisServer, check_decisions, check_tallies, committed,
                      end_offsets, events, free_port, generate, produce_lines, wait_committed)
from lrtest import (Broker, Worker, check, consume, fail, http_get, metric, namespace, settle,
                    state)

T = "rf"
END = "2026-05-04"
OUTAGE_S = 13  # longer than max.poll.interval.ms below
MAX_POLL_MS = 8000
HTTP_PORT = free_port()


def wait_log(w, pattern, count, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if len(re.findall(pattern, w.log())) >= count:
            return
        if w.proc.poll() is not None:
            fail("worker exited with %s\n%s" % (w.proc.returncode, w.log()[-3000:]))
        time.sleep(0.1)
    fail("no %r (x%d) in the worker log within %ds\n%s" % (pattern, count, timeout, w.log()[-3000:]))


def count(w, pattern):
    return len(re.findall(pattern, w.log()))


def outage(name, b, w, ns, start_fault, end_fault, lines, during=None):
    """Starts a fault, produces `lines` into it, checks that nothing is
    committed while it lasts (longer than max.poll.interval.ms), ends it and
    waits until everything is committed. The outage is logged once, and
    the worker's /healthz and /metrics show it while it lasts."""
    t0 = time.time()
    n = count(w, "Redis unavailable")
    start_fault()
    produce_lines(b.bootstrap, lines)
    wait_log(w, r"Redis unavailable", n + 1)
    before = committed(b.bootstrap, ns)
    ends = end_offsets(b.bootstrap)
    check(any(before[k] < v for k, v in ends.items()),
          "%s: the input produced during the outage was committed" % name)
    status, body = http_get(HTTP_PORT, "/healthz")
    check(status == 503, "%s: /healthz during the outage: %d %s" % (name, status, body))
    check(metric(HTTP_PORT, "leadrouter_redis_up") == 0, "%s: redis_up not 0" % name)
    check(metric(HTTP_PORT, "leadrouter_consumption_paused") == 1, "%s: not paused" % name)
    after_fault = during() if during else None
    time.sleep(max(0.0, OUTAGE_S - (time.time() - t0)))
    after = committed(b.bootstrap, ns)
    check(after == before, "%s: offsets committed while Redis was unavailable:\n%s\n%s" % (
        name, before, after))
    check(w.proc.poll() is None, "%s: worker exited\n%s" % (name, w.log()[-3000:]))
    end_fault()
    wait_log(w, r"Redis is back", n + 1)
    status, body = http_get(HTTP_PORT, "/healthz")
    check(status == 200 and body == "ok\n", "%s: /healthz after: %d %s" % (name, status, body))
    if after_fault:
        after_fault()
    wait_committed(b.bootstrap, ns, [w])
    check(count(w, "Redis unavailable") == n + 1 and count(w, "Redis is back") == n + 1,
          "%s: outage not logged exactly once\n%s" % (name, w.log()[-3000:]))
    print("  %s: %.1f s outage, logged once, nothing committed meanwhile, resumed by itself" % (
        name, time.time() - t0))


def join_group(b, ns, w):
    """Another member joins the worker's group (while the worker waits for
    Redis) and takes some of its partitions; returns the function that makes
    it leave again."""
    revoked, assigned = count(w, "revoked"), count(w, "worker: assigned ")
    c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": ns,
                  "partition.assignment.strategy": "range,roundrobin",
                  "session.timeout.ms": 6000, "enable.auto.commit": False,
                  "auto.offset.reset": "earliest"})
    c.subscribe(list(INPUTS))
    deadline = time.time() + 60
    while not c.assignment() and time.time() < deadline:
        c.poll(0.2)
    check(c.assignment(), "the second member got no partitions")
    wait_log(w, "revoked", revoked + 1)
    wait_log(w, "worker: assigned ", assigned + 1)

    def leave():
        c.close()
        wait_log(w, "worker: assigned ", assigned + 2)
    return leave


def main():
    ns = namespace()
    lines = generate(T, 20, 30, 21, END, 300)
    leads = events(lines, "lead-created")
    outcomes = events(lines, "call-outcome")
    # Phases: most of the history first, then the rest of the stream split
    # in four (the fresh day's leads land in the later phases).
    first_lead = next(i for i, l in enumerate(lines) if '"lead-created"' in l)
    head = lines[:first_lead * 2 // 3]
    rest = lines[first_lead * 2 // 3:]
    k = len(rest) // 4
    parts = [rest[:k], rest[k:2 * k], rest[2 * k:3 * k], rest[3 * k:]]

    with RedisServer("--save", "", "--appendonly", "no") as srv, Broker() as b:
        w = Worker(b.bootstrap, ns, extra={"redis.url": srv.url,
                                           "kafka.max.poll.interval.ms": MAX_POLL_MS,
                                           "http.listen": "127.0.0.1:%d" % HTTP_PORT,
                                           "policy.max_open_leads": 100000})
        w.start()
        try:
            produce_lines(b.bootstrap, head)
            wait_committed(b.bootstrap, ns, [w])
            check(count(w, "worker: assigned ") == 1, "worker not settled in its group")

            outage("hang (SIGSTOP)", b, w, ns, srv.freeze, srv.thaw, parts[0])
            outage("down (SHUTDOWN SAVE, restart)", b, w, ns,
                   lambda: srv.shutdown(save=True), srv.start, parts[1])
            log = w.log()
            check(log.count("worker: assigned ") == 1 and log.count("revoked") == 0,
                  "worker left its group during an outage\n" + log[-4000:])
            check("MAXPOLL" not in log and "maximum poll interval" not in log,
                  "max.poll.interval.ms exceeded\n" + log[-4000:])

            outage("down while the group rebalances", b, w, ns,
                   lambda: srv.shutdown(save=True), srv.start, parts[2],
                   during=lambda: join_group(b, ns, w))
            check(count(w, "batch is dropped") == 1,
                  "the batch of revoked partitions was not dropped\n" + w.log()[-3000:])

            loads = count(w, "loaded Functions library")
            srv.client().function_flush()
            produce_lines(b.bootstrap, parts[3])
            wait_committed(b.bootstrap, ns, [w])
            check(count(w, "loaded Functions library") == loads + 1,
                  "Functions library not reloaded once after FUNCTION FLUSH\n" + w.log()[-3000:])
            print("  FUNCTION FLUSH: library reloaded, stream resumed")

            got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=120, worker=w)
            got = settle(b.bootstrap, "lead-assigned", got)
            applied = metric(HTTP_PORT, "leadrouter_events_total")
            check(applied >= len(lines), "/metrics: %d events applied of %d" % (applied, len(lines)))
            check(metric(HTTP_PORT, "leadrouter_decisions_total") >= len(leads),
                  "/metrics: fewer decisions than leads")
            rc = w.stop()
            check(rc == 0, "worker exit status %s after SIGTERM" % rc)
            check("MAXPOLL" not in w.log(), "max.poll.interval.ms exceeded\n" + w.log()[-4000:])
            waiting = len(state(ns, T, srv.url)["queue"])
            check(waiting == 0, "%d leads still waiting" % waiting)
            first, repeats = check_decisions(got, leads)
            reps = check_tallies([T], "2026-05-05", srv.url, ns, outcomes, first)
        finally:
            w.stop()
    print("redis faults: hang, down, down during a rebalance and FUNCTION FLUSH survived; "
          "%d leads decided once, %d reps' tallies match %d outcomes; %d repeated deliveries "
          "(same event_id)" % (len(first), reps, len(outcomes), repeats))


if __name__ == "__main__":
    main()
