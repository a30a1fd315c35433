#!/usr/bin/env python3
"""Loopback mock of the parts of Calendly's API v2 that cal-sync uses.

It checks what Calendly checks: the bearer token, the organization and
user of every list, the body of a new webhook subscription.  State lives
in DIR, read on every request, so a test can change it while the mock
runs:

  DIR/data.json   {"events": [scheduled events], "invitees": {uuid: [...]}}
  DIR/subs.json   the webhook subscriptions, with the signing key each
                  was created with (written by the mock)
  DIR/control     {"mode": "ok" | "429" | "500" | "401" | "403" | "slow",
                   "times": N (then ok), "retry_after": S, "reset": S,
                   "delay": S, "page": N (largest page served),
                   "only": METHOD (fail only requests of this method)}
  DIR/log         one JSON line per request: method, path, query, body

usage: mock-calendly.py PORTFILE DIR
       mock-calendly.py --data WEBHOOK.json...   (prints a data.json)
       mock-calendly.py --generate N [START]      (N bookings, one each)
"""
import base64
import json
import os
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler

from mock_serve import serve

API = "https://api.calendly.com"
USER = API + "/users/HOST000000000001"
ORG = API + "/organizations/ORG0000000000001"
TOKEN = os.environ.get("MOCK_CALENDLY_TOKEN", "pat-secret")
lock = threading.Lock()


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return default


cache = {}


def load_cached(path, default):
    """load, parsed again only when the file changed: data.json can be large"""
    try:
        st = os.stat(path)
    except OSError:
        return default
    key = (st.st_mtime_ns, st.st_size)
    if cache.get(path, (None,))[0] != key:
        cache[path] = (key, load(path, default))
    return cache[path][1]


def save(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f)
    os.replace(tmp, path)


def split(webhooks):
    """Webhook bodies into the API's events and invitees."""
    data = {"events": [], "invitees": {}}
    seen = {}
    for body in webhooks:
        payload = dict(body["payload"])
        event = payload.pop("scheduled_event")
        uuid = event["uri"].rsplit("/", 1)[1]
        if uuid not in seen:
            seen[uuid] = event
            data["events"].append(event)
        else:
            seen[uuid].update(event)
        invitees = data["invitees"].setdefault(uuid, [])
        invitees[:] = [i for i in invitees if i["uri"] != payload["uri"]]
        invitees.append(payload)
    return data


def generate(n, start):
    """n one-to-one bookings, an hour apart from start, each with a phone."""
    data = {"events": [], "invitees": {}}
    t0 = time.mktime(time.strptime(start, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone
    for i in range(n):
        uuid = "GEN%013d" % i
        at = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(t0 + 3600 * i))
        end = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(t0 + 3600 * i + 1800))
        event = {"uri": API + "/scheduled_events/" + uuid, "name": "30 Minute Consultation",
                 "status": "active", "start_time": at, "end_time": end,
                 "event_type": API + "/event_types/ETYPE0000000001",
                 "location": {"type": "physical", "location": "12 Harbour St"},
                 "invitees_counter": {"total": 1, "active": 1, "limit": 1},
                 "created_at": "2025-11-24T15:00:00.000000Z",
                 "updated_at": "2025-11-24T15:00:00.000000Z",
                 "event_memberships": [{"user": USER, "user_email": "host@example.org",
                                        "user_name": "Dana Host"}],
                 "event_guests": []}
        inv = "INVG%012d" % i
        invitee = {"uri": event["uri"] + "/invitees/" + inv, "email": "c%d@example.org" % i,
                   "name": "Customer %d" % i, "first_name": "Customer", "last_name": str(i),
                   "status": "active", "timezone": "America/New_York",
                   "event": event["uri"], "created_at": "2025-11-24T15:00:00.000000Z",
                   "updated_at": "2025-11-24T15:00:00.000000Z",
                   "questions_and_answers": [], "text_reminder_number": "+1 404-555-%04d" % (i % 10000),
                   "rescheduled": False, "old_invitee": None, "new_invitee": None,
                   "cancel_url": "https://calendly.com/cancellations/" + inv,
                   "reschedule_url": "https://calendly.com/reschedulings/" + inv,
                   "tracking": {}, "payment": None, "no_show": None, "reconfirmation": None}
        data["events"].append(event)
        data["invitees"][uuid] = [invitee]
    return data


def page(items, query, limit):
    count = min(int(query.get("count", "20")), 100, limit)
    offset = 0
    if "page_token" in query:
        offset = int(base64.urlsafe_b64decode(query["page_token"]).decode())
    chunk = items[offset:offset + count]
    more = offset + count < len(items)
    token = base64.urlsafe_b64encode(str(offset + count).encode()).decode() if more else None
    return {"collection": chunk, "pagination": {
        "count": len(chunk), "next_page": None, "previous_page": None,
        "next_page_token": token, "previous_page_token": None}}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # head and body in one write: two small writes meet delayed ACKs and
    # cost 40 ms a request on a kept-alive connection
    wbufsize = -1

    def log_message(self, *args):
        pass

    def answer(self, code, doc=None, headers=()):
        body = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(code)
        for k, v in headers:
            self.send_header(k, v)
        if doc is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, title, message):
        self.answer(code, {"title": title, "message": message})

    def control(self, method):
        """The failure the control file asks for, counted down."""
        path = os.path.join(DIR, "control")
        c = load(path, {"mode": "ok"})
        mode = c.get("mode", "ok")
        if mode == "ok" or c.get("only", method) != method:
            return {"mode": "ok", "page": c.get("page", 100)}
        if "times" in c:
            if c["times"] <= 0:
                return {"mode": "ok", "page": c.get("page", 100)}
            c["times"] -= 1
            save(path, c)
        return c

    def handle_any(self, method):
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with lock:
            with open(os.path.join(DIR, "log"), "a") as f:
                f.write(json.dumps({"method": method, "path": url.path, "query": query,
                                    "body": raw.decode("utf-8", "replace")}) + "\n")
            c = self.control(method)
        mode = c.get("mode", "ok")
        if self.headers.get("Authorization") != "Bearer " + TOKEN or mode == "401":
            return self.error(401, "Unauthenticated", "The access token is invalid")
        if mode == "429":
            headers = [("X-RateLimit-Limit", "120"), ("X-RateLimit-Remaining", "0")]
            headers.append(("X-RateLimit-Reset", str(c.get("reset", c.get("retry_after", 1)))))
            return self.answer(429, {"title": "Too Many Requests",
                                     "message": "You have exceeded the rate limit"}, headers)
        if mode == "500":
            return self.error(500, "Internal Server Error", "Something went wrong")
        if mode == "slow":
            time.sleep(c.get("delay", 5))
        limit = c.get("page", 100)
        with lock:
            return self.route(method, url.path, query, raw, mode, limit)

    def route(self, method, path, query, raw, mode, limit):
        parts = path.strip("/").split("/")
        if method == "GET" and path == "/users/me":
            return self.answer(200, {"resource": {
                "uri": USER, "name": "Dana Host", "email": "host@example.org",
                "current_organization": ORG, "timezone": "America/New_York"}})
        if parts[0] == "webhook_subscriptions":
            return self.subscriptions(method, parts, query, raw, mode, limit)
        if method == "GET" and parts[0] == "scheduled_events":
            return self.scheduled(parts, query, limit)
        return self.error(404, "Resource Not Found", "The server could not find the requested resource.")

    def scope_ok(self, query):
        if query.get("organization") and query["organization"] != ORG:
            return self.error(403, "Permission Denied", "You do not have permission")
        if query.get("user") and query["user"] != USER:
            return self.error(403, "Permission Denied", "You do not have permission")
        return True

    def subscriptions(self, method, parts, query, raw, mode, limit):
        path = os.path.join(DIR, "subs.json")
        subs = load(path, [])
        if method == "GET" and len(parts) == 1:
            if "organization" not in query or query.get("scope") not in ("user", "organization"):
                return self.error(400, "Invalid Argument", "organization and scope are required")
            if query["scope"] == "user" and "user" not in query:
                return self.error(400, "Invalid Argument", "user is required for user scope")
            if self.scope_ok(query) is not True:
                return
            shown = [{k: v for k, v in s.items() if k != "signing_key"} for s in subs
                     if s["scope"] == query["scope"]]
            return self.answer(200, page(shown, query, limit))
        if method == "POST" and len(parts) == 1:
            if mode == "403":
                return self.error(403, "Permission Denied",
                                  "Please upgrade your Calendly account to Standard")
            try:
                body = json.loads(raw)
            except ValueError:
                return self.error(400, "Invalid Argument", "The body is not JSON")
            need = ["url", "events", "organization", "scope"]
            if body.get("scope") == "user":
                need.append("user")
            missing = [k for k in need if not body.get(k)]
            if missing or not str(body["url"]).startswith(("http://", "https://")):
                return self.error(400, "Invalid Argument", "missing or bad: %s" % missing)
            if not set(body["events"]) <= {"invitee.created", "invitee.canceled"}:
                return self.error(400, "Invalid Argument", "unknown events")
            if body["organization"] != ORG or body.get("user", USER) != USER:
                return self.error(403, "Permission Denied", "You do not have permission")
            if any(s["callback_url"] == body["url"] for s in subs):
                return self.error(409, "Already Exists", "Hook with this url already exists")
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
            sub = {"uri": API + "/webhook_subscriptions/SUB%012d" % (len(subs) + 1 + int(time.time() * 1000) % 100000),
                   "callback_url": body["url"], "created_at": now, "updated_at": now,
                   "retry_started_at": None, "state": "active", "events": body["events"],
                   "scope": body["scope"], "organization": ORG,
                   "user": USER if body["scope"] == "user" else None, "creator": USER,
                   "signing_key": body.get("signing_key")}
            subs.append(sub)
            save(path, subs)
            return self.answer(201, {"resource": {k: v for k, v in sub.items() if k != "signing_key"}})
        if method == "DELETE" and len(parts) == 2:
            kept = [s for s in subs if not s["uri"].endswith("/" + parts[1])]
            if len(kept) == len(subs):
                return self.error(404, "Resource Not Found", "The server could not find the requested resource.")
            save(path, kept)
            return self.answer(204)
        return self.error(404, "Resource Not Found", "The server could not find the requested resource.")

    def scheduled(self, parts, query, limit):
        data = load_cached(os.path.join(DIR, "data.json"), {"events": [], "invitees": {}})
        if len(parts) == 1:
            if not query.get("user") and not query.get("organization"):
                return self.error(400, "Invalid Argument", "user or organization is required")
            if self.scope_ok(query) is not True:
                return
            events = data["events"]
            if "min_start_time" in query:
                events = [e for e in events if e["start_time"][:19] >= query["min_start_time"][:19]]
            if "max_start_time" in query:
                events = [e for e in events if e["start_time"][:19] < query["max_start_time"][:19]]
            if "status" in query:
                events = [e for e in events if e["status"] == query["status"]]
            events = sorted(events, key=lambda e: e["start_time"])
            return self.answer(200, page(events, query, limit))
        if len(parts) == 3 and parts[2] == "invitees":
            if parts[1] not in data["invitees"]:
                return self.error(404, "Resource Not Found", "The server could not find the requested resource.")
            invitees = data["invitees"][parts[1]]
            if "status" in query:
                invitees = [i for i in invitees if i["status"] == query["status"]]
            return self.answer(200, page(invitees, query, limit))
        return self.error(404, "Resource Not Found", "The server could not find the requested resource.")

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")


if __name__ == "__main__":
    if sys.argv[1] == "--data":
        print(json.dumps(split([json.load(open(p)) for p in sys.argv[2:]])))
        sys.exit(0)
    if sys.argv[1] == "--generate":
        start = sys.argv[3] if len(sys.argv) > 3 else "2025-11-26T09:00:00Z"
        print(json.dumps(generate(int(sys.argv[2]), start)))
        sys.exit(0)
    PORTFILE, DIR = sys.argv[1:3]
    serve(Handler, PORTFILE)
