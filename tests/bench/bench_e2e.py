"""bench_e2e.py - leadrouter's end-to-end benchmark (issue 9's targets). It
prints numbers and asserts nothing about timing. Run it through
tests/bench/run.sh, which starts the redis-server and the dev broker it
measures against.

Phases (--phases, default a,s,b,c,m,d):
  a  throughput: one worker drains a backlog already in the broker. The
     worker is started first, on an empty group, and stopped (SIGSTOP) once
     it holds its partitions; the backlog is loaded (T tenants x R reps x D
     days of history, then a fresh day of leads per tenant on --end, by
     default tomorrow so that no timer comes due), then the worker is
     continued (SIGCONT). Events/s from SIGCONT to the moment the group's
     committed offsets (read with committed(), without joining the group)
     reach the end of every input partition; the history and the fresh day
     are two such loads, in that order. CPU per event of Redis (INFO cpu),
     the worker (by thread) and the broker; the worker's peak RSS (VmHWM),
     RSS and heap in use (glibc malloc_stats, through gdb) before and after:
     state bytes per rep and per event.
  s  scale-out: the same backlog drained by 2 workers of one group.
  b  latency: leads paced at --rate per second for --seconds over the
     tenants, worker with kafka.fetch.wait.max.ms=--worker-fetch-wait-ms;
     per lead, produce() call -> decision's Kafka timestamp, and -> the
     moment a consumer reads it.
  c  memory when timers fire in bulk: phase a's backlog with the fresh day
     yesterday and policy.sla_first_touch_seconds=60: every SLA timer is
     due once the worker has caught up (and cascades to sla_max_attempts);
     peak RSS and heap once the decisions stop.
  m  simulate: `leadrouter simulate --strategies ranked --reps 40 --days 180
     --seed 1` (in memory): wall time and peak RSS.
  d  Redis time of one write: a worker drains one tenant (batches of 1,000
     events of one tenant) while MONITOR records its lr_commit calls; the
     largest is replayed --d-calls times (meta.version reset before each
     call so that it writes, not answers "done"); Redis time per call and
     per event of the batch (INFO commandstats and INFO cpu).
--profile adds a run of phase a's backlog (and of phase c's fresh day) under
`perf record --call-graph dwarf` (cpu-clock: no hardware counters needed) and
prints the worker's CPU per event by stage of its loop (decode, route,
persist, Redis, produce, ...) and by module, with each module's top
functions.

The dev broker keeps only a few MB per partition: every load checks that
none of its messages was dropped before it is measured.
"""
import argparse
import atexit
import collections
import json
import multiprocessing
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integration"))
import lrfaults  # noqa: E402  (generate output as the fault tests use it)
import lrtest  # noqa: E402  (schemas, event builders)
import redis  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

LEADROUTER = os.environ["LEADROUTER"]
REDIS_PORT = int(os.environ["LR_BENCH_REDIS_PORT"])
BROKERS = os.environ["LR_BENCH_BROKERS"]
PARTITIONS = int(os.environ.get("LR_BENCH_PARTITIONS", "8"))
PIDS = {"redis": int(os.environ["LR_BENCH_REDIS_PID"]),
        "broker": int(os.environ["LR_BENCH_BROKER_PID"])}
WORK = os.environ.get("LR_BENCH_WORK") or tempfile.mkdtemp(prefix="lrbench-")
INPUTS = ("lead-created", "call-outcome", "rep-status")
TICK = os.sysconf("SC_CLK_TCK")

R = redis.Redis(port=REDIS_PORT, decode_responses=True)


def say(msg):
    print(msg, flush=True)


def day(offset):
    return (datetime.now(timezone.utc) + timedelta(days=offset)).strftime("%Y-%m-%d")


# --- processes -----------------------------------------------------------------

def cpu_seconds(pid):
    """utime + stime of a process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def thread_cpu(pid):
    """{thread group: CPU seconds}: the worker's own thread ("main"), its
    librdkafka threads by kind, the rest."""
    out = collections.Counter()
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                s = f.read()
        except OSError:
            continue
        comm = s[s.index("(") + 1:s.rindex(")")]
        fields = s.rsplit(")", 1)[1].split()
        if int(tid) == pid:
            name = "main"
        elif comm.startswith("rdk:broker"):
            name = "rdk:broker"
        elif comm.startswith("rdk:"):
            name = comm
        else:
            name = "other"
        out[name] += (int(fields[11]) + int(fields[12])) / TICK
    return out


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


def redis_cpu():
    i = R.info("cpu")
    return i["used_cpu_sys"] + i["used_cpu_user"]


def commandstats():
    return {k[len("cmdstat_"):] if k.startswith("cmdstat_") else k: v
            for k, v in R.info("commandstats").items()}


def stats_delta(before, after):
    out = {}
    for k, v in after.items():
        b = before.get(k, {"calls": 0, "usec": 0})
        calls, usec = v["calls"] - b["calls"], v["usec"] - b["usec"]
        if calls:
            out[k] = (calls, usec)
    return out


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


WORKERS = []


@atexit.register
def stop_workers():
    """No worker outlives the benchmark, also when it fails halfway."""
    for w in WORKERS:
        if w.proc.poll() is None:
            w.proc.send_signal(signal.SIGCONT)
            w.proc.kill()
            w.proc.wait()


class Worker:
    """One `leadrouter run` of namespace and group ns."""

    def __init__(self, ns, sets, name=None):
        self.ns = ns
        self.name = name or ns
        self.config = os.path.join(WORK, ns + ".yaml")
        with open(self.config, "w") as f:
            f.write("kafka:\n  bootstrap.servers: %s\n  group.id: %s\n"
                    "redis:\n  url: redis://127.0.0.1:%d/0\n  namespace: %s\n"
                    "http:\n  listen: 127.0.0.1:0\n" % (BROKERS, ns, REDIS_PORT, ns))
        args = [LEADROUTER, "run", "--config", self.config]
        for kv in sets:
            args += ["--set", kv]
        self.log = os.path.join(WORK, self.name + ".log")
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        self.pid = self.proc.pid
        WORKERS.append(self)

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def alive(self):
        if self.proc.poll() is not None:
            lrtest.fail("worker %s exited with %s:\n%s" % (self.name, self.proc.returncode,
                                                          self.text()[-3000:]))

    def partitions(self):
        """Input partitions held now (per topic), from the log: the last
        "epoch N: P partition(s)" after the last revocation; None if none."""
        held = None
        for line in self.text().splitlines():
            if "revoked" in line:
                held = None
            m = re.search(r"epoch \d+: (\d+) partition\(s\)", line)
            if m:
                held = int(m.group(1))
        return held

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def cont(self):
        self.proc.send_signal(signal.SIGCONT)

    def stop(self):
        """Stops the worker; returns its final counters from the stats log line."""
        self.proc.send_signal(signal.SIGCONT)
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        m = re.findall(r"events (\d+) \(duplicates (\d+)\), decisions (\d+), tier changes (\d+), "
                       r"dead letters (\d+)", self.text())
        keys = ("events", "duplicates", "decisions", "tier_changes", "dead_letters")
        return dict(zip(keys, map(int, m[-1]))) if m else {}


def wait_assigned(ws, timeout=60):
    """Until the workers hold every input partition between them, each some
    (a group of n joins in ~3 s on the dev broker, more with a rebalance)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for w in ws:
            w.alive()
        held = [w.partitions() for w in ws]
        if all(held) and sum(held) == PARTITIONS:
            time.sleep(0.5)  # settled: no rebalance right behind it
            if [w.partitions() for w in ws] == held:
                return held
        time.sleep(0.1)
    lrtest.fail("workers not assigned after %d s: %s" % (timeout, [w.partitions() for w in ws]))


def heap_in_use(pid):
    """Bytes the process has malloc()ed and not freed: glibc's malloc_stats()
    called through gdb (it prints to the process's stderr, the worker's
    log). The process must be running (not SIGSTOPped) and idle. None
    without gdb."""
    if not shutil.which("gdb"):
        return None
    log = [w for w in WORKERS if w.pid == pid][0]
    before = len(log.text())
    try:
        subprocess.run(["gdb", "-p", str(pid), "-batch", "-ex", "call (void)malloc_stats()"],
                       capture_output=True, timeout=60)
    except subprocess.TimeoutExpired:
        return None
    for _ in range(50):
        tail = log.text()[before:]
        m = re.search(r"Total \(incl\. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)",
                      tail)
        if m:
            return int(m.group(2))
        time.sleep(0.02)
    return None


def memory(w, heap):
    return {"rss": proc_status(w.pid, "VmRSS"), "hwm": proc_status(w.pid, "VmHWM"),
            "heap": heap_in_use(w.pid) if heap else None}


# --- Kafka -----------------------------------------------------------------

def generate(args_list):
    """`leadrouter generate` lines, without the history's imported
    assignments: the bench produces a whole history at once, and those must
    be applied before their leads' outcomes, which Kafka does not promise
    across topics (lrfaults.without_imported_assignments); the history is
    imported by its outcomes, as the bench always measured it."""
    r = subprocess.run([LEADROUTER, "generate"] + args_list, capture_output=True, text=True, check=True)
    return lrfaults.without_imported_assignments(r.stdout.splitlines())


def produce_lines(lines, name):
    path = os.path.join(WORK, name + ".jsonl")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(path) as f:
        r = subprocess.run([LEADROUTER, "produce", "--brokers", BROKERS], stdin=f,
                           capture_output=True, text=True)
    if r.returncode:
        lrtest.fail("produce: %s" % r.stderr)


META = None


def watermarks(topics=INPUTS):
    """{(topic, partition): (low, high)}."""
    global META
    if META is None:
        META = Consumer({"bootstrap.servers": BROKERS, "group.id": "bench-meta"})
    return {(t, p): META.get_watermark_offsets(TopicPartition(t, p), timeout=10)
            for t in topics for p in range(PARTITIONS)}


def start_group_at_end(group):
    """Commits the input topics' end offsets for a new consumer group, so
    that its worker reads only what is produced from now on."""
    c = Consumer({"bootstrap.servers": BROKERS, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(t, p, hi) for (t, p), (_, hi) in watermarks().items()],
                 asynchronous=False)
    finally:
        c.close()


def load(lines, name):
    """Loads lines into the broker; returns {(topic, partition): end} and
    checks that the broker kept every message of this load."""
    before = watermarks()
    t = time.monotonic()
    produce_lines(lines, name)
    after = watermarks()
    took = time.monotonic() - t
    n = sum(after[k][1] - before[k][1] for k in after)
    if n != len(lines):
        lrtest.fail("%s: %d events produced, %d in the broker" % (name, len(lines), n))
    for (t_, p), (lo, _) in after.items():
        if lo > before[(t_, p)][1]:
            lrtest.fail("the dev broker dropped %d messages of %s [%d] of this load (its log is "
                        "bounded): use more partitions (PARTITIONS=) or fewer days"
                        % (lo - before[(t_, p)][1], t_, p))
    return {k: hi for k, (_, hi) in after.items()}, took


class Committed:
    """The committed offsets of a group, read without joining it."""

    def __init__(self, group):
        self.c = Consumer({"bootstrap.servers": BROKERS, "group.id": group,
                           "enable.auto.commit": False})

    def behind(self, ends):
        tps = [TopicPartition(t, p) for (t, p) in ends]
        got = self.c.committed(tps, timeout=10)
        return sum(max(0, ends[(tp.topic, tp.partition)] - max(tp.offset, 0)) for tp in got)

    def wait(self, ends, ws, timeout, poll=0.005):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            left = self.behind(ends)
            if not left:
                return time.monotonic()
            for w in ws:
                w.alive()
            time.sleep(poll)
        lrtest.fail("%d events not committed after %d s" % (self.behind(ends), timeout))

    def close(self):
        self.c.close()


# --- the drain of a backlog (phases a, s, c) ------------------------------------

def backlog(opt, fresh_day):
    """(name, JSON lines) of the history, then of the fresh day."""
    tenants = ["bt%d" % i for i in range(1, opt.tenants + 1)]
    hist, fresh = [], []
    for i, t in enumerate(tenants, 1):
        base = ["--tenant", t, "--reps", str(opt.reps), "--seed", str(i), "--end", fresh_day]
        hist += generate(base + ["--days", str(opt.days)])
        # The fresh day repeats the reps' first statuses: same event ids.
        fresh += [l for l in generate(base + ["--days", "0", "--fresh-day", str(opt.fresh)])
                  if '-init"' not in l]
    return [("history", hist), ("fresh day", fresh)]


def drain(opt, tag, nworkers, parts, sets, profile=None, heap=True, settle_topic=None,
          settle_quiet=3.0):
    """Workers of one new group drain each part of the backlog in turn (see
    the module doc). Returns a dict of what was measured."""
    ns = tag + uuid.uuid4().hex[:6]
    start_group_at_end(ns)
    ws = [Worker(ns, sets, name="%s-w%d" % (ns, i + 1)) for i in range(nworkers)]
    held = wait_assigned(ws)
    mem0 = [memory(w, heap) for w in ws]
    committed = Committed(ns)
    res = {"ns": ns, "parts": [], "held": held, "mem0": mem0, "load": loadavg()}
    for name, lines in parts:
        for w in ws:
            w.pause()
        ends, took = load(lines, ns + "-" + name.replace(" ", "-"))
        say("   %s: %d events loaded into the dev broker in %.1f s (none dropped)"
            % (name, len(lines), took))
        perf = profile.start([w.pid for w in ws], name) if profile else None
        cpu0 = {"redis": redis_cpu(), "broker": cpu_seconds(PIDS["broker"])}
        thr0 = [thread_cpu(w.pid) for w in ws]
        cs0 = commandstats()
        t0 = time.monotonic()
        for w in ws:
            w.cont()
        t1 = committed.wait(ends, ws, opt.timeout)
        cpu1 = {"redis": redis_cpu(), "broker": cpu_seconds(PIDS["broker"])}
        thr = collections.Counter()
        for w, b in zip(ws, thr0):
            thr.update(thread_cpu(w.pid))
            thr.subtract(b)
        if perf:
            profile.stop(perf)
        p = {"name": name, "events": len(lines), "wall": t1 - t0,
             "redis": cpu1["redis"] - cpu0["redis"], "broker": cpu1["broker"] - cpu0["broker"],
             "threads": dict(thr), "worker": sum(thr.values()),
             "cs": stats_delta(cs0, commandstats())}
        res["parts"].append(p)
        say("   %s: %d events in %.2f s: %.0f events/s; CPU/event: Redis %.2f us, worker %.2f us "
            "(main thread %.2f), broker %.2f us" % (
                name, p["events"], p["wall"], p["events"] / p["wall"],
                1e6 * p["redis"] / p["events"], 1e6 * p["worker"] / p["events"],
                1e6 * thr["main"] / p["events"], 1e6 * p["broker"] / p["events"]))
    if settle_topic:
        res["settle"] = settle(settle_topic, ws, quiet=settle_quiet)
    res["mem1"] = [memory(w, heap) for w in ws]
    res["applied"] = stored_events(ns, parts)
    counters = [w.stop() for w in ws]
    committed.close()
    res["counters"] = {k: sum(c.get(k, 0) for c in counters) for k in counters[0]}
    res["events"] = sum(p["events"] for p in res["parts"])
    res["wall"] = sum(p["wall"] for p in res["parts"])
    for k in ("redis", "broker", "worker"):
        res[k] = sum(p[k] for p in res["parts"])
    res["threads"] = collections.Counter()
    for p in res["parts"]:
        res["threads"].update(p["threads"])
    return res


def settle(topic, ws, quiet=3.0, timeout=300):
    """Waits until the worker has produced nothing to topic for `quiet`
    seconds (timers fire after the drain); returns (messages, seconds)."""
    t0 = time.monotonic()
    last, since = None, time.monotonic()
    while time.monotonic() - t0 < timeout:
        n = sum(hi for _, hi in watermarks((topic,)).values())
        if n != last:
            last, since = n, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return n, since - t0
        for w in ws:
            w.alive()
        time.sleep(0.1)
    return last, timeout


def stored_events(ns, parts):
    """Events recorded as applied in Redis (fields of <ns>:{tenant}:ev:<day>)."""
    tenants = set()
    for _, lines in parts:
        for line in lines:
            tenants.add(json.loads(line)["event"]["tenant_id"])
    keys = [k for t in sorted(tenants)
            for k in R.scan_iter(match="%s:{%s}:ev:*" % (ns, t), count=1000)]
    p = R.pipeline(transaction=False)
    for k in keys:
        p.hlen(k)
    return sum(p.execute())


def report_drain(res, reps):
    c = res["counters"]
    ok = c.get("events") == res["events"] and res["applied"] == res["events"]
    say("   together: %d events in %.2f s: %.0f events/s; worker counters %s; %d events recorded "
        "in Redis%s" % (res["events"], res["wall"], res["events"] / res["wall"], c,
                        res["applied"], "" if ok else "  ** NOT every event applied **"))
    thr = res["threads"]
    say("   CPU while draining (wall %.2f s): worker %.2f s (%.0f%%: %s), Redis %.2f s (%.0f%%), "
        "broker %.2f s (%.0f%%); load average %s" % (
            res["wall"], res["worker"], 100 * res["worker"] / res["wall"],
            ", ".join("%s %.2f" % kv for kv in sorted(thr.items(), key=lambda kv: -kv[1]) if kv[1]),
            res["redis"], 100 * res["redis"] / res["wall"], res["broker"],
            100 * res["broker"] / res["wall"], res["load"]))
    cs = collections.Counter()
    for p in res["parts"]:
        for k, (n, u) in p["cs"].items():
            cs[k] += u
    calls = sum(p["cs"].get("fcall", (0, 0))[0] for p in res["parts"])
    say("   Redis: %d FCALLs (lr_claim, lr_commit), %.1f events per call, %.0f us per call; command "
        "time: %s" % (calls, res["events"] / max(calls, 1), cs["fcall"] / max(calls, 1),
                      ", ".join("%s %.2f s" % (k, u / 1e6) for k, u in cs.most_common(5))))
    for i, (m0, m1) in enumerate(zip(res["mem0"], res["mem1"])):
        line = ("   worker %d memory: VmHWM %.1f MiB; RSS %.1f MiB before the backlog, %.1f after"
                % (i + 1, m1["hwm"] / 1024, m0["rss"] / 1024, m1["rss"] / 1024))
        if m0["heap"] is not None and m1["heap"] is not None:
            dh = m1["heap"] - m0["heap"]
            line += ("; heap in use %.1f -> %.1f MiB: %.0f bytes per rep, %.0f per event"
                     % (m0["heap"] / 2**20, m1["heap"] / 2**20, dh / reps, dh / res["events"]))
        say(line)


# --- phase a, s, c -------------------------------------------------------------

def phase_a(opt, res):
    parts = backlog(opt, opt.end)
    say("\n== a: throughput of one worker: %d tenants x %d reps, %d days of history (%d events), "
        "then a fresh day (%s) of %d leads per tenant (%d events); load average %s"
        % (opt.tenants, opt.reps, opt.days, len(parts[0][1]), opt.end, opt.fresh,
           len(parts[1][1]), loadavg()))
    r = drain(opt, "bencha", 1, parts, opt.set_a)
    report_drain(r, opt.tenants * opt.reps)
    res["a"] = r
    if opt.profile:
        say("\n== a, profiled: the same backlog again, one worker under perf record")
        prof = Profile(opt)
        r = drain(opt, "benchp", 1, parts, opt.set_a, profile=prof, heap=False)
        res["profile"] = r
        for part in r["parts"]:
            prof.report(r, part)


def phase_s(opt, res):
    parts = backlog(opt, opt.end)
    say("\n== s: scale-out: the same backlog, 2 workers in one group; load average %s" % loadavg())
    r = drain(opt, "benchs", 2, parts, opt.set_a, heap=False)
    report_drain(r, opt.tenants * opt.reps)
    res["s"] = r


def phase_c(opt, res):
    parts = backlog(opt, day(-1))
    # Every lead decided at once (no rep waits on a first touch), so that
    # every SLA timer comes due opt.sla seconds after its decision, in bulk.
    sets = ["policy.sla_first_touch_seconds=%d" % opt.sla,
            "policy.max_untouched_leads=0"] + opt.set_a
    say("\n== c: timers in bulk: phase a's backlog with the fresh day yesterday (%s), worker "
        "--set %s: the SLA of every lead comes due %d s after its decision; load average %s"
        % (day(-1), " --set ".join(sets), opt.sla, loadavg()))
    before = sum(hi for _, hi in watermarks(("lead-assigned",)).values())
    r = drain(opt, "benchc", 1, parts, sets, settle_topic="lead-assigned",
              settle_quiet=opt.sla + 5)
    n, secs = r["settle"]
    leads = sum(1 for _, lines in parts for l in lines if '"lead-created"' in l)
    say("   %d decisions for %d leads (%d by timers, as far as they exceed the leads), the last "
        "%.1f s after the drain" % (n - before, leads, n - before - leads, secs))
    report_drain(r, opt.tenants * opt.reps)
    res["c"] = r
    res["c_decisions"] = n - before
    if opt.profile:
        say("\n== c, profiled: the same backlog again, one worker under perf record")
        prof = Profile(opt)
        r = drain(opt, "benchq", 1, parts, sets, profile=prof, heap=False)
        prof.report(r, r["parts"][1])


# --- profile (perf) -------------------------------------------------------------

# The binary's source files -> module; "helper": its time goes to the caller.
MODULES = [
    (r"src/route/persist\.c", "persist"),
    (r"src/(route/|rank|snapshot|explain|workhours|tzdb|policy)", "route"),
    (r"src/(codec|avro_|event|registry)", "codec/avro"),
    (r"src/store\.c", "store/hiredis"),
    (r"src/(xalloc|strmap|timeutil|numparse|log)\.c", "helper"),
    (r"src/worker\.c", "worker loop"),
]
DSOS = [("libavro", "codec/avro"), ("libhiredis", "store/hiredis"), ("librdkafka", "rdkafka")]
# Libraries whose time goes to the module that called them.
HELPERS = ("libc", "ld-linux", "libm.", "libpthread", "[kernel", "[unknown]", "libz.",
           "libzstd", "liblz4", "libcrypto", "libssl", "libsasl", "libgcc", "[vdso]",
           "libjansson")
# A main-thread sample's stage: the innermost of these functions on its
# stack (the outer ones catch what their inner ones do not).
STAGES = {
    "lr_worker_collect": "consume (rd_kafka_consumer_poll)",
    "lr_worker_claim_parts": "claim + load tenants",
    "lr_worker_load": "claim + load tenants",
    "lr_worker_decode": "decode",
    "lr_worker_route": "route (worker side)",
    "lr_tenant_apply": "route",
    "lr_tenant_fire": "route (timers)",
    "lr_worker_send": "write (worker side)",
    "lr_persist_changes": "persist (build the write)",
    "lr_store_commit_send": "Redis write (hiredis, send)",
    "lr_worker_finish_write": "Redis write (wait for the answer)",
    "lr_worker_read_again": "Redis read (duplicates)",
    "lr_worker_publish": "publish (worker side)",
    "lr_codec_encode_assigned": "encode outputs",
    "lr_codec_encode_tier_changed": "encode outputs",
    "lr_worker_produce": "produce (rd_kafka_producev)",
    "lr_worker_deliver": "delivery wait (flush)",
    "lr_worker_commit_offsets": "offset commit (sync)",
    "lr_worker_batch_clear": "free the batch",
    "lr_worker_prepare": "round (other)",
    "lr_worker_complete": "round (other)",
    "lr_worker_run": "round (other)",
}


class Profile:
    """perf record of the workers while they drain (cpu-clock samples with
    DWARF call chains); each sample of the worker's own thread goes to a
    stage of its loop and to a module (inlined functions resolved with
    addr2line), each sample of a librdkafka thread to that thread."""

    def __init__(self, opt):
        self.opt = opt

    def start(self, pids, name):
        self.data = os.path.join(WORK, "perf-%s.data" % name.replace(" ", "-"))
        if not shutil.which("perf"):
            lrtest.fail("--profile needs perf (Debian: apt-get install linux-perf)")
        cmd = ["perf", "record", "-e", "cpu-clock", "-F", str(self.opt.perf_freq),
               "--call-graph", "dwarf,16384", "-o", self.data, "-p", ",".join(map(str, pids))]
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.data + ".log", "w"))
        time.sleep(1.0)  # attached
        if p.poll() is not None:
            with open(self.data + ".log") as f:
                lrtest.fail("perf record: %s" % f.read())
        return p

    def stop(self, p):
        p.send_signal(signal.SIGINT)
        p.wait(120)

    @staticmethod
    def binary_symbols():
        """{function: (file address, source file)} of the binary (nm -l)."""
        out = subprocess.run(["nm", "-l", "--defined-only", LEADROUTER], capture_output=True,
                             text=True).stdout
        syms = {}
        for line in out.splitlines():
            f = line.split()
            if len(f) >= 3 and f[1] in "tTwW":
                syms[f[2]] = (int(f[0], 16), f[3].rsplit(":", 1)[0] if len(f) > 3 else "")
        return syms

    @staticmethod
    def inlines(addrs):
        """{file address: [(function, source file), ...] innermost first}
        (addr2line -i)."""
        out = {}
        if not addrs:
            return out
        inp = "".join("0x%x\n0x0\n" % a for a in addrs)
        r = subprocess.run(["addr2line", "-i", "-f", "-a", "-e", LEADROUTER], input=inp,
                           capture_output=True, text=True)
        lines, i, cur = r.stdout.splitlines(), 0, None
        while i < len(lines):
            if re.match(r"0x[0-9a-f]+$", lines[i]):
                a = int(lines[i], 16)
                cur = out.setdefault(a, []) if a else None
                i += 1
                continue
            if cur is not None and i + 1 < len(lines):
                cur.append((lines[i], lines[i + 1].rsplit(":", 1)[0]))
            i += 2  # function, then file:line
        return out

    def samples(self):
        r = subprocess.run(["perf", "script", "-i", self.data, "--no-inline", "-F",
                            "comm,tid,pid,period,ip,sym,symoff,dso"],
                           capture_output=True, text=True)
        out, cur = [], None
        for line in r.stdout.splitlines():
            if not line.strip():
                cur = None
                continue
            if not line[0].isspace():
                m = re.match(r"(.*?)\s+(\d+)/(\d+)\s+(\d+)", line)
                if not m:
                    continue
                cur = {"comm": m.group(1), "main": m.group(2) == m.group(3), "frames": []}
                out.append(cur)
                continue
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)(?:\+0x([0-9a-f]+))?\s+\((.*)\)$", line)
            if m and cur is not None:
                cur["frames"].append((m.group(1), int(m.group(2) or "0", 16), m.group(3)))
        if not out:
            lrtest.fail("perf script: no samples: %s" % r.stderr[-1000:])
        return out

    def report(self, res, part):
        self.data = os.path.join(WORK, "perf-%s.data" % part["name"].replace(" ", "-"))
        opt, samples, syms = self.opt, self.samples(), self.binary_symbols()
        # Frames of the binary, as file addresses (a return address minus
        # one: the call, not the instruction after it).
        want = set()
        for s in samples:
            for i, (sym, off, dso) in enumerate(s["frames"]):
                if dso.endswith("/leadrouter") and sym in syms:
                    want.add(syms[sym][0] + off - (1 if i else 0))
        chains = self.inlines(sorted(want))

        def module_of(src):
            return next((name for pat, name in MODULES if re.search(pat, src)), "other")

        def expand(frames):
            out = []  # (function, module), innermost first
            for i, (sym, off, dso) in enumerate(frames):
                if dso.endswith("/leadrouter"):
                    a = syms[sym][0] + off - (1 if i else 0) if sym in syms else None
                    out += [(fn, module_of(src)) for fn, src in
                            (chains.get(a) or [(sym, syms.get(sym, (0, ""))[1])])]
                    continue
                base = os.path.basename(dso)
                mod = next((name for k, name in DSOS if k in base), None)
                if mod is None:
                    mod = "helper" if any(h in dso for h in HELPERS) else "other"
                out.append((sym, mod))
            return out

        by_stage, by_module, by_fn = (collections.Counter() for _ in range(3))
        for s in samples:
            fr = expand(s["frames"])
            if s["main"]:
                stage = next((STAGES[fn] for fn, _ in fr if fn in STAGES), "other (main thread)")
                mod = next((m for _, m in fr if m != "helper"), "libc, kernel")
            else:
                t = s["comm"]
                stage = "librdkafka thread " + ("rdk:broker*" if t.startswith("rdk:broker") else t)
                mod = "rdkafka" if t.startswith("rdk:") else "other"
            by_stage[stage] += 1
            by_module[mod] += 1
            # the leaf function, named with its library when it is not the
            # module's own (libc's malloc called by route: "route: malloc (libc)")
            leaf, lmod = fr[0] if fr else ("?", "?")
            if (lmod != mod or leaf == "[unknown]") and s["frames"]:
                dso = os.path.basename(s["frames"][0][2]).split(".so")[0]
                leaf = "%s (%s)" % (leaf, dso.strip("[]")[:12])
            by_fn[(mod, leaf)] += 1
        total, events, period = len(samples), part["events"], 1.0 / opt.perf_freq
        say("   %s: %d samples at %d Hz = %.2f CPU s (the worker used %.2f CPU s for these %d "
            "events, %.2f us/event; the numbers of a are without perf)" % (
                part["name"], total, opt.perf_freq, total * period, part["worker"], events,
                1e6 * part["worker"] / events))

        def line(name, c, indent=5):
            say("%s%-*s %6.2f us/event %5.1f%%" % (" " * indent, 64 - indent, name[:64 - indent],
                                                  1e6 * c * period / events, 100.0 * c / total))
        say("   by stage (main thread: the innermost loop step on its stack; other threads by name):")
        for k, c in by_stage.most_common():
            line(k, c)
        say("   by module (time in libc, jansson and the kernel goes to the module that called "
            "them), with its top functions (self time):")
        for m, c in by_module.most_common():
            line(m, c)
            top = [(fn, n) for (mm, fn), n in by_fn.most_common() if mm == m]
            for fn, n in top[:opt.perf_top]:
                if n * 100 >= total:  # >= 1%
                    line(fn, n, 9)
        part["by_stage"], part["by_module"], part["perf_total"] = by_stage, by_module, total
        part["by_fn"] = by_fn


# --- phase b ---------------------------------------------------------------

def reader(ready, stop, out, seen, fetch_wait_ms):
    """Reads lead-assigned from its current end; sends back
    [(monotonic receive time, kafka timestamp ms, value)]."""
    c = Consumer({"bootstrap.servers": BROKERS, "group.id": "bench-reader",
                  "enable.auto.commit": False, "isolation.level": "read_uncommitted",
                  "fetch.wait.max.ms": fetch_wait_ms, "fetch.min.bytes": 1})
    parts = []
    for p in range(PARTITIONS):
        hi = c.get_watermark_offsets(TopicPartition("lead-assigned", p), timeout=10)[1]
        parts.append(TopicPartition("lead-assigned", p, hi))
    c.assign(parts)
    got = []
    ready.set()
    idle_since = None
    while True:
        m = c.poll(0.05)
        now = time.monotonic()
        if m is not None and not m.error():
            got.append((now, m.timestamp()[1], m.value()))
            seen.value = len(got)
            idle_since = None
            continue
        if stop.is_set():
            idle_since = idle_since or now
            if now - idle_since > 2.0:
                break
    c.close()
    out.put(got)


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100.0 * (len(xs) - 1))))]


def phase_b(opt, res):
    ns = "benchb" + uuid.uuid4().hex[:6]
    tenants = ["lt%d" % i for i in range(1, opt.lat_tenants + 1)]
    today = day(0)
    hist = []
    for i, t in enumerate(tenants, 1):
        hist += generate(["--tenant", t, "--reps", str(opt.lat_reps), "--seed", str(100 + i),
                          "--end", today, "--days", str(opt.lat_days)])
    sets = ["policy.max_open_leads=100000",
            "kafka.fetch.wait.max.ms=%d" % opt.worker_fetch_wait_ms] + opt.set_b
    say("\n== b: latency at %d leads/s for %d s over %d tenants x %d reps (%d days of history "
        "first); worker --set %s; load average %s" % (
            opt.rate, opt.seconds, len(tenants), opt.lat_reps, opt.lat_days, " --set ".join(sets),
            loadavg()))
    start_group_at_end(ns)
    w = Worker(ns, sets)
    wait_assigned([w])
    ends, _ = load(hist, ns + "-history")
    committed = Committed(ns)
    committed.wait(ends, [w], opt.timeout)

    ctx = multiprocessing.get_context("fork")
    ready, stop, out, seen = ctx.Event(), ctx.Event(), ctx.Queue(), ctx.Value("i", 0)
    rd = ctx.Process(target=reader, args=(ready, stop, out, seen, opt.reader_fetch_wait_ms),
                     daemon=True)
    rd.start()
    ready.wait(30)
    p = Producer({"bootstrap.servers": BROKERS, "enable.idempotence": True,
                  "linger.ms": opt.linger_ms})
    n = opt.rate * opt.seconds
    warm = len(tenants)
    start_rt = int(time.time() * 1000) + 1000
    msgs = []
    for i in range(warm + n):
        t = tenants[i % len(tenants)]
        lid = "%s-l%06d" % (ns, i)
        ev = lrtest.lead(t, lid, start_rt + i * 1000 // opt.rate,
                         score=random.Random(i).randint(0, 100))[1]
        msgs.append((t.encode(), lrtest.SCHEMAS.encode("LeadCreated", ev), ev["event_id"] + "#1"))
    sent = {}
    # Warm-up: one lead per tenant installs today's ranking; not measured.
    for key, val, eid in msgs[:warm]:
        p.produce("lead-created", key=key, value=val)
    p.flush(10)
    deadline = time.monotonic() + 60
    while seen.value < warm and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)
    cpu0 = {k: cpu_seconds(pid) for k, pid in dict(PIDS, worker=w.pid).items()}
    t0 = time.monotonic() + 0.05
    for i, (key, val, eid) in enumerate(msgs[warm:]):
        due = t0 + i / opt.rate
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        sent[eid] = (time.monotonic(), time.time() * 1000)
        p.produce("lead-created", key=key, value=val)
        p.poll(0)
    t_sent = time.monotonic()
    p.flush(30)
    committed.wait({k: hi for k, (_, hi) in watermarks().items()}, [w], 60)
    cpu1 = {k: cpu_seconds(pid) for k, pid in dict(PIDS, worker=w.pid).items()}
    span = time.monotonic() - t0
    stop.set()
    got = out.get(timeout=120)
    rd.join(30)
    hwm = proc_status(w.pid, "VmHWM")
    counters = w.stop()
    committed.close()

    to_read, to_produced = [], []
    for recv, ts, val in got:
        d = lrtest.SCHEMAS.decode(val)
        s = sent.get(d["event_id"])
        if s and d["attempt"] == 1:
            to_read.append((recv - s[0]) * 1000)
            to_produced.append(ts - s[1])
    res["b"] = {"sent": n, "rate": n / (t_sent - t0), "got": len(to_read),
                "read": (pct(to_read, 50), pct(to_read, 99), max(to_read or [0])),
                "prod": (pct(to_produced, 50), pct(to_produced, 99), max(to_produced or [0])),
                "hwm": hwm}
    say("   sent %d leads at %.0f/s; %d decisions read (worker counters %s)"
        % (n, res["b"]["rate"], len(to_read), counters))
    say("   lead -> decision produced (Kafka timestamp, ms resolution): p50 %.1f ms, p90 %.1f, "
        "p99 %.1f, max %.1f" % (pct(to_produced, 50), pct(to_produced, 90),
                                pct(to_produced, 99), max(to_produced or [0])))
    say("   lead -> decision read by a consumer (fetch.wait.max.ms=%d): p50 %.1f ms, p90 %.1f, "
        "p99 %.1f, max %.1f" % (opt.reader_fetch_wait_ms, pct(to_read, 50), pct(to_read, 90),
                                pct(to_read, 99), max(to_read or [0])))
    say("   CPU during the paced run (%.1f s): %s; worker peak RSS (VmHWM) %.1f MiB" % (
        span, ", ".join("%s %.0f%%" % (k, 100 * (cpu1[k] - cpu0[k]) / span)
                        for k in ("worker", "redis", "broker")), hwm / 1024))


# --- phase m: simulate ---------------------------------------------------------

def phase_m(opt, res):
    args = [LEADROUTER, "simulate", "--strategies", "ranked", "--reps", str(opt.sim_reps),
            "--days", str(opt.sim_days), "--seed", "1", "--format", "json"]
    say("\n== m: %s; load average %s" % (" ".join(["leadrouter"] + args[1:]), loadavg()))
    t = time.monotonic()
    p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Peak RSS read from /proc while it runs: a child's ru_maxrss starts at
    # its parent's (this script's) RSS at the fork.
    hwm = 0
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        try:
            with open("/proc/%d/status" % p.pid) as f:
                hwm = max([hwm] + [int(l.split()[1]) for l in f if l.startswith("VmHWM:")])
        except (OSError, ValueError):
            pass
        time.sleep(0.01)
    wall = time.monotonic() - t
    out = p.stdout.read().decode()
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        lrtest.fail("simulate: %s" % p.stderr.read().decode()[-2000:])
    s = json.loads(out)["strategies"][0]
    res["m"] = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "rss": hwm}
    say("   %.2f s wall, %.2f s CPU, peak RSS %.1f MiB; conversion_rate %.4f, waiting_leads %s"
        % (wall, res["m"]["cpu"], hwm / 1024, s["conversion_rate"], s["waiting_leads"]))


# --- phase d: Redis time of one lr_commit ------------------------------------

def monitor_args(line):
    """The argv of one MONITOR line (Redis's sdscatrepr quoting), as bytes."""
    esc = {"n": "\n", "r": "\r", "t": "\t", "a": "\a", "b": "\b"}
    i = line.index("] ") + 2
    args = []
    while i < len(line) and line[i] == '"':
        i += 1
        buf = []
        while line[i] != '"':
            c = line[i]
            if c == "\\":
                n = line[i + 1]
                if n == "x":
                    buf.append(chr(int(line[i + 2:i + 4], 16)))
                    i += 4
                    continue
                buf.append(esc.get(n, n))
                i += 2
                continue
            buf.append(c)
            i += 1
        args.append("".join(buf).encode("latin-1"))
        i += 2
    return args


class Monitor:
    """Records the lr_commit calls Redis executes (MONITOR on a raw connection)."""

    def __init__(self):
        import socket
        import threading
        self.sock = socket.create_connection(("127.0.0.1", REDIS_PORT))
        self.sock.sendall(b"MONITOR\r\n")
        self.f = self.sock.makefile("rb")
        self.f.readline()  # +OK
        self.calls = []
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            for raw in self.f:
                line = raw.decode("latin-1").rstrip("\r\n")
                if '] "FCALL" "lr_commit"' in line or '] "fcall" "lr_commit"' in line:
                    self.calls.append(monitor_args(line))
        except (OSError, ValueError):
            pass

    def stop(self):
        import socket
        time.sleep(0.2)
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)
        return self.calls


def commit_ops(argv):
    """{key: (op, items)} of an lr_commit argv, and its event count."""
    ops, i = collections.OrderedDict(), 7
    while i < len(argv):
        op, key, n = argv[i].decode(), argv[i + 1].decode(), int(argv[i + 2])
        per = 2 if op in ("H", "Z") else 1
        k = "m:*" if key.startswith("m:") else "ev:*" if key.startswith("ev:") else key
        o = ops.get((op, k), 0)
        ops[(op, k)] = o + n
        i += 3 + n * per
    return ops, ops.get(("H", "ev:*"), 0)


def phase_d(opt, res):
    ns = "benchd" + uuid.uuid4().hex[:6]
    tenant = "rb1"
    hist = generate(["--tenant", tenant, "--reps", str(opt.d_reps), "--seed", "7",
                     "--end", opt.end, "--days", str(opt.d_days)])
    start_group_at_end(ns)
    w = Worker(ns, ["worker.batch_size=1000"])
    wait_assigned([w])
    w.pause()
    ends, _ = load(hist, ns + "-history")
    committed = Committed(ns)
    mon = Monitor()
    w.cont()
    committed.wait(ends, [w], opt.timeout)
    calls = mon.stop()
    w.stop()
    committed.close()
    if not calls:
        lrtest.fail("no lr_commit recorded")
    argv = max(calls, key=lambda a: commit_ops(a)[1])
    ops, events = commit_ops(argv)
    size = sum(len(a) for a in argv)
    say("\n== d: Redis time of one write: the largest of %d lr_commit calls of one tenant "
        "(%d reps, %d days of history, batches of 1,000), replayed %d times; load average %s"
        % (len(calls), opt.d_reps, opt.d_days, opt.d_calls, loadavg()))
    say("   the write: %d events, %d arguments, %.0f kB; ops: %s" % (
        events, len(argv), size / 1024.0,
        ", ".join("%s %s x%d" % (op, k, n) for (op, k), n in ops.items())))
    rb = redis.Redis(port=REDIS_PORT)
    meta = argv[3] + b":meta"
    expect = argv[5]
    # Each replay writes: the version is set back to what the write expects.
    rb.hset(meta, "version", expect)
    if rb.execute_command(*argv)[0] != b"ok":
        lrtest.fail("lr_commit replay not applied")
    cs0, c0, t0 = commandstats(), redis_cpu(), time.monotonic()
    for _ in range(opt.d_calls):
        p = rb.pipeline(transaction=False)
        p.hset(meta, "version", expect)
        p.execute_command(*argv)
        r = p.execute()
        if r[1][0] != b"ok":
            lrtest.fail("lr_commit replay: %r" % r[1])
    wall, cpu = time.monotonic() - t0, redis_cpu() - c0
    d = stats_delta(cs0, commandstats())
    fc = d.get("fcall", (1, 0))
    inner = sorted(((u, k, c) for k, (c, u) in d.items()
                    if k not in ("fcall", "info", "hset") and not k.startswith("function")),
                   reverse=True)
    hs = d.get("hset", (0, 0))
    hs_inner = (hs[0] - opt.d_calls, hs[1])  # without the version resets (a few us)
    usec = fc[1] / fc[0]
    res["d"] = {"events": events, "usec": usec, "cpu_call": cpu / opt.d_calls}
    say("   per call: %.0f us inside Redis (commandstats), %.0f us of Redis CPU (INFO cpu: with "
        "reading the %.0f kB request), %.1f ms round trip from Python" % (
            usec, 1e6 * cpu / opt.d_calls, size / 1024.0, 1000 * wall / opt.d_calls))
    say("   per event of the batch: %.2f us inside Redis, %.2f us of Redis CPU" % (
        usec / events, 1e6 * cpu / opt.d_calls / events))
    say("   commands run by lr_commit per call: HSET %d x %.1f us, %s" % (
        hs_inner[0] / opt.d_calls, hs_inner[1] / max(hs[0], 1),
        ", ".join("%s %d x %.1f us" % (k.upper(), c / opt.d_calls, u / c) for u, k, c in inner[:4])))


# --- main --------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--phases", default="a,s,b,c,m,d", help="comma-separated (default a,s,b,c,m,d)")
    ap.add_argument("--tenants", type=int, default=64, help="tenants of phases a, s, c")
    ap.add_argument("--reps", type=int, default=10, help="reps per tenant of phases a, s, c")
    ap.add_argument("--days", type=int, default=23, help="history days of phases a, s, c")
    ap.add_argument("--fresh", type=int, default=500, help="fresh-day leads per tenant")
    ap.add_argument("--end", default=day(1),
                    help="the fresh day of phases a, s, d (default tomorrow, UTC: no timer "
                         "comes due on the wall clock during the run)")
    ap.add_argument("--set-a", action="append", default=[], metavar="K=V",
                    help="worker --set for phases a, s, c")
    ap.add_argument("--sla", type=int, default=15,
                    help="phase c: policy.sla_first_touch_seconds")
    ap.add_argument("--profile", action="store_true",
                    help="phases a and c: the backlog once more under perf record (cpu-clock, "
                         "dwarf); needs perf")
    ap.add_argument("--perf-freq", type=int, default=999)
    ap.add_argument("--perf-top", type=int, default=4, help="top functions per module")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--lat-tenants", type=int, default=8)
    ap.add_argument("--lat-reps", type=int, default=10)
    ap.add_argument("--lat-days", type=int, default=14)
    ap.add_argument("--linger-ms", type=float, default=1, help="lead producer's linger.ms")
    ap.add_argument("--reader-fetch-wait-ms", type=int, default=5)
    ap.add_argument("--worker-fetch-wait-ms", type=int, default=5,
                    help="kafka.fetch.wait.max.ms of the phase b worker")
    ap.add_argument("--set-b", action="append", default=[], metavar="K=V")
    ap.add_argument("--sim-reps", type=int, default=40)
    ap.add_argument("--sim-days", type=int, default=180)
    ap.add_argument("--d-reps", type=int, default=10)
    ap.add_argument("--d-days", type=int, default=30)
    ap.add_argument("--d-calls", type=int, default=50)
    ap.add_argument("--timeout", type=int, default=900)
    opt = ap.parse_args()
    phases = opt.phases.split(",")
    res = {}
    say("load average at start: %s" % loadavg())
    for ph, fn in (("a", phase_a), ("s", phase_s), ("b", phase_b), ("c", phase_c),
                   ("m", phase_m), ("d", phase_d)):
        if ph in phases:
            fn(opt, res)
    summary(opt, res)


def summary(opt, res):
    say("\n== results (%d CPUs shared; worker, redis-server and dev broker on this machine; "
        "load average at the end %s)" % (os.cpu_count(), loadavg()))
    rows = []
    reps = opt.tenants * opt.reps
    if "a" in res:
        a = res["a"]
        rows.append(("a  events/s, one worker, %d-event backlog" % a["events"],
                     "%.0f" % (a["events"] / a["wall"]),
                     "history %.0f/s, fresh day %.0f/s" % tuple(
                         p["events"] / p["wall"] for p in a["parts"])))
        rows.append(("a  Redis CPU per event", "%.2f us" % (1e6 * a["redis"] / a["events"]),
                     "%.0f%% of a core" % (100 * a["redis"] / a["wall"])))
        rows.append(("a  worker CPU per event", "%.2f us" % (1e6 * a["worker"] / a["events"]),
                     "main thread %.2f us; broker %.2f us" % (
                         1e6 * a["threads"]["main"] / a["events"], 1e6 * a["broker"] / a["events"])))
        m0, m1 = a["mem0"][0], a["mem1"][0]
        rows.append(("c  worker peak RSS, %d x %d reps" % (opt.tenants, opt.reps),
                     "%.1f MiB" % (m1["hwm"] / 1024),
                     "RSS %.1f -> %.1f MiB" % (m0["rss"] / 1024, m1["rss"] / 1024)))
        if m0["heap"] is not None and m1["heap"] is not None:
            dh = m1["heap"] - m0["heap"]
            rows.append(("c  state bytes per rep (heap delta / reps)", "%.0f" % (dh / reps),
                         "%.0f per event; RSS delta / reps %.0f" % (
                             dh / a["events"], 1024 * (m1["rss"] - m0["rss"]) / reps)))
    if "s" in res:
        s = res["s"]
        x = " (%.2fx one worker)" % ((s["events"] / s["wall"]) / (res["a"]["events"] / res["a"]["wall"])) \
            if "a" in res else ""
        rows.append(("s  events/s, two workers", "%.0f" % (s["events"] / s["wall"]), x.strip()))
    if "b" in res:
        b = res["b"]
        rows.append(("b  lead -> decision read p50/p99", "%.1f / %.1f ms" % b["read"][:2],
                     "%d of %d read at %.0f/s, max %.1f ms" % (b["got"], b["sent"], b["rate"],
                                                              b["read"][2])))
        rows.append(("b  lead -> decision produced p50/p99", "%.1f / %.1f ms" % b["prod"][:2], ""))
    if "c" in res:
        c = res["c"]
        m0, m1 = c["mem0"][0], c["mem1"][0]
        extra = ""
        if m0["heap"] is not None and m1["heap"] is not None:
            extra = "; heap delta / reps %.0f bytes" % ((m1["heap"] - m0["heap"]) / reps)
        rows.append(("c  worker peak RSS, timers in bulk", "%.1f MiB" % (m1["hwm"] / 1024),
                     "%d decisions%s" % (res["c_decisions"], extra)))
    if "m" in res:
        rows.append(("m  simulate %d reps x %d days" % (opt.sim_reps, opt.sim_days),
                     "%.2f s" % res["m"]["wall"], "peak RSS %.1f MiB" % (res["m"]["rss"] / 1024)))
    if "d" in res:
        d = res["d"]
        rows.append(("d  lr_commit of %d events: Redis per event" % d["events"],
                     "%.2f us" % (d["usec"] / d["events"]),
                     "%.0f us per call inside Redis; %.2f us/event of Redis CPU" % (
                         d["usec"], 1e6 * d["cpu_call"] / d["events"])))
    w0 = max(len(r[0]) for r in rows) if rows else 0
    w1 = max(len(r[1]) for r in rows) if rows else 0
    for r in rows:
        say("   %-*s  %*s  %s" % (w0, r[0], w1, r[1], r[2]))


if __name__ == "__main__":
    main()
