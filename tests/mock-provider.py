#!/usr/bin/env python3
"""Loopback mock of Twilio, AWS SNS and AWS End User Messaging for tests.

It checks what the real services check: Twilio's basic auth, and the AWS
SigV4 signature, recomputed here independently of sms-send.  Every request
is appended to LOG as one JSON line, with how many requests were in
flight when it arrived.  CONTROL, a JSON file read on every
request, says how to answer: {"mode": "ok" | "429" | "500" | "503" |
"400" | "404" | "hang" | "slow" | "drop", "times": N (then ok),
"retry_after": S, "code": C, "message": M, "status": S, "delay": S}.
"drop" reads the whole request, then closes the connection without a
word; "drop-second" does that to the second request of each kept-alive
connection and answers the others; "503" answers with Retry-After.  Each logged request says the
mode it was answered in.  MOCK_PORT binds that port instead of any free
one, so a test can take the provider down and bring it back.

usage: mock-provider.py PORTFILE LOG CONTROL
"""
import hashlib
import hmac
import json
import os
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORTFILE, LOG, CONTROL = sys.argv[1:4]
SID = os.environ.get("MOCK_TWILIO_SID", "AC123")
TOKEN = os.environ.get("MOCK_TWILIO_TOKEN", "secret-token")
AWS_KEY = os.environ.get("MOCK_AWS_KEY", "AKIDMOCK")
AWS_SECRET = os.environ.get("MOCK_AWS_SECRET", "mock-secret-key")
lock = threading.Lock()
served = {"n": 0, "inflight": 0}


def control():
    try:
        with open(CONTROL) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "ok"}


def sigv4_ok(method, path, query, headers, body):
    auth = headers.get("Authorization", "")
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return False
    parts = dict(p.strip().split("=", 1) for p in auth[17:].split(","))
    key, date, region, service, _ = parts["Credential"].split("/")
    if key != AWS_KEY:
        return False
    names = parts["SignedHeaders"].split(";")
    canon_headers = "".join("%s:%s\n" % (n, " ".join(headers.get(n, "").split())) for n in names)
    q = sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
    canon_query = "&".join("%s=%s" % (urllib.parse.quote(k, safe="-_.~"), urllib.parse.quote(v, safe="-_.~")) for k, v in q)
    request = "\n".join([method, path, canon_query, canon_headers, ";".join(names),
                         hashlib.sha256(body).hexdigest()])
    amzdate = headers.get("X-Amz-Date", "")
    scope = "/".join([date, region, service, "aws4_request"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amzdate, scope, hashlib.sha256(request.encode()).hexdigest()])
    k = ("AWS4" + AWS_SECRET).encode()
    for part in (date, region, service, "aws4_request"):
        k = hmac.new(k, part.encode(), hashlib.sha256).digest()
    want = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(want, parts.get("Signature", ""))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        # one write per answer and no Nagle: no delayed-ACK stalls on keep-alive
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def answer(self, status, body, ctype="application/json", extra=None):
        data = body.encode()
        head = ["HTTP/1.1 %d %s" % (status, self.responses.get(status, ("",))[0]),
                "Content-Type: " + ctype, "Content-Length: %d" % len(data)]
        head += ["%s: %s" % kv for kv in (extra or {}).items()]
        self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.on_connection = getattr(self, "on_connection", 0) + 1
        url = urllib.parse.urlsplit(self.path)
        kind = "twilio" if url.path.startswith("/2010-04-01/") else (
            "eum" if self.headers.get("X-Amz-Target") else "sns")
        ctl = control()
        mode = ctl.get("mode", "ok")
        with lock:
            served["n"] += 1
            served["inflight"] += 1
            n = served["n"]
            if ctl.get("times") is not None and n > ctl["times"]:
                mode = "ok"
            if mode == "drop-second":
                mode = "drop" if self.on_connection == 2 else "ok"
            rec = {"t": time.time(), "n": n, "mode": mode, "on_connection": self.on_connection, "inflight": served["inflight"], "kind": kind, "path": url.path,
                   "headers": {k.lower(): v for k, v in self.headers.items()}}
            if kind == "eum":
                rec["json"] = json.loads(body or b"{}")
            else:
                rec["form"] = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            with open(LOG, "a") as f:
                f.write(json.dumps(rec) + "\n")
        try:
            self.respond(kind, url, body, ctl, n, mode)
        finally:
            with lock:
                served["inflight"] -= 1

    def respond(self, kind, url, body, ctl, n, mode):
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "404":
            return self.answer(404, json.dumps({"code": 20404, "message": "The requested resource was not found", "status": 404}))
        if mode == "slow" or ctl.get("delay"):
            time.sleep(ctl.get("delay", 0.3))
        if kind == "twilio":
            return self.twilio(url, mode, ctl, n)
        if not sigv4_ok("POST", url.path or "/", url.query, self.headers, body):
            if kind == "sns":
                return self.answer(403, "<ErrorResponse><Error><Type>Sender</Type><Code>SignatureDoesNotMatch</Code><Message>bad signature</Message></Error></ErrorResponse>", "text/xml")
            return self.answer(403, json.dumps({"__type": "com.amazon.coral#InvalidSignatureException", "message": "bad signature"}))
        return self.sns(mode, ctl, n) if kind == "sns" else self.eum(mode, ctl, n)

    def twilio(self, url, mode, ctl, n):
        import base64
        auth = self.headers.get("Authorization", "")
        good = "Basic " + base64.b64encode(("%s:%s" % (SID, TOKEN)).encode()).decode()
        if url.path != "/2010-04-01/Accounts/%s/Messages.json" % SID or not hmac.compare_digest(auth, good):
            return self.answer(401, json.dumps({"code": 20003, "message": "Authenticate", "status": 401}))
        if mode == "429":
            return self.answer(429, json.dumps({"code": 20429, "message": "Too Many Requests", "status": 429}),
                               extra={"Retry-After": str(ctl.get("retry_after", 1))})
        if mode == "500":
            return self.answer(500, json.dumps({"code": 20500, "message": "Internal Server Error", "status": 500}))
        if mode == "503":
            return self.answer(503, json.dumps({"code": 20503, "message": "Service Unavailable", "status": 503}),
                               extra={"Retry-After": str(ctl.get("retry_after", 1))})
        if mode == "400":
            code = ctl.get("code", 21211)
            return self.answer(400, json.dumps({"code": code, "message": "The 'To' number is not valid", "status": 400}))
        return self.answer(201, json.dumps({"sid": "SM%032d" % n, "status": "queued", "error_code": None}))

    def sns(self, mode, ctl, n):
        def err(status, code, extra=None):
            msg = ctl.get("message", code + " failed")
            return self.answer(status, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r%d</RequestId></ErrorResponse>" % (code, msg, n), "text/xml", extra)
        if mode == "429":
            return err(429, "Throttling", {"Retry-After": str(ctl.get("retry_after", 1))})
        if mode == "500":
            return err(500, "InternalError")
        if mode == "503":
            return err(503, "ServiceUnavailable", {"Retry-After": str(ctl.get("retry_after", 1))})
        if mode == "400":
            return err(ctl.get("status", 400), ctl.get("code", "InvalidParameter"))
        return self.answer(200, "<PublishResponse><PublishResult><MessageId>mid-%d</MessageId></PublishResult><ResponseMetadata><RequestId>r%d</RequestId></ResponseMetadata></PublishResponse>" % (n, n), "text/xml")

    def eum(self, mode, ctl, n):
        def err(status, code):
            return self.answer(status, json.dumps({"__type": "com.amazonaws.pinpointsmsvoicev2#" + code,
                                                   "message": ctl.get("message", code)}))
        if mode == "429":
            return err(400, "ThrottlingException")
        if mode == "500":
            return err(500, "InternalServerException")
        if mode == "400":
            return err(400, ctl.get("code", "ValidationException"))
        return self.answer(200, json.dumps({"MessageId": "eum-%d" % n}))


ThreadingHTTPServer.allow_reuse_address = True
server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("MOCK_PORT", "0"))), Handler)
server.daemon_threads = True
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(PORTFILE + ".tmp", PORTFILE)
deadline = time.time() + float(os.environ.get("MOCK_LIFETIME", "300"))
server.timeout = 0.5
while time.time() < deadline:
    server.handle_request()
