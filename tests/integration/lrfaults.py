"""Helpers of the fault tests (issue 4): a redis-server of the test's own
that the test stops, freezes and restarts; the group's committed
offsets; and the
two end-of-run checks every fault test makes:

- exactly once: every lead has one decision per attempt (re-publications
  carry the same event_id and rep), nothing decided twice;
- tallies: every rep's scorecard counts equal those computed here,
  independently, from the input events.
"""
import collections
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import redis
from confluent_kafka import Consumer, TopicPartition

from lrtest import LEADROUTER, check, fail, outbox_left

INPUTS = ("lead-created", "call-outcome", "rep-status")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RedisServer:
    """A redis-server owned by the test, on its own port and directory, so the
    test can stop, freeze (SIGSTOP) and restart it without disturbing the
    suite's server. Extra arguments select persistence."""

    def __init__(self, *args):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="lrredis-")
        self.args = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port),
                     "--dir", self.dir, "--logfile", os.path.join(self.dir, "redis.log")] + list(args)
        self.proc = None
        self.url = "redis://127.0.0.1:%d/0" % self.port
        self.start()

    def start(self):
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.exceptions.BusyLoadingError:
                pass
            except redis.exceptions.ConnectionError:
                pass
            time.sleep(0.05)
        fail("redis-server on port %d did not start:\n%s" % (self.port, self.log()))

    def client(self):
        return redis.Redis(host="127.0.0.1", port=self.port, decode_responses=True,
                           socket_timeout=10)

    def log(self):
        try:
            with open(os.path.join(self.dir, "redis.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def shutdown(self, save=False):
        """SHUTDOWN [NO]SAVE and wait for the process to end."""
        try:
            self.client().shutdown(save=save, nosave=not save)
        except redis.exceptions.ConnectionError:
            pass
        self.proc.wait(30)

    def kill(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(30)
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def committed(bootstrap, group, partitions=4, topics=INPUTS):
    """{(topic, partition): committed offset or -1} of a consumer group, read
    without joining it."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                  "enable.auto.commit": False})
    try:
        tps = c.committed([TopicPartition(t, p) for t in topics for p in range(partitions)],
                          timeout=30)
    finally:
        c.close()
    return {(tp.topic, tp.partition): tp.offset if tp.offset >= 0 else -1 for tp in tps}


def end_offsets(bootstrap, partitions=4, topics=INPUTS):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "wm-" + str(os.getpid())})
    try:
        return {(t, p): c.get_watermark_offsets(TopicPartition(t, p), timeout=30)[1]
                for t in topics for p in range(partitions)}
    finally:
        c.close()


def wait_committed(bootstrap, group, workers=(), timeout=120, partitions=4):
    """Waits until the group has committed everything produced so far; fails
    if a worker exits meanwhile."""
    want = end_offsets(bootstrap, partitions)
    deadline = time.time() + timeout
    while time.time() < deadline:
        have = committed(bootstrap, group, partitions)
        if all(have[k] >= v for k, v in want.items() if v > 0):
            return have
        for w in workers:
            if w.proc and w.proc.poll() is not None:
                fail("worker exited with %s\n%s" % (w.proc.returncode, w.log()[-3000:]))
        time.sleep(0.3)
    fail("not all input committed within %ds: want %s, have %s" % (timeout, want, have))


def wait_outbox(redis_url, ns, workers, timeout=120):
    """Waits until no tenant has an outbox entry (timer decisions, tier
    changes) left: what a killed worker left unacked is published again by
    the tenant's next owner when it claims it. Fails if a worker exits."""
    r = redis.Redis.from_url(redis_url)
    deadline = time.time() + timeout
    while time.time() < deadline:
        left = outbox_left(r, ns)
        if not left:
            return
        for w in workers:
            if w.proc and w.proc.poll() is not None:
                fail("worker exited with %s\n%s" % (w.proc.returncode, w.log()[-3000:]))
        time.sleep(0.5)
    fail("%d tenant(s) still have outbox entries after %ds" % (left, timeout))


def check_decisions(got, leads):
    """got: consume() output of lead-assigned; leads: the LeadCreated events.
    Checks one decision per (lead, attempt), every lead decided. Returns
    ({(tenant, lead_id): rep of the first decision}, repeated deliveries)."""
    per_attempt = collections.defaultdict(set)
    for _, d, _ in got:
        per_attempt[(d["tenant_id"], d["lead_id"], d["attempt"])].add((d["event_id"], d["rep_id"]))
    for (tenant, lid, attempt), ds in per_attempt.items():
        check(len(ds) == 1, "lead %s/%s attempt %d decided %d times: %s" % (
            tenant, lid, attempt, len(ds), ds))
        eid = next(iter(ds))[0]
        check(eid.endswith("#%d" % attempt), "decision event_id %s of attempt %d" % (eid, attempt))
    first = {(t, lid): next(iter(ds))[1] for (t, lid, attempt), ds in per_attempt.items()
             if attempt == 1}
    want = set((l["tenant_id"], l["lead_id"]) for l in leads)
    check(set(first) == want, "%d of %d leads have a first decision; missing %s" % (
        len(set(first) & want), len(want), sorted(want - set(first))[:10]))
    repeats = len(got) - len(per_attempt)
    return first, repeats


def expected_counts(outcomes, first_decisions):
    """Per rep, the scorecard's window tallies computed from the input events:
    every outcome is a call; a lead is attributed to the first rep with an
    outcome on it unless leadrouter decided it; the first terminal outcome of
    a lead closes it; a lead converts once."""
    want = collections.defaultdict(collections.Counter)
    closed, converted, seen = set(), set(), set()
    for o in sorted(outcomes, key=lambda o: o["occurred_at"]):
        key = (o["tenant_id"], o["lead_id"])
        c = want[(o["tenant_id"], o["rep_id"])]
        c["calls"] += 1
        if key not in seen:
            seen.add(key)
            c["leads_assigned"] += 1
        if o["outcome"] in ("OPPORTUNITY_CREATED", "CLOSED_WON") and key not in converted \
                and key not in closed:
            converted.add(key)
            c["opportunities"] += 1
        if o["outcome"] in ("CLOSED_WON", "CLOSED_LOST", "DISQUALIFIED") and key not in closed:
            closed.add(key)
            if o["outcome"] == "CLOSED_WON":
                c["won"] += 1
                c["won_value_cents"] += o.get("deal_value_cents") or 0
            elif o["outcome"] == "CLOSED_LOST":
                c["lost"] += 1
    for (tenant, _), rep in first_decisions.items():
        want[(tenant, rep)]["leads_assigned"] += 1
    return want


COUNTS = ("calls", "leads_assigned", "opportunities", "won", "lost", "won_value_cents")


def scorecard(tenant, as_of, redis_url, ns):
    r = subprocess.run([LEADROUTER, "scorecard", "--tenant", tenant, "--as-of", as_of,
                        "--format", "json", "--set", "redis.url=" + redis_url,
                        "--set", "redis.namespace=" + ns], capture_output=True, text=True)
    check(r.returncode == 0, "scorecard exited %d: %s" % (r.returncode, r.stderr))
    return json.loads(r.stdout)


def check_tallies(tenants, as_of, redis_url, ns, outcomes, first_decisions):
    """first_decisions: {(tenant, lead_id): rep_id}. Returns reps checked."""
    want = expected_counts(outcomes, first_decisions)
    n = 0
    for t in tenants:
        reps = {x["rep_id"]: x for x in scorecard(t, as_of, redis_url, ns)["reps"]}
        for (tenant, rep), c in want.items():
            if tenant != t:
                continue
            check(rep in reps, "%s: rep %s missing from the scorecard" % (t, rep))
            for k in COUNTS:
                check(int(reps[rep]["counts"][k]) == c[k], "%s %s %s: scorecard %s, events %d" % (
                    t, rep, k, reps[rep]["counts"][k], c[k]))
            n += 1
    return n


def generate(tenant, reps, days, seed, end, fresh):
    r = subprocess.run([LEADROUTER, "generate", "--tenant", tenant, "--reps", str(reps), "--days",
                        str(days), "--seed", str(seed), "--end", end, "--fresh-day", str(fresh)],
                       capture_output=True, text=True)
    check(r.returncode == 0, "generate: " + r.stderr)
    return without_imported_assignments(r.stdout.splitlines())


def without_imported_assignments(lines):
    """`generate` lines without the history's LeadCreated events (imported
    assignments): the history is then imported by its outcomes alone. The
    fault tests produce a whole org at once, and an imported assignment must
    be applied before its lead's outcomes, which Kafka does not promise
    across topics (ops/load_events.py loads day by day); their tallies
    model the import by outcomes."""
    return [l for l in lines
            if '"topic":"lead-created"' not in l or '"assigned_rep_id"' not in l]


def produce_lines(bootstrap, lines):
    """Produces `leadrouter generate` lines with the project's `produce`."""
    p = subprocess.run([LEADROUTER, "produce", "--brokers", bootstrap], input="\n".join(lines) + "\n",
                       capture_output=True, text=True)
    check(p.returncode == 0, "produce failed: " + p.stderr)


def events(lines, topic):
    out = []
    for l in lines:
        e = json.loads(l)
        if e["topic"] == topic:
            out.append(e["event"])
    return out


def read_all(bootstrap, topic, decode=True, timeout=30):
    """Every message of a topic: [(partition, offset, key, value)]."""
    from lrtest import SCHEMAS
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "all-" + str(time.time()),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "enable.partition.eof": True})
    ends = {}
    meta = c.list_topics(topic, timeout=timeout).topics[topic].partitions
    for p in meta:
        ends[p] = c.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)[1]
    c.assign([TopicPartition(topic, p, 0) for p in meta])
    out = []
    left = {p for p, e in ends.items() if e > 0}
    deadline = time.time() + timeout
    while left and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                if m.offset() >= ends[m.partition()]:
                    left.discard(m.partition())
            continue
        out.append((m.partition(), m.offset(), m.key().decode() if m.key() else None,
                    SCHEMAS.decode(m.value()) if decode else m.value()))
        if m.offset() + 1 >= ends[m.partition()]:
            left.discard(m.partition())
    c.close()
    check(not left, "could not read all of %s" % topic)
    return out


def check_tier_chains(bootstrap, tenants, as_of, redis_url, ns, bottom=3):
    """The published RepTierChanged events of each rep, in order, must chain
    from the bottom tier (where a new rep starts) to the tier the scorecard
    shows: a tier change lost on the way (installed in Redis, never
    published) breaks the chain. Call it once the outbox is empty
    (wait_outbox). Returns the number of changes checked."""
    changes = {}
    for _, _, _, tc in read_all(bootstrap, "rep-tier-changed"):
        changes[tc["event_id"]] = tc
    per_rep = collections.defaultdict(list)
    for tc in changes.values():
        per_rep[(tc["tenant_id"], tc["rep_id"])].append(tc)
    breaks = []
    for t in tenants:
        for rep in scorecard(t, as_of, redis_url, ns)["reps"]:
            tier = bottom
            for tc in sorted(per_rep.get((t, rep["rep_id"]), []), key=lambda x: x["decided_at"]):
                if tc["from_tier"] != tier:
                    breaks.append("%s %s: change %s from tier %d, last published tier %d" % (
                        t, rep["rep_id"], tc["event_id"], tc["from_tier"], tier))
                tier = tc["to_tier"]
            if rep["tier"] != tier:
                breaks.append("%s %s: scorecard tier %d, last published tier %d" % (
                    t, rep["rep_id"], rep["tier"], tier))
    check(not breaks, "%d tier change(s) lost (installed, never published), e.g. %s" % (
        len(breaks), "; ".join(breaks[:3])))
    return len(changes)


class Proxy:
    """A TCP proxy in front of a server (here Redis) that the test can hold:
    while held, what clients send is kept, not forwarded, as across a network
    partition; release() forwards it (late). A worker behind it can be cut
    off from Redis while others reach it directly."""

    def __init__(self, port):
        import threading
        self.target = port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(16)
        self.port = self.lsock.getsockname()[1]
        self.url = "redis://127.0.0.1:%d/0" % self.port
        self.gate = threading.Event()
        self.gate.set()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        import threading
        while not self.closed:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            s = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pipe, args=(c, s, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(s, c, False), daemon=True).start()

    def _pipe(self, src, dst, gated):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if gated:
                    self.gate.wait()
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hold(self):
        self.gate.clear()

    def release(self):
        self.gate.set()

    def close(self):
        self.closed = True
        self.gate.set()
        self.lsock.close()
