"""Helpers of the replay tests (tests/integration/test_replay*.py): a live
worker fed a history *in order*, and `leadrouter replay` run against what it
recorded.

In order: the events are sorted by event time and produced one run of
consecutive events of the same topic at a time, each run applied by the
worker (seen in Redis) before the next is produced. Within a run the worker
applies a partition in offset order; across topics Kafka keeps no order, so
this is how a test makes inputs "arrive in order", as they do when a live
system emits them when they happen.
"""
import json
import os
import subprocess
import time

from confluent_kafka import Producer

import lrtest
from lrtest import check

RECORDS = {"lead-created": "LeadCreated", "call-outcome": "CallOutcome",
           "rep-status": "RepStatus"}


def event_time(item):
    ev = item["event"]
    return ev.get("occurred_at") or ev.get("created_at")


def envelope(pair):
    """An lrtest event (record name, dict) as a `generate` line object."""
    name, ev = pair
    return {"topic": lrtest.TOPICS[name], "event": ev}


def generate(*args):
    r = lrtest.run(["generate"] + [str(a) for a in args])
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def record(name, ev):
    """ev with every field of the schema (defaults for those left out), as
    Avro's Python writer wants it."""
    sid = lrtest.SCHEMAS.manifest["writes"][name]
    out = dict(ev)
    for f in lrtest.SCHEMAS.by_id[sid].fields:
        if f.name not in out:
            out[f.name] = f.default if f.has_default else None
    return out


def write_jsonl(path, items):
    with open(path, "w") as f:
        for e in items:
            f.write(json.dumps(e) + "\n")


class Feeder:
    """Produces envelopes to the worker's broker and waits until applied."""

    def __init__(self, bootstrap, ns, worker):
        self.producer = Producer({"bootstrap.servers": bootstrap,
                                  "enable.idempotence": True, "linger.ms": 1})
        self.ns = ns
        self.worker = worker
        self.redis = lrtest.redis_client()

    def send(self, items):
        """Produces items in their order and waits until the worker has
        applied the last event of each tenant among them."""
        last = {}
        for e in items:
            name = RECORDS[e["topic"]]
            ev = e["event"]
            self.producer.produce(e["topic"], key=ev["tenant_id"].encode(),
                                  value=lrtest.SCHEMAS.encode(name, record(name, ev)))
            last[ev["tenant_id"]] = ev["event_id"]
        check(self.producer.flush(30) == 0, "events not delivered")
        deadline = time.time() + 120
        for tenant, eid in last.items():
            while not lrtest.applied(self.redis, self.ns, tenant, eid):
                check(time.time() < deadline and self.worker.proc.poll() is None,
                      "%s not applied\n%s" % (eid, self.worker.log()[-3000:]))
                time.sleep(0.005)

    def in_order(self, items):
        """items sorted by event time (stable), one topic run at a time."""
        items = sorted(items, key=event_time)
        run = []
        for e in items:
            if run and run[-1]["topic"] != e["topic"]:
                self.send(run)
                run = []
            run.append(e)
        if run:
            self.send(run)


def recorded(bootstrap, topic="lead-assigned"):
    """Every decision the worker published, in the order read."""
    return [d for _, d, _ in lrtest.consume(bootstrap, topic, 10**9, timeout=5)]


def check_sanitizers(r):
    """Fails on a sanitizer report in a run's stderr (an ASan/UBSan build
    exits 1 on a leak: the status of a difference found)."""
    check("Sanitizer" not in r.stderr and "runtime error:" not in r.stderr,
          "sanitizer report:\n" + r.stderr[-4000:])


def replay(worker, bootstrap, *args, check_rc=None, env=None):
    """`leadrouter replay` with the worker's configuration (its file and
    --set values), reading the worker's broker. Returns the
    CompletedProcess; check_rc: the exit status wanted."""
    argv = [lrtest.LEADROUTER, "replay"] + worker.args[2:] + [
        "--set", "kafka.bootstrap.servers=" + bootstrap] + [str(a) for a in args]
    r = subprocess.run(argv, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    check_sanitizers(r)
    if check_rc is not None:
        check(r.returncode == check_rc, "replay %s: exit %d, not %d\n%s\n%s" % (
            " ".join(str(a) for a in args), r.returncode, check_rc, r.stdout[-3000:],
            r.stderr[-3000:]))
    return r


def report(r):
    """The JSON report of a replay run with --format json."""
    try:
        return json.loads(r.stdout)
    except ValueError:
        lrtest.fail("replay printed no JSON report:\n%s\n%s" % (r.stdout[-2000:], r.stderr[-2000:]))


def last_assignment(decisions):
    """{(tenant, lead): rep of its last assignment} of decisions (dicts)."""
    best = {}
    for d in decisions:
        key = (d["tenant_id"], d["lead_id"])
        if key not in best or d["attempt"] >= best[key][0]:
            best[key] = (d["attempt"], d["rep_id"])
    return {k: v[1] for k, v in best.items()}
