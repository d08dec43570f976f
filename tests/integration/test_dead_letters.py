"""Every kind of bad message of SPEC §4 lands in the dead-letter topic with
its original bytes and a reason a person can act on, while the good leads
around it are routed and the partition keeps moving."""
import struct

from lrtest import (SCHEMAS, Broker, Worker, check, consume, flush_namespace,
                    lead, ms, namespace, produce, settle, status)

T = "dlq-co"
D = "2026-04-06"


def main():
    ns = namespace()
    good = SCHEMAS.encode("LeadCreated", lead(T, "ok0", ms(D + "T10:00"))[1])
    body = good[5:]

    def with_lead(**kw):
        return SCHEMAS.encode("LeadCreated", lead(T, kw.pop("lead_id", "x"),
                                                   kw.pop("created_at", ms(D + "T10:00")), **kw)[1])

    bad = [  # (raw bytes, words the reason must contain)
        (b"hello, not avro", "magic"),
        (b"\x01" + good[1:], "magic"),
        (b"\x00\x00\x00", "short"),
        (b"\x00" + struct.pack(">I", 999) + body, "999"),
        (good[:len(good) // 2], ""),
        (b"\x00\x00\x00\x00\x01" + bytes(range(200, 256)) * 3, ""),
        (good + b"\x01\x02\x03", ""),
        (with_lead(lead_id=""), "lead_id"),
        (with_lead(lead_id="a:b"), "':'"),
        (with_lead(lead_id="bad1", score=150), "score"),
        (with_lead(lead_id="bad2", source="x" * 10000), ""),
        (with_lead(lead_id="bad3", created_at=ms("2250-01-01T00:00")), "created_at"),
        (SCHEMAS.encode("RepStatus", status(T, "r1", ms(D + "T09:00"), "AVAILABLE")[1]), "RepStatus"),
        (b"\x00" + struct.pack(">I", 1) + b"\x00" * 300000, ""),
    ]
    raw = []
    goods = []
    for i, (value, _) in enumerate(bad):
        g = lead(T, "good%d" % i, ms(D + "T10:00") + i)
        goods.append(g)
        raw.append(("lead-created", T.encode(), SCHEMAS.encode(*g)))
        raw.append(("lead-created", T.encode(), value))
    with Broker() as b:
        with Worker(b.bootstrap, ns) as w:
            produce(b.bootstrap, [status(T, "r1", ms(D + "T08:00"), "AVAILABLE", max_open_leads=1000)])
            produce(b.bootstrap, [], raw=raw)
            dead = consume(b.bootstrap, "lead-router-dlq", len(bad), decode=False, worker=w)
            routed = consume(b.bootstrap, "lead-assigned", len(goods), worker=w)
            dead = settle(b.bootstrap, "lead-router-dlq", dead, decode=False)
    flush_namespace(ns)

    dead_raw = dead
    check(len(dead_raw) == len(bad), "expected %d dead letters, got %d" % (len(bad), len(dead_raw)))
    for (value, words), (key, got, hdr) in zip(bad, dead_raw):
        check(got == value, "dead letter bytes changed")
        check(key == T, "dead letter key %r" % key)
        check(hdr.get("error"), "dead letter without error header")
        check(words.lower() in hdr["error"].lower(),
              "reason %r should mention %r" % (hdr["error"], words))
        check(hdr.get("source_topic") == "lead-created" and hdr.get("source_partition") is not None
              and hdr.get("source_offset", "").isdigit(), "source headers %s" % hdr)
        print("  dead letter: %s" % hdr["error"])
    leads = sorted(v["lead_id"] for _, v, _ in routed)
    check(leads == sorted(ev["lead_id"] for _, ev in goods), "good leads routed: %s" % leads)
    print("dead letters: %d bad messages dead-lettered with reasons, %d good leads routed"
          % (len(dead_raw), len(leads)))


if __name__ == "__main__":
    main()
