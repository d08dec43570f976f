"""`leadrouter state export` / `state import` (issue 9): a tenant's stored
state moved to another namespace comes back key for key.

1. A tenant's state is made by `simulate --keep` (the routing core written
   through Redis every simulated day) and exported.
2. Imported into a second namespace under another tenant id: exporting it
   from there gives the same keys and items (but the epoch of the source's
   last claim), and the summary (reps, queue, ranking day) is the same.
3. Importing over a tenant that has state is refused (exit status 1, the
   message says so) and changes nothing; with --replace it succeeds.
4. A file that is not a state export is refused with a message.
"""
import json

from lrtest import REDIS_URL, check, namespace, redis_client, run


def export(ns, tenant):
    r = run(["state", "export", "--tenant", tenant, "--set", "redis.url=" + REDIS_URL,
             "--set", "redis.namespace=" + ns])
    return json.loads(r.stdout)


def import_(ns, text, *extra, check_rc=True):
    return run(["state", "import", "--set", "redis.url=" + REDIS_URL,
                "--set", "redis.namespace=" + ns] + list(extra), stdin=text, check_rc=check_rc)


def main():
    ns = namespace()
    src_ns, dst_ns = ns + "-sim-ranked-1", ns + "-copy"
    r = redis_client()
    try:
        run(["simulate", "--strategies", "ranked", "--reps", "6", "--days", "5", "--seed", "1",
             "--keep", "--set", "redis.url=" + REDIS_URL, "--set", "redis.namespace=" + ns])
        a = export(src_ns, "sim")
        check(a["format"] == "leadrouter-state" and a["tenant_id"] == "sim", "export header")
        check(len(a["summary"]["reps"]) == 6, "summary reps: %r" % a["summary"]["reps"])
        check(len(a["keys"]["dec"]["items"]) > 100, "few decisions exported")
        text = json.dumps(a)

        import_(dst_ns, text, "--tenant", "copy")
        b = export(dst_ns, "copy")
        check(sorted(a["keys"]) == sorted(b["keys"]),
              "keys differ: %r vs %r" % (sorted(a["keys"]), sorted(b["keys"])))
        for k in a["keys"]:
            # the claim of the source namespace does not travel: any
            # worker of the destination may claim the tenant (epoch 0)
            items = [sorted(tuple(i) for i in x["keys"][k]["items"]
                            if not (k == "meta" and i[0] == "epoch")) for x in (a, b)]
            check(a["keys"][k]["type"] == b["keys"][k]["type"] and items[0] == items[1],
                  "key %s differs" % k)
        check(a["summary"] == b["summary"], "summaries differ:\n%r\n%r" % (a["summary"], b["summary"]))

        before = r.hgetall(dst_ns + ":{copy}:meta")
        again = import_(dst_ns, text, "--tenant", "copy", check_rc=False)
        check(again.returncode == 1 and "--replace" in again.stderr,
              "import over existing state: rc %d, %r" % (again.returncode, again.stderr))
        check(r.hgetall(dst_ns + ":{copy}:meta") == before, "a refused import changed the state")
        import_(dst_ns, text, "--tenant", "copy", "--replace")
        check(export(dst_ns, "copy")["keys"] == b["keys"], "--replace changed what was imported")

        bad = import_(dst_ns, '{"format": "something-else"}', "--tenant", "x", check_rc=False)
        check(bad.returncode != 0 and bad.stderr.strip(), "a foreign file was accepted")
        print("  export/import: %d keys, %d decisions moved, re-import refused without --replace"
              % (len(a["keys"]), len(a["keys"]["dec"]["items"])))
    finally:
        for pattern in (ns + "*",):
            for k in r.scan_iter(match=pattern, count=1000):
                r.delete(k)
    print("state: a tenant's state exported, imported elsewhere and exported again, identical")


if __name__ == "__main__":
    main()
