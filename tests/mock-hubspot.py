#!/usr/bin/env python3
"""Loopback stand-in for the parts of HubSpot's CRM API v3 that
examples/to-hubspot uses, checking what HubSpot checks: the private
app's bearer token, JSON bodies, the shapes of a contact upsert by email,
a contact search by phone, a contact create, and a note associated with
a contact (association type 202, HUBSPOT_DEFINED) with hs_timestamp and
hs_note_body; and, for to-hubspot(1)'s generic pattern, a webhook's end
(/hooks/calsms) that takes change lines.  Contacts and notes live in memory; a note for a contact
that does not exist is a 400, as at HubSpot.

  DIR/control  {"mode": "ok" | "429" | "500" | "401" | "400", "times": N
               (then ok), "only": PATH-SUFFIX (fail only those)}
  DIR/log      one JSON line per request served: method, path, body, status

usage: mock-hubspot.py PORTFILE DIR   (token: MOCK_HUBSPOT_TOKEN)
"""
import json
import os
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler

from mock_serve import serve

TOKEN = os.environ.get("MOCK_HUBSPOT_TOKEN", "pat-na1-secret")
lock = threading.Lock()
contacts = {}   # id -> properties
notes = []
hooks = []
failed = {"n": 0}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


def control():
    try:
        with open(os.path.join(DIR, "control")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {"mode": "ok"}


def error(msg, category="VALIDATION_ERROR"):
    return {"status": "error", "message": msg, "category": category}


def props_ok(p):
    return isinstance(p, dict) and all(isinstance(v, str) for v in p.values())


def upsert(body):
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or len(inputs) != 1:
        return 400, error("inputs: one contact expected")
    i = inputs[0]
    p = i.get("properties")
    if i.get("idProperty") != "email" or not props_ok(p) or p.get("email") != i.get("id") \
            or "@" not in (i.get("id") or ""):
        return 400, error("an upsert by email: idProperty email, id the email, properties.email")
    for cid, q in contacts.items():
        if q.get("email") == i["id"]:
            q.update(p)
            return 200, {"status": "COMPLETE", "results": [{"id": cid, "new": False, "properties": q}]}
    cid = str(1000 + len(contacts))
    contacts[cid] = dict(p)
    return 200, {"status": "COMPLETE", "results": [{"id": cid, "new": True, "properties": p}]}


def search(body):
    try:
        f = body["filterGroups"][0]["filters"][0]
        assert f["propertyName"] == "phone" and f["operator"] == "EQ" and f["value"].startswith("+")
    except (KeyError, IndexError, TypeError, AssertionError, AttributeError):
        return 400, error("a search by phone: filterGroups[0].filters[0] {phone, EQ, +E.164}")
    found = [{"id": cid, "properties": q} for cid, q in contacts.items() if q.get("phone") == f["value"]]
    return 200, {"total": len(found), "results": found[:1]}


def create_contact(body):
    p = body.get("properties")
    if not props_ok(p) or not p.get("phone"):
        return 400, error("a contact needs properties with a phone")
    cid = str(1000 + len(contacts))
    contacts[cid] = dict(p)
    return 201, {"id": cid, "properties": p}


def create_note(body):
    p = body.get("properties")
    if not props_ok(p) or not ISO.match(p.get("hs_timestamp", "")) or not p.get("hs_note_body"):
        return 400, error("a note needs hs_timestamp (ISO 8601, UTC) and hs_note_body")
    a = body.get("associations")
    try:
        to = a[0]["to"]["id"]
        assert a[0]["types"] == [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}]
    except (KeyError, IndexError, TypeError, AssertionError):
        return 400, error("a note's association: to.id and types [HUBSPOT_DEFINED 202]")
    if to not in contacts:
        return 400, error("no contact " + str(to))
    notes.append({"contact": to, "properties": p})
    return 201, {"id": str(5000 + len(notes)), "properties": p}


def webhook(body):
    """a generic webhook's end, for the man page's pattern: a change line, as it is"""
    if not isinstance(body, dict) or not isinstance(body.get("seq"), int) or "changes" not in body:
        return 400, error("not a change line")
    hooks.append(body)
    return 200, {"ok": True}


ROUTES = {
    "/crm/v3/objects/contacts/batch/upsert": upsert,
    "/crm/v3/objects/contacts/search": search,
    "/crm/v3/objects/contacts": create_contact,
    "/crm/v3/objects/notes": create_note,
    "/hooks/calsms": webhook,
}
OPEN = {"/hooks/calsms"}   # no token: the generic webhook's end


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, obj, body=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        with open(os.path.join(DIR, "log"), "a") as f:
            f.write(json.dumps({"method": self.command, "path": self.path, "body": body,
                                "status": status}) + "\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n)
        with lock:
            if self.path not in OPEN and self.headers.get("Authorization") != "Bearer " + TOKEN:
                return self.answer(401, error("Authentication credentials not found.",
                                              "INVALID_AUTHENTICATION"))
            c = control()
            if c.get("mode", "ok") != "ok" and self.path.endswith(c.get("only", "")) and \
                    failed["n"] < c.get("times", 1 << 30):
                failed["n"] += 1
                return self.answer(int(c["mode"]), error("the stand-in fails this request",
                                                         "RATE_LIMITS" if c["mode"] == "429" else "ERROR"))
            if not (self.headers.get("Content-Type") or "").startswith("application/json"):
                return self.answer(415, error("Content-Type must be application/json"))
            try:
                body = json.loads(raw)
            except ValueError:
                return self.answer(400, error("the body is not JSON"))
            route = ROUTES.get(self.path)
            if route is None:
                return self.answer(404, error("no such path " + self.path, "OBJECT_NOT_FOUND"))
            status, obj = route(body)
            self.answer(status, obj, body)

    def do_GET(self):
        with lock:
            if self.path == "/_state":
                return self.answer(200, {"contacts": contacts, "notes": notes, "hooks": hooks})
        self.answer(404, error("no such path"))


if __name__ == "__main__":
    PORTFILE, DIR = sys.argv[1:3]
    serve(Handler, PORTFILE)
