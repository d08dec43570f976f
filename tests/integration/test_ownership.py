"""Ownership of a tenant's state (issue 9): fencing a zombie, co-partitioned
inputs, and a store error that must not become a dead letter.

1. Co-partitioning: an input topic with another partition count than the
   others -> start-up refused, exit status 1, the message names the topics
   and their counts. An event of a tenant on another partition than the
   tenant's (a producer that does not key by tenant_id) is a dead letter
   naming both partitions, and routes nothing.
2. A zombie: worker A reaches Redis through a proxy that the test holds (a
   network partition), with a batch in flight; A is then stopped (SIGSTOP)
   past its session timeout while worker B takes its partitions and
   decides. When the proxy releases A's late writes and A resumes, Redis
   refuses them (B claimed the tenants with a newer epoch): A gives up the
   batch. Every lead has one decision per attempt (a repeat carries the
   same event_id and rep), every rep's tallies are exact.
3. A store error mid-run (Redis refuses writes: min-replicas-to-write 1):
   no event is dead-lettered for it, no offset is committed past it, and
   the worker recovers once it is fixed.
"""
import time

from lrfaults import (Proxy, RedisServer, check_decisions, check_tallies, committed, events,
                      generate, produce_lines, wait_committed)
from lrtest import (SCHEMAS, Broker, Worker, check, consume, fail, lead, ms, namespace,
                    read_all_dlq, settle, status)

T = "own"
END = "2026-05-04"


def wait_log(w, text, timeout=60):
    deadline = time.time() + timeout
    while text not in w.log():
        if time.time() > deadline:
            fail("worker never logged %r\n%s" % (text, w.log()[-3000:]))
        if w.proc.poll() is not None:
            fail("worker exited\n" + w.log()[-3000:])
        time.sleep(0.2)


def copartitioning():
    with Broker(control=True) as b:
        b.cmd("topic rep-status-2 2")
        w = Worker(b.bootstrap, namespace(), extra={"topics.rep_status": "rep-status-2"})
        w.start()
        try:
            rc = w.proc.wait(60)
        except Exception:
            fail("worker with non-co-partitioned inputs kept running\n" + w.log()[-2000:])
        log = w.log()
        check(rc == 1, "exit status %s, expected 1" % rc)
        check("not co-partitioned" in log and "lead-created has 4" in log
              and "rep-status-2 2" in log, "the refusal does not name the topics:\n" + log[-2000:])
        w.stop()
    print("  co-partitioning: start-up refused, topics and counts named")


def misplaced_tenant():
    from confluent_kafka import Producer
    day = "2026-05-04"
    with Broker() as b:
        w = Worker(b.bootstrap, namespace())
        p = Producer({"bootstrap.servers": b.bootstrap})
        try:
            w.start()
            # every event of the tenant on partition 0, whatever its key...
            for name, ev in [status(T, "r1", ms(day + "T08:00"), "AVAILABLE"),
                             lead(T, "L1", ms(day + "T09:00"))]:
                p.produce("rep-status" if name == "RepStatus" else "lead-created",
                          key=T.encode(), value=SCHEMAS.encode(name, ev), partition=0)
            p.flush(30)
            consume(b.bootstrap, "lead-assigned", 1, worker=w)
            # ...but one, keyed by its lead, on partition 1
            name, ev = lead(T, "L2", ms(day + "T09:05"))
            p.produce("lead-created", key=b"L2", value=SCHEMAS.encode(name, ev), partition=1)
            p.flush(30)
            dead = consume(b.bootstrap, "lead-router-dlq", 1, decode=False, worker=w)
            _, _, hdr = dead[0]
            reason = hdr.get("error", "")
            check("partition 0" in reason and "on 1" in reason and "keyed by tenant_id" in reason,
                  "the dead letter's reason: %r" % reason)
            got = settle(b.bootstrap, "lead-assigned", 1)
            check([v["lead_id"] for _, v, _ in got] == ["L1"],
                  "the misplaced lead was routed: %r" % [v["lead_id"] for _, v, _ in got])
            check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
        finally:
            w.close()
    print("  misplaced tenant: an event on another partition than its tenant's is a dead letter")


def zombie():
    import threading
    ns = namespace()
    lines = generate(T, 12, 30, 5, END, 200)
    leads = events(lines, "lead-created")
    outcomes = events(lines, "call-outcome")
    with RedisServer("--save", "", "--appendonly", "no") as srv, Broker() as b:
        proxy = Proxy(srv.port)
        # A frozen worker leaves the group in 3 s.
        extra = {"policy.max_open_leads": 100000, "worker.batch_size": 100,
                 "kafka.session.timeout.ms": 3000, "kafka.heartbeat.interval.ms": 300}
        a = Worker(b.bootstrap, ns, extra=dict(extra, **{"redis.url": proxy.url}))
        bw = Worker(b.bootstrap, ns, extra=dict(extra, **{"redis.url": srv.url}))
        head, rest = lines[:len(lines) // 4], lines[len(lines) // 4:]
        try:
            a.start()
            produce_lines(b.bootstrap, head)
            wait_committed(b.bootstrap, ns, [a])
            # A busy with a stream of input...
            feeder = threading.Thread(target=lambda: [
                (produce_lines(b.bootstrap, rest[i:i + 300]), time.sleep(0.1))
                for i in range(0, len(rest), 300)])
            feeder.start()
            time.sleep(1.5)
            # ...is cut off from Redis with a batch in flight, and stopped.
            proxy.hold()
            time.sleep(0.5)
            a.freeze()
            # B joins; A's session expires; B takes every partition and
            # claims the tenant with a newer epoch.
            bw.start()
            wait_log(bw, "1 tenant(s) loaded", timeout=30)
            # A's late write reaches Redis, then A resumes.
            proxy.release()
            a.thaw()
            deadline = time.time() + 30
            while not ("refused" in a.log() or "newer epoch" in a.log()):
                check(time.time() < deadline,
                      "the zombie's late write was not refused\n" + a.log()[-3000:])
                time.sleep(0.2)
            feeder.join()
            # A rejoins; both settle with everything committed.
            wait_committed(b.bootstrap, ns, [a, bw], timeout=180)
            got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=120, worker=bw)
            got = settle(b.bootstrap, "lead-assigned", got)
            for w in (a, bw):
                check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
            first, repeats = check_decisions(got, leads)
            reps = check_tallies([T], "2026-05-05", srv.url, ns, outcomes, first)
        finally:
            proxy.release()
            a.close()
            bw.close()
            proxy.close()
    print("  zombie: its late write refused, batch given up; %d leads decided once, "
          "%d reps' tallies exact, %d repeated deliveries (same event_id and rep)"
          % (len(first), reps, repeats))


def store_error():
    ns = namespace()
    lines = generate(T, 8, 10, 6, END, 100)
    leads = events(lines, "lead-created")
    outcomes = events(lines, "call-outcome")
    with RedisServer("--save", "", "--appendonly", "no") as srv, Broker() as b:
        w = Worker(b.bootstrap, ns, extra={"redis.url": srv.url,
                                           "policy.max_open_leads": 100000})
        try:
            w.start()
            produce_lines(b.bootstrap, lines[:len(lines) // 2])
            wait_committed(b.bootstrap, ns, [w])
            before = committed(b.bootstrap, ns)
            srv.client().config_set("min-replicas-to-write", "1")
            produce_lines(b.bootstrap, lines[len(lines) // 2:])
            wait_log(w, "NOREPLICAS")
            time.sleep(3)
            check(committed(b.bootstrap, ns) == before,
                  "offsets committed while Redis refused writes")
            check(not read_all_dlq(b.bootstrap), "an event was dead-lettered for a store error")
            srv.client().config_set("min-replicas-to-write", "0")
            wait_committed(b.bootstrap, ns, [w])
            got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=120, worker=w)
            check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
            check(not read_all_dlq(b.bootstrap), "dead letters after recovery")
            first, _ = check_decisions(got, leads)
            check_tallies([T], "2026-05-05", srv.url, ns, outcomes, first)
        finally:
            w.close()
    print("  store error: nothing dead-lettered or committed while Redis refused writes; "
          "recovered, %d leads decided once" % len(first))


def main():
    copartitioning()
    misplaced_tenant()
    store_error()
    zombie()
    print("ownership: co-partitioning checked, store error survived, zombie fenced")


if __name__ == "__main__":
    main()
