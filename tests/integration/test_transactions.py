"""The transactional path (`kafka.transactional.id`, SPEC §4) end to end on
the dev broker.

The worker publishes each batch's decisions and sends its offsets in one
transaction, and, because the dev broker (librdkafka 2.0.2's mock cluster)
does not store offsets sent in a transaction, also commits them the ordinary
way once the transaction has committed. Checked here:

- decisions are visible to a read_committed consumer, one per lead;
- an abortable error (a Produce of the transaction rejected for good,
  injected through `dev-broker --control`) aborts the transaction; the
  worker rewinds to the committed offsets and publishes the batch again in a
  new one, instead of giving up;
- the group's committed offsets reach the end of the input, so a restarted
  worker resumes where the last one stopped: after a clean restart and a new
  wave of leads, no decision of the first wave is published again;
- after a SIGKILL in the middle of a wave, the restarted worker (same
  transactional.id: it fences the dead one's transaction) decides every lead,
  each exactly once (a decision of the killed batch may be seen again with
  its same event_id: the mock does not hide aborted transactions).
"""
import collections
import signal
import time
import uuid

from confluent_kafka import Consumer

from lrfaults import INPUTS, check_decisions, committed, wait_committed
from lrtest import SCHEMAS, Broker, Worker, check, fail, flush_namespace, lead, ms, namespace, produce, status

T = "tx"
D = "2026-04-06"


def read_committed(bootstrap, want, worker, timeout=60, quiet=3.0):
    """lead-assigned from the beginning with isolation.level=read_committed,
    until `want` messages and `quiet` seconds without more."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "rc-" + uuid.uuid4().hex,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_committed"})
    c.subscribe(["lead-assigned"])
    out, last = [], time.time()
    deadline = time.time() + timeout
    try:
        while time.time() < deadline and (len(out) < want or time.time() - last < quiet):
            m = c.poll(0.3)
            if m is None:
                if worker.proc and worker.proc.poll() is not None:
                    fail("worker exited with %s\n%s" % (worker.proc.returncode,
                                                        worker.log()[-3000:]))
                continue
            if m.error():
                continue
            out.append((m.key().decode(), SCHEMAS.decode(m.value()), m.partition()))
            last = time.time()
    finally:
        c.close()
    check(len(out) >= want, "read_committed consumer saw %d of %d decisions" % (len(out), want))
    return out


def wave(name, n, t0):
    return [lead(T, "%s%03d" % (name, i), t0 + i * 1000) for i in range(n)]


def leads_of(got):
    return collections.Counter((v["tenant_id"], v["lead_id"]) for _, v, _ in got)


def decided(got, waves):
    first, repeats = check_decisions([(k, v, {}) for k, v, _ in got],
                                     [e for wv in waves for _, e in wv])
    return first, repeats


def main():
    ns = namespace()
    txid = "lr-tx-" + ns
    with Broker(brokers=3, control=True) as b:
        # Outputs on broker 3, inputs elsewhere: errors injected on broker 3
        # hit the worker's transactions only.
        for p in range(4):
            for t in INPUTS:
                b.cmd("leader %s %d 1" % (t, p))
            for t in ("lead-assigned", "rep-tier-changed", "lead-router-dlq"):
                b.cmd("leader %s %d 3" % (t, p))
        w = Worker(b.bootstrap, ns, extra={"kafka.transactional.id": txid,
                                           "policy.max_open_leads": 100000})
        try:
            produce(b.bootstrap, [status(T, "r%d" % i, ms(D + "T08:00"), "AVAILABLE")
                                  for i in range(4)])
            a = wave("A", 60, ms(D + "T10:00"))
            produce(b.bootstrap, a)
            w.start()
            got = read_committed(b.bootstrap, len(a), w)
            check("transactional" in w.log(), "worker not in transactional mode\n" + w.log())
            first, repeats = decided(got, [a])
            check(repeats == 0, "%d decisions repeated without any failure" % repeats)
            wait_committed(b.bootstrap, ns, [w])
            print("  wave A: %d decisions seen by a read_committed consumer, offsets committed"
                  % len(got))

            # An abortable error: a Produce of the transaction fails for good.
            b.cmd("broker-errors 3 Produce 1 INVALID_RECORD")
            e = wave("E", 200, ms(D + "T10:30"))
            produce(b.bootstrap, e)
            got = read_committed(b.bootstrap, len(a) + len(e), w)
            first, repeats = decided(got, [a, e])
            check("transaction aborted" in w.log(), "the injected error did not abort a "
                  "transaction\n" + w.log()[-3000:])
            wait_committed(b.bootstrap, ns, [w])
            # The error comes back either while the batch is still being
            # produced (the transaction refuses further messages) or at its
            # commit: aborted and consumed again both ways.
            when = "while producing" if "transaction failed while producing" in w.log() \
                else "at commit"
            print("  abortable error (%s): transaction aborted, batch consumed again, %d leads "
                  "decided once (%d repeated, same event_id)" % (when, len(first), repeats))

            # Clean restart: resumes at the committed offsets.
            seen = leads_of(got)
            check(w.stop() == 0, "worker exit status after SIGTERM")
            before = committed(b.bootstrap, ns)
            bw = wave("B", 40, ms(D + "T11:00"))
            produce(b.bootstrap, bw)
            w.start()
            got = read_committed(b.bootstrap, sum(seen.values()) + len(bw), w)
            first, repeats = decided(got, [a, e, bw])
            now = leads_of(got)
            again = [k for k, n in seen.items() if now[k] != n]
            check(not again, "after a clean restart decisions were published again "
                  "(offsets did not resume): %s" % again[:5])
            after = wait_committed(b.bootstrap, ns, [w])
            check(after != before, "offsets did not move")
            print("  clean restart: wave B decided, no earlier decision published again")

            # SIGKILL mid-wave, restart with the same transactional.id.
            cw = wave("C", 300, ms(D + "T12:00"))
            produce(b.bootstrap, cw)
            deadline = time.time() + 30
            while time.time() < deadline:
                n = len(read_committed(b.bootstrap, 0, w, timeout=1, quiet=0.2))
                if n > sum(now.values()):
                    break
            w.stop(signal.SIGKILL)
            w.start()
            got = read_committed(b.bootstrap, sum(now.values()) + len(cw), w)
            first, repeats = decided(got, [a, e, bw, cw])
            wait_committed(b.bootstrap, ns, [w])
            check(w.stop() == 0, "worker exit status after SIGTERM")
            print("  SIGKILL mid-wave: %d leads decided once, %d repeated (same event_id)" % (
                len(first), repeats))
        finally:
            w.stop()
    flush_namespace(ns)
    print("transactions: decisions read_committed, abort retried, offsets resumed, kill "
          "survived")


if __name__ == "__main__":
    main()
