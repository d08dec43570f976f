"""Replay speed: `leadrouter replay` over generated histories, from files
(JSON lines as `generate` writes them, and Avro object container files) and
from the dev broker. Prints events/s, wall time and peak memory; asserts
nothing (the issue's targets: >= 300,000 events/s from a file, >= 100,000
from the dev broker).

    python3 tests/bench/bench_replay.py [--tenants N] [--reps R] [--days D]
                                        [--partitions P] [--skip-avro]

Starts its own `leadrouter dev-broker` (no Redis needed: replay never uses
it) and stops it. LEADROUTER picks the binary (default build/leadrouter).
Memory: one tenant's history replayed at two lengths, both past the state's
retention windows, shows that what a replay keeps follows the state (reps,
open and recently closed leads, the dedup window), not the number of
events.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
os.environ.setdefault("LEADROUTER", os.path.join(HERE, "..", "..", "build", "leadrouter"))
import lrtest  # noqa: E402
import replay_org  # noqa: E402


def say(msg):
    print(msg, flush=True)


def generate(opt, days, work, tenants=None):
    """JSON lines of opt.tenants tenants, merged by event time."""
    lines = []
    for t in range(tenants or opt.tenants):
        r = lrtest.run(["generate", "--tenant", "b%02d" % t, "--reps", str(opt.reps), "--days",
                        str(days), "--end", "2026-03-02", "--fresh-day", "50", "--seed", str(t + 1)])
        lines += [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    lines.sort(key=replay_org.event_time)
    path = os.path.join(work, "history-%dx%d.jsonl" % (tenants or opt.tenants, days))
    replay_org.write_jsonl(path, lines)
    return path, lines


def avro_files(lines, work):
    import avro.datafile
    import avro.io
    import avro.schema
    paths = []
    for topic, name in replay_org.RECORDS.items():
        with open(os.path.join(lrtest.SRC, "schemas", name + ".avsc")) as f:
            schema = avro.schema.parse(json.dumps(lrtest._plain(json.load(f))))
        path = os.path.join(work, topic + ".avro")
        with open(path, "wb") as f:
            w = avro.datafile.DataFileWriter(f, avro.io.DatumWriter(), schema)
            for e in lines:
                if e["topic"] == topic:
                    w.append(replay_org.record(name, e["event"]))
            w.close()
        paths.append(path)
    return paths


# Runs a command and reports its own CPU time and peak RSS (a child of a
# child, so that no other process counts).
MEASURE = ("import json, resource, subprocess, sys, time; t0 = time.time(); "
           "r = subprocess.run(sys.argv[1:], capture_output=True, text=True); "
           "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
           "print(json.dumps({'rc': r.returncode, 'out': r.stdout, 'err': r.stderr[-1000:], "
           "'wall': time.time() - t0, 'cpu': u.ru_utime + u.ru_stime, 'rss': u.ru_maxrss}))")


def measure(args):
    r = subprocess.run([sys.executable, "-c", MEASURE, lrtest.LEADROUTER, "replay", "--format",
                        "json"] + args, capture_output=True, text=True)
    return json.loads(r.stdout)


def timed_replay(args, label):
    """Runs replay, prints its numbers; returns events/s."""
    m = measure(args)
    if m["rc"] not in (0, 1):
        say("%s: exit %d: %s" % (label, m["rc"], m["err"]))
        return 0
    rep = json.loads(m["out"])
    say("%-30s %8d events %6d decisions %6.2f s %8.0f events/s  cpu %5.2f s  peak RSS %4.0f MB" % (
        label, rep["events"], rep["decisions"], m["wall"], rep["events_per_second"], m["cpu"],
        m["rss"] / 1024.0))
    return rep["events_per_second"]


def peak_rss_mb(args):
    return measure(args)["rss"] / 1024.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tenants", type=int, default=6)
    ap.add_argument("--reps", type=int, default=40)
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--partitions", type=int, default=16)
    ap.add_argument("--skip-avro", action="store_true")
    opt = ap.parse_args()
    work = tempfile.mkdtemp(prefix="lrbench-replay-")
    say("%d CPUs; %s" % (os.cpu_count(), lrtest.LEADROUTER))

    path, lines = generate(opt, opt.days, work)
    say("history: %d tenants x %d reps x %d days: %d events (%.0f MB of JSON lines)" % (
        opt.tenants, opt.reps, opt.days, len(lines), os.path.getsize(path) / 1e6))
    timed_replay(["--input", path], "file, JSON lines")
    if not opt.skip_avro:
        t0 = time.time()
        paths = avro_files(lines, work)
        say("(Avro container files written in %.0f s)" % (time.time() - t0))
        timed_replay(["--input"] + paths, "file, Avro object containers")

    # memory: one tenant's history at two lengths past the retention
    # windows (90 days of closed leads, 30 of event ids): the same state
    for days in (opt.days, 2 * opt.days):
        p, ls = generate(opt, days, work, tenants=1)
        say("peak RSS, one tenant, %3d days: %7d events, %4.0f MB" % (
            days, len(ls), peak_rss_mb(["--input", p])))

    with lrtest.Broker(partitions=opt.partitions) as b:
        t0 = time.time()
        with open(path) as f:
            r = subprocess.run([lrtest.LEADROUTER, "produce", "--brokers", b.bootstrap], stdin=f,
                               capture_output=True, text=True)
        if r.returncode:
            say("produce: %s" % r.stderr[-1000:])
            return
        say("(produced to the dev broker, %d partitions, in %.0f s)" % (opt.partitions,
                                                                       time.time() - t0))
        from confluent_kafka import Consumer, TopicPartition
        c = Consumer({"bootstrap.servers": b.bootstrap, "group.id": "bench-wm"})
        dropped = sum(c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[0]
                      for t in replay_org.RECORDS for p in range(opt.partitions))
        c.close()
        if dropped:
            say("(the dev broker dropped %d of its oldest messages: its log is bounded)" % dropped)
        timed_replay(["--set", "kafka.bootstrap.servers=" + b.bootstrap], "dev broker, 3 topics")


if __name__ == "__main__":
    main()
