"""leadrouter with a Confluent-compatible Schema Registry as the only authority
for schema ids (SPEC §5 schemas.*): the real worker, the dev broker, real
Redis and schema_registry.py (a real HTTP registry, basic auth on).

1. Ids that collide with the embedded manifest's. The registry hands out
   101.. with CallOutcome first (101 and 102 were the manifest's test-only
   LeadCreated versions: a worker that looks there first dead-letters every
   call-outcome), and in a second run 1.. so that every id names another
   record than in the manifest. Inputs are produced with the registry's ids;
   every one is applied and none dead-lettered; every lead is routed; the
   worker says which ids it writes; a consumer that knows nothing but the
   registry decodes every lead-assigned message through the id in its frame
   (the writer schema fetched from the registry, as Confluent's deserializer
   does), and that id is the registry's id of lead-assigned-value.
   Run 1 looks the output schemas up (auto_register false, the operator
   registered them); run 2 has the worker register them
   (schemas.auto_register true) and produces the leads with
   `leadrouter produce`, which must frame them with the registry's id.
   The registry password comes from ${ENV}.
2. Start-up is refused (exit non-zero, message naming the subject and
   quoting the registry) when an output schema is missing and
   auto_register is false, and when the password is wrong; with
   subject_name_strategy record_name the subjects are the record names.
3. An https:// registry with its own CA: trusted with schemas.ssl_ca_location
   (the worker registers its schemas), not without it (the worker says the
   certificate is not trusted and keeps retrying), and an unreadable CA file
   refuses start-up.
"""
import json
import os
import time

from lrfaults import free_port
from lrtest import (DLQ, SRC, TOPICS, Broker, Worker, check, consume, fail,
                    flush_namespace, lead, metric, ms, namespace, outcome,
                    produce, run, status, wait_metric)
from schema_registry import Client, SchemaRegistry, decode, encode

T = "regt"
REPS = ["r1", "r2", "r3"]
LEADS = 8
AUTH = "lr:s3cret"
AUTH_ENV = {"LR_TEST_REGISTRY_AUTH": AUTH}


def schema_text(record):
    with open(os.path.join(SRC, "schemas", record + ".avsc")) as f:
        return f.read()


def subject(record):
    return TOPICS[record] + "-value"


def worker_settings(reg, auto_register, hport):
    return {"schemas.registry_url": reg.url,
            "schemas.basic_auth_user_info": "${LR_TEST_REGISTRY_AUTH}",
            "schemas.auto_register": "true" if auto_register else "false",
            "http.listen": "127.0.0.1:%d" % hport}


def routing_run(name, base, operator_order, auto_register, noise_first=False,
                produce_cli=False):
    t0 = ms("2026-03-02T09:00")
    leads = [lead(T, "%s-L%d" % (name, i), t0 + 600000 + i * 60000, score=40 + 7 * i)
             for i in range(LEADS)]
    phase1 = [status(T, r, t0, "AVAILABLE") for r in REPS] + [
        outcome(T, "r1", "hist-1", t0 + 1000, "CONNECTED"),
        outcome(T, "r2", "hist-2", t0 + 2000, "OPPORTUNITY_CREATED"),
        outcome(T, "r2", "hist-2", t0 + 3000, "CLOSED_WON", deal=500000)]
    with SchemaRegistry(base=base, user_info=AUTH) as reg, Broker() as b:
        client = Client(reg.url, AUTH)
        ids = {}
        if noise_first:
            client.register("other-value", json.dumps(
                {"type": "record", "name": "Noise", "namespace": "com.acme", "fields": []}))
        for record in operator_order:
            ids[record] = client.register(subject(record), schema_text(record))
        ns = namespace()
        hport = free_port()
        settings = worker_settings(reg, auto_register, hport)
        w = Worker(b.bootstrap, ns, extra=settings, env=AUTH_ENV)
        try:
            with w:
                if auto_register:
                    deadline = time.time() + 30
                    while time.time() < deadline and not {
                            subject("LeadAssigned"), subject("RepTierChanged")} <= set(reg.subjects):
                        time.sleep(0.1)
                    check(subject("LeadAssigned") in reg.subjects,
                          "%s: the worker did not register lead-assigned-value\n%s" % (name, w.log()))
                    for record in ("LeadAssigned", "RepTierChanged"):
                        ids[record] = reg.subjects[subject(record)][0]
                print("%s: registry ids %s" % (name, ids))
                lrproduce(b.bootstrap, phase1, client, ids)
                wait_metric(hport, "leadrouter_events_total", len(phase1), w)
                if produce_cli:
                    lines = "".join(json.dumps({"topic": TOPICS[n], "event": ev}) + "\n"
                                    for n, ev in leads)
                    r = run(["produce", "--config", w.config] +
                            sum((["--set", "%s=%s" % (k, v)] for k, v in settings.items()
                                 if k.startswith("schemas.")), []),
                            stdin=lines, check_rc=False)
                    check(r.returncode == 0, "%s: produce failed: %s" % (name, r.stderr))
                    framed = consume(b.bootstrap, "lead-created", LEADS, decode=False)
                    frame_ids = {int.from_bytes(v[1:5], "big") for _, v, _ in framed}
                    check(frame_ids == {ids["LeadCreated"]},
                          "%s: produce framed lead-created with ids %s, registry's is %d"
                          % (name, frame_ids, ids["LeadCreated"]))
                else:
                    lrproduce(b.bootstrap, leads, client, ids)
                wait_metric(hport, "leadrouter_events_total", len(phase1) + LEADS, w)
                got = consume(b.bootstrap, "lead-assigned", LEADS, decode=False, worker=w)
                check_decisions(name, got, client, ids, {ev["lead_id"] for _, ev in leads})
                dlq = consume(b.bootstrap, DLQ, 1, timeout=3, decode=False)
                check(not dlq, "%s: dead-lettered: %s" % (name, [h for _, _, h in dlq]))
                check(metric(hport, "leadrouter_dead_letters_total") == 0,
                      "%s: dead letters counted" % name)
                log = w.log()
                check("writes LeadAssigned to lead-assigned with schema id %d (schema registry %s, "
                      "subject lead-assigned-value, %s)"
                      % (ids["LeadAssigned"], reg.url, "registered" if auto_register else "looked up")
                      in log, "%s: the log does not state the id written:\n%s" % (name, log))
                for record in ("LeadCreated", "CallOutcome", "RepStatus"):
                    n = reg.requested("GET", "/schemas/ids/%d" % ids[record], "leadrouter")
                    check(n == 1, "%s: the worker fetched schema id %d %d times (cached: once)"
                          % (name, ids[record], n))
        finally:
            flush_namespace(ns)
    print("%s: %d leads routed, decoded through registry id %d; nothing dead-lettered"
          % (name, LEADS, ids["LeadAssigned"]))


def lrproduce(bootstrap, events, client, ids):
    produce(bootstrap, events, encode=lambda rec, ev: encode(client, ids[rec], ev))


def check_decisions(name, got, client, ids, lead_ids):
    check(len(got) == LEADS, "%s: %d decisions, expected %d" % (name, len(got), LEADS))
    seen = set()
    for key, raw, _ in got:
        sid, fullname, d = decode(client, raw)
        check(sid == ids["LeadAssigned"],
              "%s: lead-assigned framed with id %d, the registry's lead-assigned-value is %d"
              % (name, sid, ids["LeadAssigned"]))
        check(fullname == "io.leadrouter.LeadAssigned", "%s: id %d is %s" % (name, sid, fullname))
        check(key == T and d["tenant_id"] == T, "%s: tenant %r" % (name, d["tenant_id"]))
        check(d["rep_id"] in REPS and d["attempt"] == 1, "%s: decision %r" % (name, d))
        check(d["event_id"] == "lc-%s#1" % d["lead_id"], "%s: event_id %s" % (name, d["event_id"]))
        seen.add(d["lead_id"])
    check(seen == lead_ids, "%s: leads routed %s, produced %s" % (name, sorted(seen), sorted(lead_ids)))


def refused(name, reg, extra, want, unwanted=()):
    w = Worker("127.0.0.1:1", namespace(), extra=extra, env=AUTH_ENV)
    w.start()
    try:
        rc = w.proc.wait(30)
    except Exception:  # noqa: BLE001 - still running is the failure
        w.stop()
        fail("%s: the worker did not refuse to start\n%s" % (name, w.log()))
    log = w.log()
    check(rc != 0, "%s: exit status %d" % (name, rc))
    for text in want:
        check(text in log, "%s: %r not in the log:\n%s" % (name, text, log))
    for text in unwanted:
        check(text not in log, "%s: %r in the log:\n%s" % (name, text, log))
    print("%s: refused (exit %d): %s" % (name, rc, [l for l in log.splitlines() if "start-up" in l]))


def start_up_checks():
    with SchemaRegistry(base=1, user_info=AUTH) as reg:
        client = Client(reg.url, AUTH)
        for record in ("LeadCreated", "CallOutcome", "RepStatus"):
            client.register(subject(record), schema_text(record))
        settings = worker_settings(reg, False, free_port())
        refused("missing output schema", reg, settings,
                ["start-up failed", "lead-assigned-value",
                 "Subject 'lead-assigned-value' not found.", "40401",
                 "schemas.auto_register"])
        bad = dict(settings, **{"schemas.basic_auth_user_info": "lr:wrong"})
        refused("wrong password", reg, bad, ["start-up failed", "HTTP 401", "Unauthorized"],
                unwanted=["auto_register"])

        # record_name strategy, auto-registered: subjects are record names
        settings = dict(worker_settings(reg, True, free_port()),
                        **{"schemas.subject_name_strategy": "record_name"})
        w = Worker("127.0.0.1:1", namespace(), extra=settings, env=AUTH_ENV)
        with w:
            deadline = time.time() + 30
            while time.time() < deadline and "io.leadrouter.RepTierChanged" not in reg.subjects:
                time.sleep(0.1)
        check({"io.leadrouter.LeadAssigned", "io.leadrouter.RepTierChanged"} <= set(reg.subjects),
              "record_name: subjects %s\n%s" % (sorted(reg.subjects), w.log()))
        print("record_name strategy: subjects %s" % sorted(reg.subjects))


def wait_subjects(reg, subjects, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline and not set(subjects) <= set(reg.subjects):
        time.sleep(0.1)
    return set(subjects) <= set(reg.subjects)


def tls_checks():
    with SchemaRegistry(base=1, user_info=AUTH, tls=True) as reg:
        client = Client(reg.url, AUTH, ca_file=reg.ca_file)
        for record in ("LeadCreated", "CallOutcome", "RepStatus"):
            client.register(subject(record), schema_text(record))
        settings = worker_settings(reg, True, free_port())
        untrusted = Worker("127.0.0.1:1", namespace(), extra=settings, env=AUTH_ENV)
        with untrusted:
            deadline = time.time() + 20
            while time.time() < deadline and "retrying" not in untrusted.log():
                time.sleep(0.1)
            log = untrusted.log()
            check("certificate" in log and "retrying" in log and untrusted.proc.poll() is None,
                  "https without the CA: %s" % log)
        check(subject("LeadAssigned") not in reg.subjects, "registered over untrusted TLS")
        trusted = Worker("127.0.0.1:1", namespace(),
                         extra=dict(settings, **{"schemas.ssl_ca_location": reg.ca_file}),
                         env=AUTH_ENV)
        with trusted:
            ok = wait_subjects(reg, [subject("LeadAssigned"), subject("RepTierChanged")])
        check(ok, "https with schemas.ssl_ca_location: not registered\n%s" % trusted.log())
        refused("unreadable CA file", reg,
                dict(settings, **{"schemas.ssl_ca_location": "/nonexistent/ca.pem"}),
                ["start-up failed", "CA file /nonexistent/ca.pem cannot be read"])
    print("https registry: trusted with schemas.ssl_ca_location, refused without")


def main():
    os.environ.update(AUTH_ENV)  # for `leadrouter produce` too
    start_up_checks()
    tls_checks()
    routing_run("ids-from-101", 101,
                ["CallOutcome", "LeadCreated", "RepStatus", "LeadAssigned", "RepTierChanged"],
                auto_register=False)
    routing_run("ids-from-1", 1, ["RepStatus", "CallOutcome", "LeadCreated"],
                auto_register=True, noise_first=True, produce_cli=True)
    print("ok")


if __name__ == "__main__":
    main()
