"""Three workers, SIGKILLs at random moments, a Redis crash: exactly once.

Three workers share one consumer group over a stream of at least
LR_CRASH_EVENTS events (default 200,000: nine generated tenants of 20 reps
and 60 days of history plus 300 fresh leads each, interleaved; the tenants'
keys spread them over the partitions). The stream is produced in chunks
while it is consumed, never more than a few chunks ahead of the group's
committed offsets, because the dev broker keeps only ~5 MB per partition
and would otherwise drop input nobody has read yet. Meanwhile a random
worker is killed with SIGKILL at a random moment (at least LR_CRASH_KILLS,
default 10, spread over the stream) and restarted, and once, half way, the
redis-server itself is killed with SIGKILL and restarted.

Redis runs with `--appendonly yes --appendfsync always`: the worker commits
an input offset only after Redis acknowledged the event's effects, so the
offsets are only as safe as those acknowledged writes. With fsync on every
write, Redis acknowledges nothing it has not written to its append-only
file, and a restarted Redis remembers every effect whose offset may already
be committed. With RDB snapshots or `appendfsync everysec`, a crash can
forget the last writes while Kafka already holds offsets past them: those
events would never be applied (lost), or a lead's record would vanish and
its redelivery would decide it anew (a second, different decision).

Afterwards: every lead has exactly one first decision (one per attempt;
re-publications carry the same event_id and rep), no lead waits, every
rep's tallies in the scorecard equal those computed here from the input
events, and every rep's published RepTierChanged events chain to the tier
Redis holds (a worker killed between installing a day's ranking and
publishing its tier changes leaves them in the outbox; a live worker hands
them out again once their 30 s lease runs out). Printed: kills survived, events checked, repeated deliveries.

What the dev broker still lets through (SPEC §4): it has no working
transactions (it does not hide aborted transactional messages from
read_committed consumers and does not store offsets sent in a
transaction), so a worker killed after publishing a batch's decisions and
before committing its offsets leaves those decisions in `lead-assigned`,
and the batch's next owner publishes them again: a consumer sees the same
decision (same event_id, same rep) more than once ("repeated deliveries"),
never a different one. On a broker with transactions and
`kafka.transactional.id` set, the killed worker's transaction is aborted
and read_committed consumers see each decision once.
"""
import os
import random
import signal
import threading
import time

from lrfaults import (RedisServer, check_decisions, check_tallies, check_tier_chains,
                      committed, end_offsets, events, generate, produce_lines, wait_committed,
                      wait_outbox)
from lrtest import Broker, Worker, check, consume, fail, namespace, settle, state

END = "2026-05-04"
PARTITIONS = 6
CHUNK = 10000            # events per produced chunk
AHEAD = 3 * CHUNK        # produced but not yet committed, at most
PER_TENANT = 23000       # about what `generate --reps 20 --days 60` gives


def lag(bootstrap, group):
    ends = end_offsets(bootstrap, PARTITIONS)
    have = committed(bootstrap, group, PARTITIONS)
    return sum(max(0, e - max(have[k], 0)) for k, e in ends.items())


def main():
    want_events = int(os.environ.get("LR_CRASH_EVENTS", "200000"))
    want_kills = int(os.environ.get("LR_CRASH_KILLS", "10"))
    seed = int(os.environ.get("LR_CRASH_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    t_start = time.time()

    ntenants = max(1, -(-want_events // PER_TENANT))
    tenants = ["crash%02d" % i for i in range(ntenants)]
    per = [generate(t, 20, 60, 100 + i, END, 300) for i, t in enumerate(tenants)]
    stream = []
    for i in range(max(len(p) for p in per)):
        stream += [p[i] for p in per if i < len(p)]
    leads = [e for p in per for e in events(p, "lead-created")]
    outcomes = [e for p in per for e in events(p, "call-outcome")]
    check(len(stream) >= want_events, "generated %d events, want %d" % (len(stream), want_events))
    chunks = [stream[i:i + CHUNK] for i in range(0, len(stream), CHUNK)]
    print("crash: seed %d, %d events of %d tenants in %d chunks, %d leads" % (
        seed, len(stream), ntenants, len(chunks), len(leads)))

    ns = namespace()
    srv = RedisServer("--appendonly", "yes", "--appendfsync", "always", "--save", "")
    with srv, Broker(partitions=PARTITIONS) as b:
        extra = {"redis.url": srv.url, "policy.max_open_leads": 100000,
                 "kafka.session.timeout.ms": 3000, "kafka.heartbeat.interval.ms": 300}
        workers = [Worker(b.bootstrap, ns, extra=extra) for _ in range(3)]
        for w in workers:
            w.start()
        kills, redis_restarts, sent = 0, 0, 0
        restart_at = {}  # worker index -> time to restart it
        next_kill = time.time() + rng.uniform(4, 7)
        producer = None
        try:
            while True:
                now = time.time()
                # Produce the next chunk when the group has caught up enough
                # and the kills keep pace with the stream.
                if sent < len(chunks) and (producer is None or not producer.is_alive()) \
                        and kills >= want_kills * sent // len(chunks) \
                        and lag(b.bootstrap, ns) + CHUNK <= AHEAD:
                    producer = threading.Thread(target=produce_lines,
                                                args=(b.bootstrap, chunks[sent]))
                    producer.start()
                    sent += 1
                # Kill a random running worker at a random moment.
                if now >= next_kill and kills <= want_kills * sent // len(chunks):
                    live = [i for i, w in enumerate(workers) if i not in restart_at]
                    i = rng.choice(live)
                    workers[i].stop(signal.SIGKILL)
                    kills += 1
                    restart_at[i] = now + rng.uniform(0, 2)
                    next_kill = now + rng.uniform(2.5, 5)
                for i, at in list(restart_at.items()):
                    if now >= at:
                        workers[i].start()
                        del restart_at[i]
                # Half way: Redis crashes and comes back.
                if not redis_restarts and sent >= len(chunks) // 2:
                    srv.kill()
                    time.sleep(rng.uniform(0.5, 2))
                    srv.start()
                    redis_restarts += 1
                for w in workers:
                    if w.proc and w.proc.poll() is not None:
                        fail("a worker exited by itself with %s\n%s" % (
                            w.proc.returncode, w.log()[-3000:]))
                if sent == len(chunks) and kills >= want_kills and not restart_at \
                        and not producer.is_alive():
                    break
                time.sleep(0.1)
            producer.join()
            wait_committed(b.bootstrap, ns, workers, timeout=300, partitions=PARTITIONS)
            got = consume(b.bootstrap, "lead-assigned", len(leads), timeout=120)
            got = settle(b.bootstrap, "lead-assigned", got, quiet=3)
            wait_outbox(srv.url, ns, workers)
            for w in workers:
                rc = w.stop()
                check(rc == 0, "worker exit status %s after SIGTERM\n%s" % (rc, w.log()[-3000:]))
            r = srv.client()
            waiting = sum(len(state(ns, t, srv.url)["queue"]) for t in tenants)
            check(waiting == 0, "%d leads still waiting" % waiting)
            first, repeats = check_decisions(got, leads)
            reps = check_tallies(tenants, "2026-05-05", srv.url, ns, outcomes, first)
            changes = check_tier_chains(b.bootstrap, tenants, "2026-05-05", srv.url, ns)
        finally:
            for w in workers:
                if w.proc:
                    w.stop(signal.SIGKILL)
    print("crash: %d kills survived (and %d Redis crash), %d events checked, %d leads decided "
          "once, %d reps' tallies match, %d tier changes chained, %d repeated deliveries of a "
          "decision (same event_id); %.0f s" % (
              kills, redis_restarts, len(stream), len(first), reps, changes, repeats,
              time.time() - t_start))


if __name__ == "__main__":
    main()
