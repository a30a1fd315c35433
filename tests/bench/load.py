#!/usr/bin/env python3
"""Load: N distinct signed Calendly bookings posted by C clients at once
to a listener (socat forking http-hook, or inetd with nowait.MAX starting
it, one process chain a request), each request's latency measured.
Prints: seconds req/s p50_ms p99_ms ok_count peak_rss_kib (the largest
process of the listener's tree).

With --vs BASE_ROUTE, a second listener runs BASE_ROUTE and the two
take turns, so that drift in the machine (a disk's sync time, a
neighbour's load) hits both alike: one request each in turn at one
client, blocks of 100 at more; N requests each, a line each (HANDLER's,
then BASE's).

usage: load.py [--vs BASE_ROUTE] N CLIENTS KEY HANDLER_ROUTE [socat | inetd MAX]
  HANDLER_ROUTE is http-hook's route, e.g. /calendly=examples/on-booking,
  or python:DB for pyhook.py (a threaded Python server and sqlite DB);
  inetd passes its programs no environment, so the line sets PATH and
  the CALSMS_ and CALENDLY_ variables of this one with env(1).
"""
import hashlib
import hmac
import http.client
import json
import os
import resource
import socket
import subprocess
import sys
import threading
import time

BASE = None
if sys.argv[1] == "--vs":
    BASE = sys.argv[2]
    del sys.argv[1:3]
N, CLIENTS, KEY, ROUTE = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4]
TRANSPORT = sys.argv[5] if len(sys.argv) > 5 else "socat"
T = "1764000000"
FIX = json.load(open("tests/fixtures/calendly/invitee-created.json"))


def body(i):
    doc = json.loads(json.dumps(FIX))
    p = doc["payload"]
    p["uri"] = "https://api.calendly.com/scheduled_events/EVL%012d/invitees/INVL%012d" % (i, i)
    p["scheduled_event"]["uri"] = "https://api.calendly.com/scheduled_events/EVL%012d" % i
    p["text_reminder_number"] = "+1404%07d" % (2000000 + i)
    raw = json.dumps(doc, separators=(",", ":")).encode()
    sig = hmac.new(KEY, T.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, "t=%s,v1=%s" % (T, sig)


def listen(port, route):
    if route.startswith("python:"):
        return subprocess.Popen([sys.executable, os.path.join(os.path.dirname(__file__), "pyhook.py"),
                                 str(port), route[len("python:"):]])
    if TRANSPORT == "socat":
        return subprocess.Popen(
            ["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,backlog=256" % port,
             "EXEC:http-hook -q " + route], stderr=subprocess.DEVNULL)
    env = ["%s=%s" % (k, v) for k, v in sorted(os.environ.items())
           if k == "PATH" or k.startswith("CALSMS_") or k.startswith("CALENDLY_")]
    hook = subprocess.run(["sh", "-c", "command -v http-hook"], capture_output=True,
                          text=True, check=True).stdout.strip()
    conf = os.path.join(os.environ.get("BENCH_TMP", "/tmp"), "inetd.%d.conf" % port)
    with open(conf, "w") as f:
        f.write("127.0.0.1:%d stream tcp nowait.%s root /usr/bin/env env %s %s -q %s\n"
                % (port, sys.argv[6], " ".join(env), hook, route))
    return subprocess.Popen(["inetd", "-i", conf], env={"PATH": "/usr/sbin:/usr/bin:/bin"},
                            stderr=subprocess.DEVNULL)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def started(route):
    port = free_port()
    listener = listen(port, route)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    return port, listener


class Side:
    """One listener's requests: latencies, 200s, errors, seconds spent."""

    def __init__(self, port):
        self.port, self.lat, self.ok, self.errors, self.secs = port, [], 0, [], 0.0


def block(side, bodies, lo, hi):
    """Requests lo..hi-1 to side, by CLIENTS clients at once."""
    lock, nxt = threading.Lock(), [lo]

    def client():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= hi:
                return
            raw, sig = bodies[i]
            t0 = time.perf_counter()
            status = 0
            try:
                c = http.client.HTTPConnection("127.0.0.1", side.port, timeout=60)
                c.request("POST", "/calendly", raw, {"Content-Type": "application/json",
                                                     "Calendly-Webhook-Signature": sig})
                r = c.getresponse()
                r.read()
                c.close()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    side.errors.append(str(e))
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                side.lat.append(ms)
                side.ok += status == 200
                if status not in (0, 200):
                    side.errors.append("HTTP %d" % status)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(min(CLIENTS, hi - lo))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    side.secs += time.perf_counter() - t0


def report(side):
    if side.errors:
        sys.stderr.write("load.py: %d requests failed, the first: %s\n"
                         % (len(side.errors), side.errors[0]))
    lat = sorted(side.lat)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("%.2f %.0f %.2f %.2f %d %d" % (side.secs, len(lat) / side.secs, lat[len(lat) // 2],
                                        lat[min(len(lat) - 1, len(lat) * 99 // 100)], side.ok, rss))


def main():
    bodies = [body(i) for i in range(N)]
    port, listener = started(ROUTE)
    sides = [Side(port)]
    if BASE:
        base_port, base_listener = started(BASE)
        sides.append(Side(base_port))
    step = N if not BASE else 1 if CLIENTS == 1 else 100
    for lo in range(0, N, step):
        for side in sides:
            block(side, bodies, lo, min(N, lo + step))
    listener.terminate()
    listener.wait()
    if BASE:
        base_listener.terminate()
        base_listener.wait()
    for side in sides:
        report(side)


main()
