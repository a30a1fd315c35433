#!/usr/bin/env python3
"""What a developer writes instead of calsms's webhook: a threaded Python
server that checks Calendly's signature (HMAC-SHA256 of "t.body" with
CALENDLY_SIGNING_KEY, compared in constant time), takes the booking's id
and phone, and inserts it into sqlite (WAL, synchronous=FULL: committed
and synced before the 200), a 401 for a bad signature.  One process for
all requests, a thread each, nothing started per request: the baseline
the bench sets calsms beside.

usage: pyhook.py PORT DB
"""
import hashlib
import hmac
import http.server
import json
import os
import sqlite3
import sys
import threading

KEY = os.environ["CALENDLY_SIGNING_KEY"].encode()
PORT, DB = int(sys.argv[1]), sys.argv[2]
local = threading.local()


def db():
    if not hasattr(local, "db"):
        local.db = sqlite3.connect(DB, timeout=30)
        local.db.execute("PRAGMA journal_mode=WAL")
        local.db.execute("PRAGMA synchronous=FULL")
    return local.db


def verified(head, body):
    parts = dict(p.split("=", 1) for p in head.split(",") if "=" in p)
    mac = hmac.new(KEY, parts.get("t", "").encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), parts.get("v1", ""))


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers.get("Calendly-Webhook-Signature", ""), body):
            return self.answer(401)
        p = json.loads(body)["payload"]
        with db() as c:
            c.execute("INSERT OR IGNORE INTO conv VALUES (?, ?, 'pending', ?, ?)",
                      (p["uri"].rsplit("/", 1)[-1], p.get("text_reminder_number"),
                       p.get("created_at"), body.decode()))
        self.answer(200)

    def answer(self, code):
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


c = sqlite3.connect(DB)
c.execute("PRAGMA journal_mode=WAL")
c.execute("CREATE TABLE IF NOT EXISTS conv (id TEXT PRIMARY KEY, phone TEXT, status TEXT, "
          "created TEXT, data TEXT)")
c.execute("CREATE INDEX IF NOT EXISTS by_phone ON conv (phone, created)")
c.execute("CREATE INDEX IF NOT EXISTS by_status ON conv (status, created)")
c.commit()
c.close()
http.server.ThreadingHTTPServer.request_queue_size = 256
http.server.ThreadingHTTPServer(("127.0.0.1", PORT), Hook).serve_forever()
