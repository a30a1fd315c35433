#!/usr/bin/env python3
"""Bench data: conversation records for conv-store load, appointments for
add, and the same rows as SQL for the sqlite3 baseline.

usage: gen.py conv N DUE   (N conversations, DUE of them pending and due,
                            100 awaiting_reply, the rest replied; booked
                            one every 90 s up to 2025-11-24T16:00:00Z)
       gen.py appt N       (N appointments)
       gen.py sql N        (SQL inserts of N rows in one transaction)

Python (standard library only, already needed for the provider mock):
jq 1.6 takes minutes to write a million records; this takes seconds.
"""
import json
import sys
import time

T = "2025-11-24T16:00:00Z"
START = "2025-11-25T15:00:00Z"


def appt(i):
    return {"type": "booking", "id": "INV%012d" % i,
            "invitee_uri": "https://api.calendly.com/scheduled_events/EV%012d/invitees/INV%012d" % (i, i),
            "event_uri": "https://api.calendly.com/scheduled_events/EV%012d" % i,
            "name": "Customer %d" % i, "first_name": "Customer", "email": "c%d@example.org" % i,
            "phone": "+14042%06d" % (i % 1000000), "phone_source": "text_reminder_number",
            "timezone": "America/New_York", "event_name": "30 Minute Consultation",
            "start_time": START, "end_time": START, "start_local": "Tue Nov 25, 10:00 AM EST",
            "cancel_url": "https://calendly.com/cancellations/INV%012d" % i,
            "reschedule_url": "https://calendly.com/reschedulings/INV%012d" % i,
            "old_id": None, "new_id": None, "rescheduled": False, "reason": None, "received_at": T}


def conv(i, status, created=T):
    a = appt(i)
    msgs = [] if status == "pending" else [{"kind": "confirm", "body": "hi", "status": "sent", "provider": "log",
                                            "provider_id": "log-%d" % i, "segments": 1, "error": None, "at": T}]
    replies = [{"body": "yes", "intent": "confirm", "at": T, "provider": "twilio", "provider_id": "SM%d" % i}] \
        if status == "replied" else []
    return {"id": a["id"], "phone": a["phone"], "status": status, "appointment": a, "messages": msgs,
            "replies": replies, "claim": None, "retry_at": None, "reminder": None,
            "created_at": created, "updated_at": created, "expires_at": "2026-02-23T15:00:00Z"}


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    out = sys.stdout
    if kind == "conv":
        due = int(sys.argv[3])
        for i in range(n):
            status = "pending" if i < due else "awaiting_reply" if i < due + 100 else "replied"
            # booked one every 90 s up to T: a month is about 28,800 of them
            created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(1764000000 - (n - i) * 90))
            out.write(json.dumps(conv(i, status, created), separators=(",", ":")) + "\n")
    elif kind == "appt":
        for i in range(n):
            out.write(json.dumps(appt(i), separators=(",", ":")) + "\n")
    elif kind == "sql":
        out.write("PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n"
                  "CREATE TABLE IF NOT EXISTS conv (id TEXT PRIMARY KEY, phone TEXT, status TEXT, created TEXT, data TEXT);\n"
                  "CREATE INDEX IF NOT EXISTS by_phone ON conv (phone, created);\n"
                  "CREATE INDEX IF NOT EXISTS by_status ON conv (status, created);\nBEGIN;\n")
        for i in range(n):
            status = "awaiting_reply" if i < 100 else "replied"
            c = json.dumps(conv(i, status), separators=(",", ":")).replace("'", "''")
            out.write("INSERT INTO conv VALUES ('INV%012d','+14042%06d','%s','%s','%s');\n"
                      % (i, i % 1000000, status, T, c))
        out.write("COMMIT;\n")


main()
