"""`leadrouter replay` from files and from a state export.

- JSON lines as `generate` writes them: every line applied, the fresh
  leads decided, the decisions written with --output;
- the same events as Avro object container files, one per input record,
  written here with Apache Avro's own DataFileWriter: the same decisions
  (compared with --compare against the JSON lines replay's output, exit 0);
- the recorded decisions given as Confluent-framed values one after the
  other, and as an Avro container of LeadAssigned records: read alike;
- a line that is not JSON is an input error (exit 2); an invalid event is
  a dead letter, not applied;
- a state export: a live worker (dev broker, real Redis) routes the first
  part of a history in order, `state export` writes its tenant, and
  `replay --state FILE --input <the rest>` decides exactly what a replay of
  the whole history from files decides; given the whole history, the
  events already in the state are recognised and not applied again.
"""
import io
import json
import os
import sys
import tempfile

import avro.datafile
import avro.io
import avro.schema

sys.path.insert(0, os.path.dirname(__file__))
import lrtest  # noqa: E402
import replay_org  # noqa: E402
from lrtest import check, ms  # noqa: E402

DAY = "2026-03-02"
POLICY = {"worker.clock": "event", "policy.max_open_leads": 100000,
          "kafka.fetch.wait.max.ms": 5}


def sets(extra=None):
    out = []
    for k, v in dict(POLICY, **(extra or {})).items():
        out += ["--set", "%s=%s" % (k, v)]
    return out


def replay(*args, rc=0):
    r = lrtest.run(["replay"] + sets() + [str(a) for a in args], check_rc=False)
    replay_org.check_sanitizers(r)
    check(r.returncode == rc, "replay %s: exit %d, not %d\n%s\n%s" % (
        " ".join(str(a) for a in args), r.returncode, rc, r.stdout[-2000:], r.stderr[-2000:]))
    return r


def schema(name):
    with open(os.path.join(lrtest.SRC, "schemas", name + ".avsc")) as f:
        return avro.schema.parse(json.dumps(lrtest._plain(json.load(f))))


def write_container(path, name, records):
    with open(path, "wb") as f:
        w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), schema(name))
        for rec in records:
            w.append(rec)
        w.close()


def decisions(path):
    with open(path) as f:
        return {d["event_id"]: (d["rep_id"], d["reason"]) for d in map(json.loads, f)}


def files(work):
    events = replay_org.generate("--tenant", "f", "--reps", 6, "--days", 20, "--end", DAY,
                                 "--fresh-day", 30, "--seed", 11)
    jsonl = os.path.join(work, "history.jsonl")
    replay_org.write_jsonl(jsonl, events)
    out = os.path.join(work, "decided.jsonl")
    rep = replay_org.report(replay("--input", jsonl, "--output", out, "--format", "json"))
    fresh = sum(1 for e in events if e["topic"] == "lead-created"
                and "assigned_rep_id" not in e["event"].get("attributes", {}))
    got = decisions(out)
    check(rep["events"] == len(events) and rep["decisions"] == len(got) >= fresh > 0,
          "JSON lines: %d events of %d, %d decisions (%d written) for %d fresh leads" % (
              rep["events"], len(events), rep["decisions"], len(got), fresh))
    print("JSON lines: %d events, %d decisions" % (rep["events"], rep["decisions"]))

    # Avro object container files, one per record, as an archive holds them
    paths = []
    for topic, name in replay_org.RECORDS.items():
        path = os.path.join(work, topic + ".avro")
        write_container(path, name, [replay_org.record(name, e["event"]) for e in events
                                     if e["topic"] == topic])
        paths.append(path)
    rep = replay_org.report(replay("--input", *paths, "--compare", out, "--format", "json"))
    check(rep["events"] == len(events) and rep["compared"] == rep["reproduced"] == len(got),
          "Avro containers: %d events, %d of %d reproduced" % (rep["events"], rep["reproduced"],
                                                              rep["compared"]))
    print("Avro containers: %d events, %d decisions as from JSON lines" % (rep["events"], len(got)))

    # the recorded decisions as framed values, and as an Avro container
    recorded = [json.loads(line) for line in open(out)]
    framed = os.path.join(work, "decided.bin")
    with open(framed, "wb") as f:
        for d in recorded:
            f.write(lrtest.SCHEMAS.encode("LeadAssigned", d))
    container = os.path.join(work, "decided.avro")
    write_container(container, "LeadAssigned", recorded)
    for path in (framed, container):
        rep = replay_org.report(replay("--input", jsonl, "--compare", path, "--format", "json"))
        check(rep["reproduced"] == len(got), "%s: %d of %d" % (path, rep["reproduced"], len(got)))

    # input errors and bad events
    broken = os.path.join(work, "broken.jsonl")
    with open(broken, "w") as f:
        f.write(json.dumps(events[0]) + "\nnot json\n")
    r = replay("--input", broken, rc=2)
    check("not JSON" in r.stderr and ":2:" in r.stderr, r.stderr)
    bad = dict(events[-1]["event"], score=140, event_id="bad-score", lead_id="bad-score")
    with open(broken, "w") as f:
        f.write(json.dumps({"topic": "lead-created", "event": bad}) + "\n")
    rep = replay_org.report(replay("--input", broken, "--format", "json"))
    check(rep["dead_letters"] == 1 and rep["events"] == 0 and rep["decisions"] == 0,
          "an invalid event: %s" % {k: rep[k] for k in ("dead_letters", "events", "decisions")})
    replay("--input", os.path.join(work, "missing.jsonl"), rc=2)
    replay("--input", jsonl, "--format", "pdf", rc=2)


def state(work):
    T = "s"
    events = replay_org.generate("--tenant", T, "--reps", 5, "--days", 20, "--end", DAY,
                                 "--fresh-day", 30, "--seed", 5)
    cut = ms(DAY) - 5 * 86400000
    first = [e for e in events if replay_org.event_time(e) < cut]
    rest = [e for e in events if replay_org.event_time(e) >= cut]
    whole, tail = os.path.join(work, "s-all.jsonl"), os.path.join(work, "s-rest.jsonl")
    replay_org.write_jsonl(whole, events)
    replay_org.write_jsonl(tail, rest)
    ns = lrtest.namespace()
    with lrtest.Broker(partitions=2) as b:
        w = lrtest.Worker(b.bootstrap, ns, extra=POLICY)
        with w:
            replay_org.Feeder(b.bootstrap, ns, w).in_order(first)
        check(w.stop() == 0, "worker exit status\n" + w.log()[-3000:])
    exported = os.path.join(work, "s-state.json")
    lrtest.run(["state", "export", "--tenant", T, "--file", exported,
                "--set", "redis.url=" + lrtest.REDIS_URL, "--set", "redis.namespace=" + ns])
    lrtest.flush_namespace(ns)

    a, b = os.path.join(work, "s-seeded.jsonl"), os.path.join(work, "s-whole.jsonl")
    rep = replay_org.report(replay("--state", exported, "--input", tail, "--output", a,
                                   "--format", "json"))
    check(rep["events"] == len(rest), "seeded: %d events of %d" % (rep["events"], len(rest)))
    replay("--input", whole, "--output", b)
    da, db = decisions(a), decisions(b)
    check(da and da == db, "seeded replay decided %d, whole history %d; differing: %s" % (
        len(da), len(db), sorted(set(da.items()) ^ set(db.items()))[:5]))
    rep = replay_org.report(replay("--state", exported, "--input", whole, "--output", a,
                                   "--format", "json"))
    check(rep["duplicates"] == len(first) and decisions(a) == db,
          "seeded replay of the whole history: %d duplicates of %d already applied" % (
              rep["duplicates"], len(first)))
    print("state export: %d events in the state, %d replayed after it, %d decisions as from "
          "the whole history" % (len(first), len(rest), len(da)))


def main():
    work = tempfile.mkdtemp(prefix="lrreplayf-")
    files(work)
    state(work)
    print("ok")


if __name__ == "__main__":
    main()
