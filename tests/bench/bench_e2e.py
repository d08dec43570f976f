"""bench_e2e.py - leadrouter's end-to-end benchmark (issue 2). It prints
numbers and asserts nothing about timing. Run it through tests/bench/run.sh,
which starts the redis-server and the dev broker it measures against.

Phases (--phases, default a,b,d; c is measured during a and b):
  a  throughput: a generated stream (T tenants x R reps x D days of history,
     then a fresh day of leads per tenant) is loaded into the dev broker
     first, then one worker consumes it; events/s from the first key the
     worker writes to the last event applied (the dedup key of the last
     event of every tenant and topic).
  b  latency: a worker with capacity for every lead (policy.max_open_leads)
     and a short history; leads paced at --rate per second for --seconds,
     spread round robin over the tenants; per lead, the time from the
     produce() call to (1) the decision's Kafka timestamp (when the worker
     produced it) and (2) the moment a consumer reads it.
  c  the workers' peak RSS (VmHWM) after a and after b.
  d  the Redis-side ceiling: redis-benchmark repeating the FCALLs a worker
     sent for one lead, one outcome and one status (recorded with MONITOR),
     with fresh event and lead ids, and a duplicate; per call, the time in
     the commands the Function ran and the rest (Lua and call overhead).
  --profile adds, for phase a, the time inside Redis per Function (a
  SLOWLOG of every call).
The dev broker keeps only ~5 MB per partition (and one tenant's events share
a partition): phase a spreads its events over tenants, and checks that no
partition dropped a message before it measures.
"""
import argparse
import atexit
import multiprocessing
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone

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


def cpu_seconds(pid):
    """utime + stime of a process (all its threads)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def proc_status(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])  # kB
    return 0


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


WORKERS = []


@atexit.register
def stop_workers():
    """No worker outlives the benchmark, also when it fails halfway."""
    for w in WORKERS:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()


class Worker:
    """One `leadrouter run` of its own namespace and group, reading what is
    produced after start_group_at_end(ns)."""

    def __init__(self, ns, sets):
        self.ns = ns
        self.config = os.path.join(WORK, ns + ".yaml")
        with open(self.config, "w") as f:
            f.write("kafka:\n  bootstrap.servers: %s\n  group.id: %s\n"
                    "redis:\n  url: redis://127.0.0.1:%d/0\n  namespace: %s\n"
                    "http:\n  listen: 127.0.0.1:0\n" % (BROKERS, ns, REDIS_PORT, ns))
        args = [LEADROUTER, "run", "--config", self.config]
        for kv in sets:
            args += ["--set", kv]
        self.log = os.path.join(WORK, ns + ".log")
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT)
        WORKERS.append(self)

    def alive(self):
        if self.proc.poll() is not None:
            with open(self.log) as f:
                lrtest.fail("worker exited with %s:\n%s" % (self.proc.returncode, f.read()[-3000:]))

    def stop(self):
        """Stops the worker; returns its final counters from the stats log line."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(60)
        with open(self.log) as f:
            text = f.read()
        m = re.findall(r"events (\d+) \(duplicates (\d+)\), decisions (\d+), tier changes (\d+), "
                       r"dead letters (\d+)", text)
        keys = ("events", "duplicates", "decisions", "tier_changes", "dead_letters")
        return dict(zip(keys, map(int, m[-1]))) if m else {}


def ekey(ns, tenant, event_id):
    return "%s:{%s}:e:%s" % (ns, tenant, event_id)


def generate(args_list):
    """`leadrouter generate` lines, without the history's imported
    assignments: the bench produces a whole history at once, and those must
    be applied before their leads' outcomes, which Kafka does not promise
    across topics (lrfaults.without_imported_assignments); the history is
    imported by its outcomes, as the bench always measured it."""
    r = subprocess.run([LEADROUTER, "generate"] + args_list, capture_output=True, text=True, check=True)
    return lrfaults.without_imported_assignments(r.stdout.splitlines())


def produce_file(path):
    with open(path) as f:
        r = subprocess.run([LEADROUTER, "produce", "--brokers", BROKERS], stdin=f,
                           capture_output=True, text=True)
    if r.returncode:
        lrtest.fail("produce: %s" % r.stderr)


def start_group_at_end(group):
    """Commits the input topics' end offsets for a new consumer group, so
    that its worker reads only what is produced from now on (not the
    events of the phases before)."""
    c = Consumer({"bootstrap.servers": BROKERS, "group.id": group, "enable.auto.commit": False})
    try:
        offs = [TopicPartition(t, p, c.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1])
                for t in INPUTS for p in range(PARTITIONS)]
        c.commit(offsets=offs, asynchronous=False)
    finally:
        c.close()


def check_nothing_dropped():
    c = Consumer({"bootstrap.servers": BROKERS, "group.id": "bench-wm"})
    try:
        for t in INPUTS:
            for p in range(PARTITIONS):
                lo, hi = c.get_watermark_offsets(TopicPartition(t, p), timeout=10)
                if lo > 0:
                    lrtest.fail("the dev broker dropped %d messages of %s [%d] (its log is "
                                "bounded): use more tenants or fewer days" % (lo, t, p))
    finally:
        c.close()


def last_ids(lines):
    """{(tenant, topic): event_id of the last event} of JSON lines."""
    import json
    last = {}
    for line in lines:
        o = json.loads(line)
        last[(o["event"]["tenant_id"], o["topic"])] = o["event"]["event_id"]
    return last


def wait_first_write(w, timeout=60):
    base = R.dbsize()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if R.dbsize() != base:
            return time.monotonic()
        if int(time.monotonic() * 1000) % 500 == 0:
            w.alive()
        time.sleep(0.001)
    w.alive()
    lrtest.fail("the worker wrote nothing in %d s" % timeout)


def wait_keys(w, keys, timeout, poll=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if R.exists(*keys) == len(keys):
            return time.monotonic()
        w.alive()
        time.sleep(poll)
    lrtest.fail("%d of %d last events not applied after %d s" % (
        len(keys) - R.exists(*keys), len(keys), timeout))


# --- phase a ---------------------------------------------------------------

def phase_a(opt, res):
    ns = "bencha" + uuid.uuid4().hex[:6]
    tenants = ["bt%d" % i for i in range(1, opt.tenants + 1)]
    hist, fresh = [], []
    for i, t in enumerate(tenants, 1):
        base = ["--tenant", t, "--reps", str(opt.reps), "--seed", str(i), "--end", opt.end]
        hist += generate(base + ["--days", str(opt.days)])
        # The fresh day repeats the reps' first statuses: same event ids.
        fresh += [l for l in generate(base + ["--days", "0", "--fresh-day", str(opt.fresh)])
                  if '-init"' not in l]
    n_hist, n_fresh = len(hist), len(fresh)
    say("\n== a: throughput of one worker: %d tenants x %d reps, %d days of history "
        "(%d events), then a fresh day of %d leads per tenant (%d events)"
        % (opt.tenants, opt.reps, opt.days, n_hist, opt.fresh, n_fresh))
    w = None
    start_group_at_end(ns)
    totals = {"events": 0, "wall": 0.0, "cpu": {}, "cs": {}}
    if opt.profile:
        R.config_set("slowlog-max-len", 1000000)
        R.config_set("slowlog-log-slower-than", 0)
        R.slowlog_reset()
    # History first, then the fresh day, each loaded into the broker before
    # it is consumed: the topics are consumed concurrently, so a fresh day
    # loaded with the history would install the last day's ranking first.
    for part, lines in (("history", hist), ("fresh day", fresh)):
        path = os.path.join(WORK, "stream.jsonl")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        t = time.monotonic()
        produce_file(path)
        check_nothing_dropped()
        say("   %s: %d events loaded into the dev broker in %.1f s (nothing dropped)"
            % (part, len(lines), time.monotonic() - t))
        keys = [ekey(ns, tn, e) for (tn, _), e in last_ids(lines).items()]
        if w is None:
            w = Worker(ns, opt.set_a)
        t0 = wait_first_write(w)
        cpu0 = {k: cpu_seconds(p) for k, p in dict(PIDS, worker=w.proc.pid).items()}
        cs0 = commandstats()
        t1 = wait_keys(w, keys, opt.timeout)
        cpu1 = {k: cpu_seconds(p) for k, p in dict(PIDS, worker=w.proc.pid).items()}
        d = stats_delta(cs0, commandstats())
        wall = t1 - t0
        say("   %s: %d events in %.2f s: %.0f events/s" % (part, len(lines), wall,
                                                          len(lines) / wall))
        res["a_" + part] = len(lines) / wall
        totals["events"] += len(lines)
        totals["wall"] += wall
        for k in cpu1:
            totals["cpu"][k] = totals["cpu"].get(k, 0) + cpu1[k] - cpu0[k]
        for k, (c, u) in d.items():
            o = totals["cs"].get(k, (0, 0))
            totals["cs"][k] = (o[0] + c, o[1] + u)
    hwm = proc_status(w.proc.pid, "VmHWM")
    counters = w.stop()
    if opt.profile:
        profile_slowlog()
    wall, cpu, d = totals["wall"], totals["cpu"], totals["cs"]
    res["a_events"] = totals["events"]
    res["a_wall"] = wall
    res["a_eps"] = totals["events"] / wall
    res["a_hwm"] = hwm
    res["a_ns"] = ns
    res["a_tenant"] = tenants[0]
    res["a_day"] = opt.end
    say("   together: %d events in %.2f s: %.0f events/s; worker counters %s"
        % (totals["events"], wall, res["a_eps"], counters))
    say("   CPU seconds while consuming (wall %.2f s): %s" % (wall, ", ".join(
        "%s %.2f (%.0f%%)" % (k, cpu[k], 100 * cpu[k] / wall) for k in ("worker", "redis", "broker"))))
    fc = d.get("fcall", (0, 0))
    fro = d.get("fcall_ro", (0, 0))
    direct = ("hgetall", "get")  # the worker's own reads (rankings)
    inner = sorted(((v[1], k, v[0]) for k, v in d.items()
                    if k not in ("fcall", "fcall_ro", "info", "dbsize", "exists", "ping")
                    and not k.startswith("function")), reverse=True)
    inner_usec = sum(u for u, k, _ in inner if k not in direct)
    direct_usec = sum(u for u, k, _ in inner if k in direct)
    say("   Redis: FCALL %d calls, %.2f s (%.0f us/call); FCALL_RO %d calls %.2f s; the worker's "
        "direct reads %.2f s; commands run by the Functions %.2f s, so Lua itself ~%.2f s"
        % (fc[0], fc[1] / 1e6, fc[1] / max(fc[0], 1), fro[0], fro[1] / 1e6, direct_usec / 1e6,
           inner_usec / 1e6, (fc[1] + fro[1] - inner_usec) / 1e6))
    say("   top commands: " + ", ".join("%s %d x %.1f us = %.2f s" % (k, c, u / c, u / 1e6)
                                        for u, k, c in inner[:8]))
    say("   worker peak RSS (VmHWM) %.1f MiB" % (hwm / 1024))


def profile_slowlog():
    """Time inside Redis per command and Function, from a SLOWLOG that
    recorded every call (--profile: it slows Redis down a little)."""
    R.config_set("slowlog-log-slower-than", 10000)
    log = R.slowlog_get(1000000)
    R.slowlog_reset()
    by = {}
    for e in log:
        cmd = e["command"]
        cmd = (cmd.decode(errors="replace") if isinstance(cmd, bytes) else cmd).split(" ")
        name = cmd[0].upper()
        if name in ("EXISTS", "DBSIZE", "INFO", "SLOWLOG", "CONFIG"):
            continue  # the benchmark's own polling
        if name in ("FCALL", "FCALL_RO") and len(cmd) > 1:
            name += " " + cmd[1]
        c, u, mx = by.get(name, (0, 0, 0))
        by[name] = (c + 1, u + e["duration"], max(mx, e["duration"]))
    total = sum(u for _, u, _ in by.values())
    say("   profile (SLOWLOG of every call; %d calls, %.2f s inside Redis):" % (len(log), total / 1e6))
    for name, (c, u, mx) in sorted(by.items(), key=lambda kv: -kv[1][1])[:10]:
        say("     %-28s %7d calls %8.1f us/call  max %7d us  %5.2f s (%2.0f%%)"
            % (name, c, u / c, mx, u / 1e6, 100.0 * u / max(total, 1)))


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
    tenants = ["lt%d" % i for i in range(1, opt.tenants + 1)]
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    hist = []
    for i, t in enumerate(tenants, 1):
        hist += generate(["--tenant", t, "--reps", str(opt.lat_reps), "--seed", str(100 + i),
                          "--end", today, "--days", str(opt.lat_days)])
    path = os.path.join(WORK, "lat-history.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(hist) + "\n")
    sets = ["policy.max_open_leads=100000"] + opt.set_b
    if opt.worker_fetch_wait_ms is not None:
        sets.append("kafka.fetch.wait.max.ms=%d" % opt.worker_fetch_wait_ms)
    say("\n== b: latency at %d leads/s for %d s over %d tenants x %d reps (%d days of history "
        "first); worker --set %s" % (opt.rate, opt.seconds, opt.tenants, opt.lat_reps,
                                     opt.lat_days, " --set ".join(sets)))
    start_group_at_end(ns)
    produce_file(path)
    w = Worker(ns, sets)
    wait_keys(w, [ekey(ns, tn, e) for (tn, _), e in last_ids(hist).items()], opt.timeout)

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
    wait_keys(w, [ekey(ns, tn, msgs[i][2][:-2]) for i, tn in enumerate(tenants)], 60)
    deadline = time.monotonic() + 60
    while seen.value < warm and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.5)
    cpu0 = {k: cpu_seconds(pid) for k, pid in dict(PIDS, worker=w.proc.pid).items()}
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
    wait_keys(w, [ekey(ns, msgs[-1][0].decode(), msgs[-1][2][:-2])], 60)
    cpu1 = {k: cpu_seconds(pid) for k, pid in dict(PIDS, worker=w.proc.pid).items()}
    span = time.monotonic() - t0
    stop.set()
    got = out.get(timeout=120)
    rd.join(30)
    hwm = proc_status(w.proc.pid, "VmHWM")
    counters = w.stop()

    to_read, to_produced = [], []
    for recv, ts, val in got:
        d = lrtest.SCHEMAS.decode(val)
        s = sent.get(d["event_id"])
        if s and d["attempt"] == 1:
            to_read.append((recv - s[0]) * 1000)
            to_produced.append(ts - s[1])
    res["b_sent"] = n
    res["b_rate"] = n / (t_sent - t0)
    res["b_got"] = len(to_read)
    res["b_read"] = (pct(to_read, 50), pct(to_read, 99), max(to_read or [0]))
    res["b_prod"] = (pct(to_produced, 50), pct(to_produced, 99), max(to_produced or [0]))
    res["b_hwm"] = hwm
    res["b_sets"] = sets
    say("   sent %d leads at %.0f/s; %d decisions read (worker counters %s)"
        % (n, res["b_rate"], len(to_read), counters))
    say("   lead -> decision produced (Kafka timestamp, ms resolution): p50 %.1f ms, p90 %.1f, "
        "p99 %.1f, max %.1f" % (pct(to_produced, 50), pct(to_produced, 90),
                                pct(to_produced, 99), max(to_produced or [0])))
    say("   lead -> decision read by a consumer (fetch.wait.max.ms=%d): p50 %.1f ms, p90 %.1f, "
        "p99 %.1f, max %.1f" % (opt.reader_fetch_wait_ms, pct(to_read, 50), pct(to_read, 90),
                                pct(to_read, 99), max(to_read or [0])))
    say("   CPU during the paced run (%.1f s): %s" % (span, ", ".join(
        "%s %.0f%%" % (k, 100 * (cpu1[k] - cpu0[k]) / span) for k in ("worker", "redis", "broker"))))
    say("   worker peak RSS (VmHWM) %.1f MiB" % (hwm / 1024))
    res["b_ns"], res["b_tenant"], res["b_day"] = ns, tenants[0], today


# --- phase d ---------------------------------------------------------------

def monitor_args(line):
    """The argv of one MONITOR line (Redis's sdscatrepr quoting)."""
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
        args.append("".join(buf))
        i += 2
    return args


class Monitor:
    """Records the FCALLs Redis executes (MONITOR on a raw connection)."""

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
                if '] "FCALL" ' in line or '] "fcall" ' in line:
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


def phase_d(opt, res):
    """The worker applies one lead, one outcome and one status while MONITOR
    records its FCALLs; redis-benchmark then repeats each with fresh event
    and lead ids (__rand_int__), so it measures exactly what the worker
    sends, whatever the Functions' signatures are."""
    ns = "benchd" + uuid.uuid4().hex[:6]
    tenant = "rb1"
    day_ms = int(datetime.strptime(opt.end, "%Y-%m-%d").replace(tzinfo=timezone.utc)
                 .timestamp() * 1000)
    hist = generate(["--tenant", tenant, "--reps", str(opt.lat_reps), "--seed", "7",
                     "--end", opt.end, "--days", "14"])
    path = os.path.join(WORK, "d-history.jsonl")
    with open(path, "w") as f:
        f.write("\n".join(hist) + "\n")
    start_group_at_end(ns)
    produce_file(path)
    w = Worker(ns, ["policy.max_open_leads=100000"])
    wait_keys(w, [ekey(ns, tn, e) for (tn, _), e in last_ids(hist).items()], opt.timeout)
    rep = R.hkeys("%s:{%s}:reps" % (ns, tenant))[0]
    t = day_ms + 12 * 3600 * 1000
    probes = {
        "lr_lead": lrtest.lead(tenant, "bd-lead", t, score=60),
        "lr_outcome": lrtest.outcome(tenant, rep, "bd-other-lead", t + 1000, "CONNECTED",
                                     event_id="bd-outcome"),
        "lr_status": lrtest.status(tenant, rep, t + 2000, "AVAILABLE", event_id="bd-status"),
    }
    mon = Monitor()
    lrtest.produce(BROKERS, list(probes.values()))
    wait_keys(w, [ekey(ns, tenant, ev["event_id"]) for _, ev in probes.values()], 60)
    calls = mon.stop()
    w.stop()
    cmds = {}
    for fn, (_, ev) in probes.items():
        argv = next((c for c in calls if len(c) > 2 and c[1] == fn and ev["event_id"] in c), None)
        if not argv:
            lrtest.fail("no FCALL %s of event %s recorded" % (fn, ev["event_id"]))
        cmds[fn] = argv

    def fresh(argv, ids):
        return [ids.get(a, a) for a in argv]

    cases = [
        ("lr_outcome (lead new to it)",
         fresh(cmds["lr_outcome"], {"bd-outcome": "bdo-__rand_int__",
                                    "bd-other-lead": "bdol-__rand_int__"})),
        ("lr_lead (routed)",
         fresh(cmds["lr_lead"], {"lc-bd-lead": "bdl-__rand_int__",
                                 "bd-lead": "bdll-__rand_int__"})),
        ("lr_status (AVAILABLE)", fresh(cmds["lr_status"], {"bd-status": "bds-__rand_int__"})),
        ("lr_outcome duplicate", cmds["lr_outcome"]),
    ]
    say("\n== d: Redis-side ceiling: redis-benchmark -n %d -c %d -P %d -r 100000000, the FCALLs "
        "the worker sent (recorded with MONITOR) with fresh ids" % (opt.rb_n, opt.rb_c, opt.rb_p))
    res["d"] = []
    for name, cmd in cases:
        cs0 = commandstats()
        r = subprocess.run(["redis-benchmark", "-p", str(REDIS_PORT), "-n", str(opt.rb_n),
                            "-c", str(opt.rb_c), "-P", str(opt.rb_p), "-r", "100000000", "--csv"]
                           + cmd, capture_output=True, text=True, check=True)
        d = stats_delta(cs0, commandstats())
        fc = d.get("fcall", (1, 0))
        rows = [l for l in r.stdout.splitlines() if l.startswith('"FCALL')]
        # The test name is the command line, unescaped: rps is 7th from the right.
        rps = float(rows[-1].rsplit(",", 7)[1].strip('"')) if rows else float("nan")
        res["d"].append((name, rps, fc[1] / fc[0]))
        inner = sorted(((u, k, c) for k, (c, u) in d.items()
                        if k not in ("fcall", "info") and not k.startswith("function")),
                       reverse=True)
        n_inner = sum(c for _, _, c in inner) / fc[0]
        u_inner = sum(u for u, _, _ in inner) / fc[0]
        say("   %-30s %9.0f calls/s   %6.1f us/call inside Redis: %.1f commands (%.1f us), "
            "Lua and call overhead %.1f us" % (name, rps, fc[1] / fc[0], n_inner, u_inner,
                                              fc[1] / fc[0] - u_inner))
        say("      per call: " + ", ".join("%s %.2f x %.1f us" % (k, c / fc[0], u / c)
                                         for u, k, c in inner[:8]))


# --- main --------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--phases", default="a,b,d")
    ap.add_argument("--tenants", type=int, default=8)
    ap.add_argument("--reps", type=int, default=5, help="reps per tenant in phase a")
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--fresh", type=int, default=500, help="fresh-day leads per tenant")
    ap.add_argument("--end", default=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
                    help="the fresh day of phases a and d (default today, UTC: the workers' "
                         "timers run on the wall clock)")
    ap.add_argument("--profile", action="store_true",
                    help="phase a: time per Function from a SLOWLOG of every call")
    ap.add_argument("--set-a", action="append", default=[], metavar="K=V",
                    help="worker --set for phase a")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=int, default=15)
    ap.add_argument("--lat-reps", type=int, default=10)
    ap.add_argument("--lat-days", type=int, default=14)
    ap.add_argument("--linger-ms", type=float, default=1, help="lead producer's linger.ms")
    ap.add_argument("--reader-fetch-wait-ms", type=int, default=5)
    ap.add_argument("--worker-fetch-wait-ms", type=int, default=None,
                    help="kafka.fetch.wait.max.ms of the phase b worker (default: the product's)")
    ap.add_argument("--set-b", action="append", default=[], metavar="K=V")
    ap.add_argument("--rb-n", type=int, default=200000)
    ap.add_argument("--rb-c", type=int, default=8)
    ap.add_argument("--rb-p", type=int, default=16)
    ap.add_argument("--timeout", type=int, default=900)
    opt = ap.parse_args()
    phases = opt.phases.split(",")
    res = {}
    if "a" in phases:
        phase_a(opt, res)
    if "b" in phases:
        phase_b(opt, res)
    if "d" in phases:
        phase_d(opt, res)

    say("\n== results (%d CPUs; worker, redis-server and dev broker on the same machine)"
        % os.cpu_count())
    rows = []
    if "a_eps" in res:
        rows.append(("a  end-to-end throughput, one worker", "%.0f events/s" % res["a_eps"],
                     "%d events in %.2f s; history %.0f/s, fresh day %.0f/s" % (
                         res["a_events"], res["a_wall"], res["a_history"], res["a_fresh day"])))
    if "b_read" in res:
        rows.append(("b  lead -> decision produced p50/p99", "%.1f / %.1f ms" % res["b_prod"][:2],
                     "%d leads at %.0f/s, max %.1f ms" % (res["b_sent"], res["b_rate"],
                                                         res["b_prod"][2])))
        rows.append(("b  lead -> decision read p50/p99", "%.1f / %.1f ms" % res["b_read"][:2],
                     "%d of %d read, max %.1f ms" % (res["b_got"], res["b_sent"],
                                                     res["b_read"][2])))
    if "a_hwm" in res:
        rows.append(("c  worker peak RSS (VmHWM), phase a", "%.1f MiB" % (res["a_hwm"] / 1024), ""))
    if "b_hwm" in res:
        rows.append(("c  worker peak RSS (VmHWM), phase b", "%.1f MiB" % (res["b_hwm"] / 1024), ""))
    for name, rps, us in res.get("d", []):
        rows.append(("d  redis-benchmark " + name, "%.0f calls/s" % rps, "%.1f us/call in Redis" % us))
    w0 = max(len(r[0]) for r in rows) if rows else 0
    w1 = max(len(r[1]) for r in rows) if rows else 0
    for r in rows:
        say("   %-*s  %*s  %s" % (w0, r[0], w1, r[1], r[2]))


if __name__ == "__main__":
    main()
