#!/usr/bin/env python3
"""Load: N distinct signed Calendly bookings posted by C clients at once
to a listener (socat forking http-hook, or inetd with nowait.MAX starting
it, one process chain a request), each request's latency measured.
Prints: seconds req/s p50_ms p99_ms ok_count peak_rss_kib (the largest
process of the listener's tree).

usage: load.py N CLIENTS KEY HANDLER_ROUTE [socat | inetd MAX]
  HANDLER_ROUTE is http-hook's route, e.g. /calendly=examples/on-booking;
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


def listen(port):
    if TRANSPORT == "socat":
        return subprocess.Popen(
            ["socat", "TCP-LISTEN:%d,bind=127.0.0.1,reuseaddr,fork,backlog=256" % port,
             "EXEC:http-hook -q " + ROUTE], stderr=subprocess.DEVNULL)
    env = ["%s=%s" % (k, v) for k, v in sorted(os.environ.items())
           if k == "PATH" or k.startswith("CALSMS_") or k.startswith("CALENDLY_")]
    hook = subprocess.run(["sh", "-c", "command -v http-hook"], capture_output=True,
                          text=True, check=True).stdout.strip()
    conf = os.path.join(os.environ.get("BENCH_TMP", "/tmp"), "inetd.%d.conf" % port)
    with open(conf, "w") as f:
        f.write("127.0.0.1:%d stream tcp nowait.%s root /usr/bin/env env %s %s -q %s\n"
                % (port, sys.argv[6], " ".join(env), hook, ROUTE))
    return subprocess.Popen(["inetd", "-i", conf], env={"PATH": "/usr/sbin:/usr/bin:/bin"},
                            stderr=subprocess.DEVNULL)


def main():
    bodies = [body(i) for i in range(N)]
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    listener = listen(port)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), 1).close()
            break
        except OSError:
            time.sleep(0.05)
    lat, ok, lock, nxt, errors = [], [0], threading.Lock(), [0], []

    def client():
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= N:
                return
            raw, sig = bodies[i]
            t0 = time.perf_counter()
            status = 0
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                c.request("POST", "/calendly", raw, {"Content-Type": "application/json",
                                                     "Calendly-Webhook-Signature": sig})
                r = c.getresponse()
                r.read()
                c.close()
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                with lock:
                    errors.append(str(e))
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(ms)
                ok[0] += status == 200
                if status not in (0, 200):
                    errors.append("HTTP %d" % status)

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    secs = time.perf_counter() - t0
    listener.terminate()
    listener.wait()
    if errors:
        sys.stderr.write("load.py: %d requests failed, the first: %s\n" % (len(errors), errors[0]))
    lat.sort()
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print("%.2f %.0f %.2f %.2f %d %d" % (secs, N / secs, lat[len(lat) // 2],
                                        lat[min(len(lat) - 1, len(lat) * 99 // 100)], ok[0], rss))


main()
