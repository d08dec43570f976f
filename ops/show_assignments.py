"""Reads lead-assigned from the beginning and shows what the worker decided:
decisions by reason, and the first ones with their explanation.
Usage: show_assignments.py BROKERS EXPECTED [WORKER_LOG]"""
import collections
import io
import json
import os
import struct
import sys
import time

import avro.io
import avro.schema
from confluent_kafka import Consumer

root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
manifest = json.load(open(os.path.join(root, "schemas", "manifest.json")))


def plain(node):  # timestamps as epoch-ms longs
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items() if k != "logicalType"}
    return [plain(v) for v in node] if isinstance(node, list) else node


schemas = {int(i): avro.schema.parse(json.dumps(plain(json.load(open(os.path.join(root, "schemas", f))))))
           for i, f in manifest["schemas"].items()}

brokers, expected = sys.argv[1], int(sys.argv[2])
c = Consumer({"bootstrap.servers": brokers, "group.id": "demo-viewer-%d" % os.getpid(),
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe(["lead-assigned"])
seen = {}
deadline = time.time() + 120
while len(seen) < expected and time.time() < deadline:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    _, sid = struct.unpack(">bI", m.value()[:5])
    d = avro.io.DatumReader(schemas[sid]).read(avro.io.BinaryDecoder(io.BytesIO(m.value()[5:])))
    seen[d["event_id"]] = d
c.close()

decisions = sorted(seen.values(), key=lambda d: (d["decided_at"], d["lead_id"]))
print("   %d of %d leads assigned" % (len(decisions), expected))
print("   by reason: %s" % dict(collections.Counter(d["reason"] for d in decisions)))
print("   by rep tier: %s" % dict(sorted(collections.Counter(d["rep_tier"] for d in decisions).items())))
waits = [d["wait_ms"] for d in decisions if d["reason"] == "QUEUED"]
if waits:
    print("   queued leads: %d, mean wait %.1f min" % (len(waits), sum(waits) / len(waits) / 60000))
print("\n   first decisions:")
for d in decisions[:12]:
    t = time.strftime("%H:%M", time.gmtime(d["decided_at"] / 1000))
    print("   %s %-14s -> %-8s %-13s %s" % (t, d["lead_id"], d["rep_id"], d["reason"], d["explanation"]))
if len(decisions) < expected and len(sys.argv) > 3:
    print("\n   (not all leads assigned; worker log tail:)")
    print("".join(open(sys.argv[3]).readlines()[-10:]))
