#!/usr/bin/env python3
"""follow-up-due -w woken by another process: the delay from the moment a
booking's conv-store add exits (committed) to the confirmation's line, N
times, on the store given (a directory or a PostgreSQL URI).
Prints: median_ms max_ms seen.

usage: wake.py STORE N
"""
import json
import os
import subprocess
import sys
import threading
import time

store, n = sys.argv[1], int(sys.argv[2])
env = dict(os.environ)
env.pop("CALSMS_NOW", None)
subprocess.run(["conv-store", "-d", store, "init"], check=True, env=env)
w = subprocess.Popen(["follow-up-due", "-w", "-s", "0", "-d", store], stdout=subprocess.PIPE,
                     env=env, text=True)
seen = {}
arrived = threading.Condition()


def reader():
    for line in w.stdout:
        with arrived:
            seen[json.loads(line)["id"]] = time.time()
            arrived.notify_all()


threading.Thread(target=reader, daemon=True).start()
time.sleep(0.5)
start = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 3 * 86400))
delays = []
for i in range(n):
    ident = "WAKE%d" % i
    appt = {"type": "booking", "id": ident, "phone": "+14043%06d" % i, "name": "W",
            "first_name": "W", "event_name": "E", "timezone": "America/New_York",
            "start_time": start, "end_time": start, "received_at": start}
    subprocess.run(["conv-store", "-d", store, "add", "-q"], input=json.dumps(appt) + "\n",
                   text=True, env=env, check=True)
    committed = time.time()
    with arrived:
        arrived.wait_for(lambda: ident in seen, timeout=10)
    if ident in seen:
        delays.append((seen[ident] - committed) * 1000)
    time.sleep(0.05)
w.terminate()
w.wait(5)
delays.sort()
print("%.1f %.1f %d" % (delays[len(delays) // 2] if delays else -1, delays[-1] if delays else -1,
                        len(delays)))
