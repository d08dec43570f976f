"""A small but real Confluent-compatible Schema Registry for the tests.

An HTTP server (Python's http.server, in a thread of the test process) that
answers the part of Confluent's REST API that serializers and leadrouter use,
the way Confluent's registry does:

  POST /subjects/<s>/versions   register a schema under subject s -> {"id"}
  POST /subjects/<s>            look a schema up under s -> {"subject", "id",
                                "version", "schema"}; 404 40401 (no such
                                subject) or 40403 (schema not under it)
  GET  /schemas/ids/<id>        the schema of an id -> {"schema"}; 404 40403
  GET  /subjects                the subjects
  GET  /subjects/<s>/versions   the versions of a subject

Ids are global, as in Confluent's registry: one id per distinct schema
(compared in a canonical JSON form), whatever the subject, assigned in
registration order from a chosen base, so that a test can make the ids
collide with the ones of leadrouter's embedded manifest. With basic auth
configured every request needs it (401 otherwise). With tls=True it serves
https:// with a certificate for 127.0.0.1 signed by nobody (self-signed,
made with the openssl command): its file is the CA a client must trust. Every request is logged, with its
User-Agent.

Also a client side: register()/lookup() as an operator would, and a serde
that frames Avro the Confluent way and decodes a message only through the id
in its frame, fetching the writer schema from the registry, as Confluent's
deserializer does.
"""
import base64
import io
import json
import os
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import avro.io
import avro.schema

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


def canonical(schema_text):
    return json.dumps(json.loads(schema_text), sort_keys=True, separators=(",", ":"))


class _Handler(BaseHTTPRequestHandler):
    server_version = "lrtest-schema-registry/1"

    def log_message(self, *a):
        pass

    def _answer(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _error(self, code, error_code, message):
        self._answer(code, {"error_code": error_code, "message": message})

    def _authorized(self):
        reg = self.server.registry
        if not reg.user_info:
            return True
        want = "Basic " + base64.b64encode(reg.user_info.encode()).decode()
        return self.headers.get("Authorization") == want

    def _route(self, method):
        reg = self.server.registry
        body = b""
        if method == "POST":
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with reg.lock:
            reg.requests.append((method, self.path, self.headers.get("User-Agent", "")))
        if not self._authorized():
            return self._error(401, 401, "Unauthorized")
        parts = [urllib.parse.unquote(p) for p in self.path.split("?")[0].split("/")[1:]]
        if method == "GET" and len(parts) == 3 and parts[:2] == ["schemas", "ids"]:
            text = reg.schema_of(parts[2])
            if text is None:
                return self._error(404, 40403, "Schema %s not found" % parts[2])
            return self._answer(200, {"schema": text})
        if method == "GET" and parts == ["subjects"]:
            return self._answer(200, sorted(reg.subjects))
        if method == "GET" and len(parts) == 3 and parts[0] == "subjects" and parts[2] == "versions":
            if parts[1] not in reg.subjects:
                return self._error(404, 40401, "Subject '%s' not found." % parts[1])
            return self._answer(200, list(range(1, len(reg.subjects[parts[1]]) + 1)))
        if method == "POST" and parts and parts[0] == "subjects" and len(parts) in (2, 3):
            try:
                req = json.loads(body)
                text = req["schema"]
                if req.get("schemaType", "AVRO") != "AVRO":
                    raise ValueError("only AVRO")
                avro.schema.parse(text)
            except Exception as e:  # noqa: BLE001 - any bad input is a 422
                return self._error(422, 42201, "Invalid schema: %s" % e)
            subject = parts[1]
            if len(parts) == 3 and parts[2] == "versions":
                return self._answer(200, {"id": reg.register(subject, text)})
            if len(parts) == 2:
                found = reg.lookup(subject, text)
                if found == "no subject":
                    return self._error(404, 40401, "Subject '%s' not found." % subject)
                if found is None:
                    return self._error(404, 40403, "Schema not found")
                sid, version = found
                return self._answer(200, {"subject": subject, "id": sid, "version": version,
                                          "schema": reg.schema_of(sid)})
        return self._error(404, 404, "HTTP 404 Not Found")

    def do_GET(self):
        self._route("GET")

    def do_POST(self):
        self._route("POST")


class SchemaRegistry:
    """The registry, serving on a free loopback port until stopped (use it as
    a context manager). base: the first id it hands out; user_info
    "user:password" turns basic auth on."""

    def __init__(self, base=1, user_info=None, tls=False):
        self.next_id = base
        self.user_info = user_info
        self.lock = threading.Lock()
        self.ids = {}        # canonical schema -> id
        self.texts = {}      # id -> schema text as first registered
        self.subjects = {}   # subject -> [id, ...] (versions in order)
        self.requests = []   # (method, path, user agent)
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.registry = self
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.dir = self.ca_file = None
        if tls:
            self.dir = tempfile.mkdtemp(prefix="lrregistry-")
            self.ca_file = os.path.join(self.dir, "cert.pem")
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", self.ca_file, "-days", "2",
                            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                           check=True, capture_output=True)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.ca_file, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            self.url = "https://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    # -- server state ------------------------------------------------------
    def register(self, subject, text):
        with self.lock:
            key = canonical(text)
            if key not in self.ids:
                self.ids[key] = self.next_id
                self.texts[self.next_id] = text
                self.next_id += 1
            sid = self.ids[key]
            versions = self.subjects.setdefault(subject, [])
            if sid not in versions:
                versions.append(sid)
            return sid

    def lookup(self, subject, text):
        with self.lock:
            if subject not in self.subjects:
                return "no subject"
            sid = self.ids.get(canonical(text))
            if sid is None or sid not in self.subjects[subject]:
                return None
            return sid, self.subjects[subject].index(sid) + 1

    def schema_of(self, sid):
        try:
            return self.texts.get(int(sid))
        except ValueError:
            return None

    def requested(self, method, path, agent=None):
        """How many such requests came (from user agent `agent` only,
        e.g. "leadrouter")."""
        with self.lock:
            return sum(1 for r in self.requests
                       if r[:2] == (method, path) and agent in (None, r[2]))

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


class Client:
    """Talks to a registry over HTTP, as an operator or a Confluent client."""

    def __init__(self, url, user_info=None, ca_file=None):
        self.url = url.rstrip("/")
        self.user_info = user_info
        self.context = ssl.create_default_context(cafile=ca_file) if ca_file else None
        self.cache = {}

    def _call(self, path, body=None):
        req = urllib.request.Request(self.url + path,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": CONTENT_TYPE})
        if self.user_info:
            req.add_header("Authorization",
                           "Basic " + base64.b64encode(self.user_info.encode()).decode())
        with urllib.request.urlopen(req, timeout=10, context=self.context) as r:
            return json.loads(r.read())

    def register(self, subject, schema_text):
        return self._call("/subjects/%s/versions" % urllib.parse.quote(subject, safe=""),
                          {"schema": schema_text})["id"]

    def subjects(self):
        return self._call("/subjects")

    def schema(self, sid):
        """The writer schema of id, parsed as Confluent's deserializer would
        (logical types kept), fetched once."""
        if sid not in self.cache:
            self.cache[sid] = avro.schema.parse(self._call("/schemas/ids/%d" % sid)["schema"])
        return self.cache[sid]


def _plain(node):
    """A schema's JSON without logical types: timestamps as epoch-ms longs
    (the same bytes on the wire)."""
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items() if k != "logicalType"}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def encode(client, sid, value):
    """value (timestamps as epoch ms) in the Confluent frame with schema id
    sid, written with the registry's schema of sid."""
    schema = avro.schema.parse(json.dumps(_plain(client.schema(sid).to_json())))
    buf = io.BytesIO()
    buf.write(struct.pack(">bI", 0, sid))
    avro.io.DatumWriter(schema).write(value, avro.io.BinaryEncoder(buf))
    return buf.getvalue()


def decode(client, data):
    """(schema id, record full name, value) of a Confluent-framed message,
    read only through the id in its frame, as Confluent's deserializer does."""
    magic, sid = struct.unpack(">bI", data[:5])
    if magic != 0:
        raise ValueError("not Confluent-framed: magic byte %d" % magic)
    schema = client.schema(sid)
    value = avro.io.DatumReader(schema).read(avro.io.BinaryDecoder(io.BytesIO(data[5:])))
    return sid, schema.fullname, value
