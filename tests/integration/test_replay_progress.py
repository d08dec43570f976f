"""`leadrouter replay` shows its progress on a terminal and only there.

Under a pseudo-terminal (Python's pty as stderr) the progress line is
redrawn in place: carriage returns, events, events/s, the event time
reached, the share read and the time left; the report on stdout is the same
as without. With stderr a pipe, nothing but the report: no progress at all.
"""
import os
import pty
import select
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import lrtest  # noqa: E402
import replay_org  # noqa: E402
from lrtest import check  # noqa: E402


def run_with_tty_stderr(argv):
    """(exit status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave, stdin=subprocess.DEVNULL)
    os.close(slave)
    shown = b""
    out = b""
    while True:
        ready, _, _ = select.select([master, p.stdout], [], [], 1.0)
        if master in ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                chunk = b""
            shown += chunk
        if p.stdout in ready:
            chunk = p.stdout.read1(65536)
            out += chunk
            if not chunk and p.poll() is not None:
                break
        if not ready and p.poll() is not None:
            break
    out += p.stdout.read()
    p.wait()
    os.close(master)
    return p.returncode, out.decode(), shown.decode(errors="replace")


def main():
    work = tempfile.mkdtemp(prefix="lrreplayp-")
    path = os.path.join(work, "history.jsonl")
    # long enough for several redraws (every 200 ms)
    events = replay_org.generate("--tenant", "p", "--reps", 40, "--days", 120, "--end", "2026-03-02",
                                 "--seed", 2)
    replay_org.write_jsonl(path, events)
    argv = [lrtest.LEADROUTER, "replay", "--input", path, "--format", "json"]

    rc, out, shown = run_with_tty_stderr(argv)
    check(rc == 0 and "Sanitizer" not in shown, "exit %d under a terminal: %s" % (rc, shown[-2000:]))
    report = replay_org.report(subprocess.CompletedProcess(argv, rc, out, shown))
    check(report["events"] == len(events), "events %s of %d" % (report["events"], len(events)))
    lines = [x for x in shown.split("\r") if "replay:" in x]
    print("terminal showed %d redraws, e.g. %r" % (len(lines), lines[len(lines) // 2] if lines else ""))
    check(len(lines) >= 2, "no progress redrawn on the terminal: %r" % shown[-500:])
    for word in ("events/s", " at 20", "%", "ETA"):
        check(any(word in x for x in lines), "the progress line lacks %r: %r" % (word, lines[-1]))
    check(shown.count("\n") == 0, "the progress line is not redrawn in place: %r" % shown[-500:])

    r = subprocess.run(argv, capture_output=True, text=True)
    replay_org.check_sanitizers(r)
    check(r.returncode == 0, "exit %d: %s" % (r.returncode, r.stderr))
    check(r.stderr == "", "progress written to a pipe: %r" % r.stderr[:300])
    check(replay_org.report(r)["events"] == len(events), "report without a terminal")
    print("ok")


if __name__ == "__main__":
    main()
