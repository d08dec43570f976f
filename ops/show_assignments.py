"""Shows what the worker decided for a day of leads: decisions by reason and
tier, the first ones with their explanation, and the leads still waiting,
with why. It waits for the worker to have taken every event produced (its
GET /metrics), reads lead-assigned from the beginning until it holds every
decision the worker counts, and does not wait for more: a lead that waits
is the router doing its job, said here with its reason (its contact_after
is still ahead, or no rep can take it: at capacity or not available, as the
scorecard shows).

Usage: show_assignments.py --leadrouter BIN --brokers B --metrics URL
         --leads FILE --events N --redis URL --tenant T --max-open K"""
import argparse
import collections
import io
import json
import os
import struct
import subprocess
import sys
import time
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from load_events import wait_applied  # noqa: E402

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def plain(node):  # timestamps as epoch-ms longs
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items() if k != "logicalType"}
    return [plain(v) for v in node] if isinstance(node, list) else node


def schemas():
    """The embedded manifest's schemas by id (the demo runs without a
    Schema Registry)."""
    manifest = json.load(open(os.path.join(root, "schemas", "manifest.json")))
    return {int(i): avro.schema.parse(json.dumps(plain(json.load(open(os.path.join(root, "schemas", f))))))
            for i, f in manifest["schemas"].items()}


def metric(url, name):
    with urllib.request.urlopen(url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if line.split(" ")[0] == name:
                return int(float(line.split(" ")[1]))
    return 0


def decisions(brokers, want, timeout=30):
    """The last decision of every lead on lead-assigned, once `want`
    messages were read."""
    by_id = schemas()
    c = Consumer({"bootstrap.servers": brokers, "group.id": "demo-viewer-%d" % os.getpid(),
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe(["lead-assigned"])
    seen, read = {}, 0
    deadline = time.time() + timeout
    while read < want and time.time() < deadline:
        m = c.poll(0.2)
        if m is None or m.error():
            continue
        read += 1
        _, sid = struct.unpack(">bI", m.value()[:5])
        d = avro.io.DatumReader(by_id[sid]).read(avro.io.BinaryDecoder(io.BytesIO(m.value()[5:])))
        seen[d["lead_id"]] = d
    c.close()
    return seen


def hhmm(ms):
    return time.strftime("%H:%M", time.gmtime(ms / 1000))


def why_waiting(a, waiting, leads, last_event):
    """Lines saying why the leads of `waiting` wait."""
    held = sorted((leads[l]["contact_after"], l) for l in waiting
                  if (leads[l].get("contact_after") or 0) > last_event)
    queued = sorted(set(waiting) - {l for _, l in held})
    out = []
    if held:
        span = hhmm(held[0][0])
        if hhmm(held[-1][0]) != span:
            span += "-" + hhmm(held[-1][0])
        out.append("%d held until the time the customer asked to be called (contact_after "
                   "%s UTC), later than the day's last event (%s): with worker.clock: event, "
                   "the worker routes %s once event time gets there"
                   % (len(held), span, hhmm(last_event), "it" if len(held) == 1 else "them"))
    if queued:
        card = json.loads(subprocess.run(
            [a.leadrouter, "scorecard", "--tenant", a.tenant, "--format", "json",
             "--set", "redis.url=" + a.redis], capture_output=True, text=True, check=True).stdout)
        reps = card["reps"]
        full = sum(1 for r in reps if r["status"] == "AVAILABLE" and r["open_leads"] >= a.max_open)
        away = collections.Counter(r["status"] for r in reps if r["status"] != "AVAILABLE")
        why = "%d of %d reps at capacity (%d open leads)" % (full, len(reps), a.max_open)
        if away:
            why += ", " + ", ".join("%d %s" % (n, s) for s, n in sorted(away.items()))
        out.append("%d queued, no rep could take them: %s; each goes to the first rep who "
                   "frees up (or is escalated after max_wait_seconds)" % (len(queued), why))
    return out


def main():
    p = argparse.ArgumentParser()
    for opt in ("leadrouter", "brokers", "metrics", "leads", "redis", "tenant"):
        p.add_argument("--" + opt, required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--max-open", type=int, required=True)
    a = p.parse_args()

    wait_applied(a.metrics, a.events)
    want = metric(a.metrics, "leadrouter_decisions_total")
    seen = decisions(a.brokers, want)
    leads, last_event = {}, 0
    for line in open(a.leads):
        env = json.loads(line)
        ev = env["event"]
        last_event = max(last_event, ev.get("created_at") or ev.get("occurred_at") or 0)
        if env["topic"] == "lead-created":
            leads[ev["lead_id"]] = ev
    routed = sorted((d for l, d in seen.items() if l in leads),
                    key=lambda d: (d["decided_at"], d["lead_id"]))
    waiting = sorted(set(leads) - set(seen))

    print("   %d of %d leads assigned" % (len(routed), len(leads)))
    print("   by reason: %s" % dict(collections.Counter(d["reason"] for d in routed)))
    print("   by rep tier: %s" % dict(sorted(collections.Counter(d["rep_tier"] for d in routed).items())))
    waits = [d["wait_ms"] for d in routed if d["reason"] == "QUEUED"]
    if waits:
        print("   queued leads: %d, mean wait %.1f min" % (len(waits), sum(waits) / len(waits) / 60000))
    if waiting:
        print("   %d waiting, as they should:" % len(waiting))
        for line in why_waiting(a, waiting, leads, last_event):
            print("     - " + line)
    print("\n   first decisions:")
    for d in routed[:12]:
        print("   %s %-14s -> %-8s %-13s %s" % (hhmm(d["decided_at"]), d["lead_id"], d["rep_id"],
                                               d["reason"], d["explanation"]))


if __name__ == "__main__":
    main()
