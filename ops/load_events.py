"""Loads events written by `leadrouter generate` (a history, a fresh day) into
a running worker in event-time order across topics.

Kafka keeps the order of one partition, not across topics: a worker reading
lead-created, call-outcome and rep-status at once may apply a lead's first
call before the LeadCreated that imports its assignment (which would then
come too late to count: the lead is already the rep's by its outcome), a
lead before the presence change that came before it, or the events of a
later day before those of an earlier one (the day's ranking would then be
installed without them). So the events go in steps, each applied by the
worker before the next is produced (its GET /metrics counts
`leadrouter_events_total` and `leadrouter_dead_letters_total`): a step is a
run of events of one topic in time order, except that a day's imported
assignments (LeadCreated events carrying attributes.assigned_rep_id) go
first, all together, before the day's other events (they decide nothing, so
their order within the day does not matter; a history then costs two steps
a day). A CRM import should do the same. The events go through one
`leadrouter produce` process (its stdin a pipe), so a step costs only the
worker's latency.

Usage: load_events.py LEADROUTER BROKERS METRICS_URL FILE
Prints how many events it loaded and how long it took."""
import json
import subprocess
import sys
import tempfile
import time
import urllib.request

DAY_MS = 86400000
TIME_FIELD = {"lead-created": "created_at", "call-outcome": "occurred_at",
              "rep-status": "occurred_at"}


def counters(metrics_url):
    """(events applied, dead letters) from the worker's /metrics."""
    got = {}
    with urllib.request.urlopen(metrics_url, timeout=10) as r:
        for line in r.read().decode().splitlines():
            if not line.startswith("#") and " " in line:
                name, value = line.split(" ", 1)
                got[name] = float(value)
    return (int(got.get("leadrouter_events_total", 0)),
            int(got.get("leadrouter_dead_letters_total", 0)))


def wait_applied(metrics_url, want, timeout=120, alive=None):
    """Waits until the worker has taken `want` events in all (applied or
    dead-lettered); returns its (events, dead letters). alive(): False when
    the worker is gone (then this fails at once)."""
    deadline = time.time() + timeout
    while True:
        try:
            events, dead = counters(metrics_url)
        except OSError as e:
            raise SystemExit("the worker's %s: %s" % (metrics_url, e))
        if events + dead >= want:
            return events, dead
        if time.time() > deadline or (alive and not alive()):
            raise SystemExit("the worker took %d of %d events (dead letters %d)"
                             % (events + dead, want, dead))
        time.sleep(0.01)


def steps(lines):
    """The lines as a list of steps (lists of lines), in the order they go."""
    keyed = []
    for i, line in enumerate(lines):
        env = json.loads(line)
        t = env["event"][TIME_FIELD[env["topic"]]]
        imported = "assigned_rep_id" in (env["event"].get("attributes") or {})
        keyed.append(((t // DAY_MS, 0 if imported else 1, t, i), env["topic"], line))
    keyed.sort()
    out, prev = [], None
    for (day, rank, _, _), topic, line in keyed:
        if (day, rank, topic) != prev:
            out.append([])
            prev = (day, rank, topic)
        out[-1].append(line)
    return out


def main():
    leadrouter, brokers, metrics_url, path = sys.argv[1:5]
    with open(path) as f:
        lines = [l if l.endswith("\n") else l + "\n" for l in f if l.strip()]
    start = time.time()
    while True:  # the worker may still be starting
        try:
            base = sum(counters(metrics_url))
            break
        except OSError as e:
            if time.time() - start > 60:
                raise SystemExit("the worker's %s: %s" % (metrics_url, e))
            time.sleep(0.1)
    err = tempfile.TemporaryFile(mode="w+")
    produce = subprocess.Popen([leadrouter, "produce", "--brokers", brokers],
                               stdin=subprocess.PIPE, stderr=err, text=True)
    sent = 0
    try:
        for step in steps(lines):
            produce.stdin.write("".join(step))
            produce.stdin.flush()
            sent += len(step)
            wait_applied(metrics_url, base + sent, alive=lambda: produce.poll() is None)
    finally:
        produce.stdin.close()
        produce.wait()
    if produce.returncode != 0:
        err.seek(0)
        raise SystemExit("produce failed: " + err.read())
    events, dead = counters(metrics_url)
    print("   %d events loaded in %.1f s%s" % (sent, time.time() - start,
                                               ", %d dead-lettered" % dead if dead else ""))


if __name__ == "__main__":
    main()
