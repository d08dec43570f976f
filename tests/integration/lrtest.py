"""Helpers for leadrouter's integration tests.

Everything here talks to real servers: the `leadrouter dev-broker` (librdkafka's
Kafka-protocol mock cluster, over TCP), a real redis-server (LR_TEST_REDIS_URL,
started by tests/run.sh) and the `leadrouter` binary (LEADROUTER). Events are
encoded with Apache Avro's own Python library from schemas/*.avsc and produced
with confluent-kafka: clients from outside the project.
Every process a test starts is stopped by the test (use the context managers).
"""
import io
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid

import avro.io
import avro.schema
import redis
from confluent_kafka import Consumer, Producer, TopicPartition

SRC = os.environ.get("LR_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
LEADROUTER = os.environ.get("LEADROUTER") or os.path.join(SRC, "build", "leadrouter")
REDIS_URL = os.environ.get("LR_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")

TOPICS = {
    "LeadCreated": "lead-created",
    "CallOutcome": "call-outcome",
    "RepStatus": "rep-status",
    "LeadAssigned": "lead-assigned",
    "RepTierChanged": "rep-tier-changed",
}
DLQ = "lead-router-dlq"


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def _plain(node):
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


class Schemas:
    """Confluent framing + Avro binary with the project's schemas."""

    def __init__(self):
        with open(os.path.join(SRC, "schemas", "manifest.json")) as f:
            self.manifest = json.load(f)
        self.by_id = {}
        for sid, fname in self.manifest["schemas"].items():
            with open(os.path.join(SRC, "schemas", fname)) as f:
                # Timestamps as plain longs (epoch ms): same bytes on the wire.
                self.by_id[int(sid)] = avro.schema.parse(json.dumps(_plain(json.load(f))))

    def encode(self, record_name, value, schema_id=None):
        sid = schema_id or self.manifest["writes"][record_name]
        buf = io.BytesIO()
        buf.write(struct.pack(">bI", 0, sid))
        avro.io.DatumWriter(self.by_id[sid]).write(value, avro.io.BinaryEncoder(buf))
        return buf.getvalue()

    def decode(self, data):
        magic, sid = struct.unpack(">bI", data[:5])
        assert magic == 0, "not Confluent-framed"
        reader = avro.io.DatumReader(self.by_id[sid])
        return reader.read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))


SCHEMAS = Schemas()


def lead(tenant, lead_id, created_at, score=60, tier=None, **kw):
    ev = {"event_id": "lc-" + lead_id, "tenant_id": tenant, "lead_id": lead_id,
          "created_at": created_at, "score": score, "tier": tier,
          "account_id": None, "region": None, "timezone": None, "source": None,
          "contact_after": None, "attributes": {}}
    ev.update(kw)
    return ("LeadCreated", ev)


def status(tenant, rep_id, occurred_at, st, until=None, event_id=None, **profile):
    ev = {"event_id": event_id or "rs-%s-%s-%d" % (rep_id, st, occurred_at),
          "tenant_id": tenant, "rep_id": rep_id, "occurred_at": occurred_at,
          "status": st, "until": until}
    for k in ("display_name", "team", "regions", "timezone", "working_hours",
              "hired_at", "max_open_leads"):
        ev[k] = profile.get(k)
    return ("RepStatus", ev)


def outcome(tenant, rep_id, lead_id, occurred_at, oc, deal=None, event_id=None):
    ev = {"event_id": event_id or "co-%s-%s-%s-%d" % (rep_id, lead_id, oc, occurred_at),
          "tenant_id": tenant, "rep_id": rep_id, "lead_id": lead_id,
          "occurred_at": occurred_at, "outcome": oc, "duration_seconds": 60,
          "deal_value_cents": deal}
    return ("CallOutcome", ev)


class Broker:
    """`leadrouter dev-broker`, stopped on exit. With control=True it takes
    fault-injection commands on its stdin: cmd() sends one and checks that it
    was acknowledged."""

    def __init__(self, partitions=4, brokers=1, control=False):
        args = [LEADROUTER, "dev-broker", "--brokers", str(brokers), "--partitions", str(partitions)]
        if control:
            args.append("--control")
        self.partitions = partitions
        self.log = tempfile.NamedTemporaryFile(prefix="lrbroker-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE if control else subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=self.log, text=True, bufsize=1)
        self.bootstrap = self.proc.stdout.readline().strip()
        check(self.bootstrap, "dev-broker printed no bootstrap list")

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        check(answer == "ok", "dev-broker %r: %s" % (line, answer))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        os.unlink(self.log.name)


def http_get(port, path):
    """(status, body) of GET http://127.0.0.1:<port><path>."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def metric(port, name):
    """The value of one sample of the worker's /metrics."""
    status, body = http_get(port, "/metrics")
    check(status == 200, "/metrics: HTTP %d" % status)
    for line in body.splitlines():
        if line.split(" ")[0] == name:
            return float(line.split(" ")[1])
    fail("/metrics has no %s:\n%s" % (name, body))


def wait_metric(port, name, want, worker=None, timeout=60):
    """Waits until the worker's /metrics sample `name` reaches `want` (the
    endpoint may still be starting), e.g. leadrouter_events_total reaching
    the number of events produced: how a test knows they were applied
    without knowing how Redis keeps them."""
    deadline = time.time() + timeout
    got = None
    while time.time() < deadline:
        if worker and worker.proc and worker.proc.poll() is not None:
            fail("worker exited with %s\n%s" % (worker.proc.returncode, worker.log()[-3000:]))
        try:
            status, body = http_get(port, "/metrics")
        except OSError:
            status, body = 0, ""
        for line in body.splitlines() if status == 200 else []:
            if line.split(" ")[0] == name:
                got = float(line.split(" ")[1])
        if got is not None and got >= want:
            return got
        time.sleep(0.1)
    fail("%s is %s, not %s within %ds\n%s" % (name, got, want, timeout,
                                               worker.log()[-3000:] if worker else ""))


class Worker:
    """`leadrouter run` with a generated config file; logs go to a file."""

    def __init__(self, bootstrap, namespace, extra=None, topics=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="lrw-")
        self.config = os.path.join(self.dir, "worker.yaml")
        lines = ["kafka:", "  bootstrap.servers: %s" % bootstrap,
                 "  group.id: %s" % namespace,
                 # a SIGKILLed member is noticed in seconds, not 45 s
                 "  session.timeout.ms: 6000", "  heartbeat.interval.ms: 500",
                 "redis:", "  url: %s" % REDIS_URL, "  namespace: %s" % namespace,
                 # several workers on one machine: no endpoint unless asked
                 "http:", '  listen: ""',
                 # Timers off unless a test turns them on (extra): tests
                 # replay past event times through a wall-clock worker, where
                 # every SLA and escalation would be due at once.
                 "policy:", "  sla_first_touch_seconds: 0", "  max_wait_seconds: 0"]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.args = [LEADROUTER, "run", "--config", self.config]
        for k, v in (extra or {}).items():
            self.args += ["--set", "%s=%s" % (k, v)]
        # LR_TEST_WORKER_SET="k=v ...": more settings for every worker, e.g.
        # kafka.partition.assignment.strategy=cooperative-sticky by hand.
        for kv in os.environ.get("LR_TEST_WORKER_SET", "").split():
            self.args += ["--set", kv]
        self.env = dict(os.environ, **(env or {}))
        self.proc = None
        self.logs = []

    def start(self):
        log = os.path.join(self.dir, "worker-%d.log" % len(self.logs))
        self.logs.append(log)
        self.proc = subprocess.Popen(self.args, stdout=open(log, "w"),
                                     stderr=subprocess.STDOUT, env=self.env)
        return self

    def log(self):
        out = []
        for p in self.logs:
            with open(p) as f:
                out.append(f.read())
        return "".join(out)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                fail("worker did not stop within %ds\n%s" % (timeout, self.log()[-3000:]))
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def freeze(self):
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def close(self):
        """Stops the worker whatever its state (frozen included)."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def namespace():
    return "t" + uuid.uuid4().hex[:10]


def redis_client():
    return redis.Redis.from_url(REDIS_URL, decode_responses=True)


def applied(r, ns, tenant, event_id):
    """Whether the worker has applied input event_id of tenant (Redis holds
    it among the tenant's applied events)."""
    return any(r.hexists(k, event_id)
               for k in r.scan_iter(match="%s:{%s}:ev:*" % (ns, tenant), count=1000))


def state(ns, tenant, redis_url=None):
    """The summary of `leadrouter state export`: reps, queue (waiting
    lead ids), outbox (entries not yet acked), rank_day, next_timer."""
    r = run(["state", "export", "--tenant", tenant,
             "--set", "redis.url=" + (redis_url or REDIS_URL),
             "--set", "redis.namespace=" + ns])
    return json.loads(r.stdout)["summary"]


def outbox_left(r, ns):
    """Outbox entries (timer decisions, tier changes) not yet acked, over
    every tenant of the namespace."""
    return sum(r.hlen(k) for k in r.scan_iter(match=ns + ":{*}:outbox", count=1000))


def flush_namespace(ns):
    r = redis_client()
    for k in r.scan_iter(match=ns + ":*", count=1000):
        r.unlink(k)


def produce(bootstrap, events, raw=None, encode=None):
    """events: [(record_name, dict)]; raw: [(topic, key, bytes)] as is.
    encode(record_name, dict) -> bytes: another encoder than the manifest's
    (e.g. through a Schema Registry)."""
    p = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True,
                  "linger.ms": 5})
    for name, ev in events:
        p.produce(TOPICS[name], key=ev["tenant_id"].encode(),
                  value=(encode or SCHEMAS.encode)(name, ev))
        p.poll(0)
    for topic, key, value in raw or []:
        p.produce(topic, key=key, value=value)
        p.poll(0)
    left = p.flush(30)
    check(left == 0, "%d messages not delivered" % left)


def consume(bootstrap, topic, want, timeout=60, decode=True, worker=None):
    """Reads `topic` from the beginning until `want` messages or timeout.
    Returns [(key, value, headers)] with value decoded unless decode=False."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "reader-" + uuid.uuid4().hex,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                  "isolation.level": "read_uncommitted"})
    c.subscribe([topic])
    out = []
    deadline = time.time() + timeout
    try:
        while len(out) < want and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                if worker and worker.proc and worker.proc.poll() is not None:
                    fail("worker exited with %s\n%s" % (worker.proc.returncode, worker.log()[-3000:]))
                continue
            if m.error():
                continue
            v = m.value()
            out.append((m.key().decode() if m.key() else None,
                        SCHEMAS.decode(v) if decode else v,
                        dict((k, (hv or b"").decode()) for k, hv in (m.headers() or []))))
    finally:
        c.close()
    return out


def read_all_dlq(bootstrap, timeout=3):
    """Every dead letter so far (raw values)."""
    return consume(bootstrap, DLQ, 10**9, timeout=timeout, decode=False)


def settle(bootstrap, topic, have, quiet=3.0, decode=True):
    """After the wanted messages arrived: waits `quiet` seconds more and
    returns everything, so a test sees extra (duplicate) messages too."""
    time.sleep(quiet)
    return consume(bootstrap, topic, 10**9, timeout=quiet + 2, decode=decode)


def run(args, stdin=None, check_rc=True):
    r = subprocess.run([LEADROUTER] + args, input=stdin, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        fail("leadrouter %s exited %d: %s" % (" ".join(args), r.returncode, r.stderr))
    return r


def ms(iso):
    """'2026-03-02T10:00' (UTC) -> epoch ms."""
    from datetime import datetime, timezone
    return int(datetime.fromisoformat(iso).replace(tzinfo=timezone.utc).timestamp() * 1000)
