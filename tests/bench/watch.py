#!/usr/bin/env python3
"""follow-up-due -w on the real clock: the delay between each follow-up's
due time and its line, over N items, then CPU time used while idle.

usage: watch.py STORE N IDLE_SECONDS

Python (standard library only, already needed for the provider mock):
it timestamps each line as it arrives while feeding the store, which a
shell pipeline cannot do to the millisecond.
"""
import json
import os
import subprocess
import sys
import threading
import time

store, n, idle = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
env = dict(os.environ)
env.pop("CALSMS_NOW", None)
tick = os.sysconf("SC_CLK_TCK")


def cpu_ms(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / tick


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


subprocess.run(["conv-store", "-d", store, "init"], check=True)
w = subprocess.Popen(["follow-up-due", "-w", "-s", "0", "-a", "2s", "-d", store], stdout=subprocess.PIPE, env=env, text=True)
seen = {}


def reader():
    for line in w.stdout:
        seen[json.loads(line)["id"]] = time.time()


threading.Thread(target=reader, daemon=True).start()
time.sleep(0.5)
base = int(time.time()) + 3
due = {}
lines = []
for i in range(n):
    d = base + i // 10
    due["W%d" % i] = d
    lines.append(json.dumps({"id": "W%d" % i, "phone": "+14042%06d" % i, "status": "awaiting_reply",
                             "appointment": {"start_time": iso(d + 86400)},
                             "messages": [{"kind": "confirm", "status": "sent", "at": iso(d - 2)}],
                             "replies": [], "claim": None, "retry_at": None, "reminder": None,
                             "created_at": iso(d - 2), "updated_at": iso(d - 2),
                             "expires_at": iso(d + 86400 * 90)}))
subprocess.run(["conv-store", "-d", store, "load"], input="\n".join(lines) + "\n", text=True, env=env, check=True)
deadline = base + n // 10 + 10
while len(seen) < n and time.time() < deadline:
    time.sleep(0.1)
delays = sorted((seen[k] - due[k]) * 1000 for k in seen)
before = cpu_ms(w.pid)
time.sleep(idle)
used = cpu_ms(w.pid) - before
w.terminate()
w.wait(5)
print("%d %.1f %.1f %.1f" % (len(seen), delays[len(delays) // 2] if delays else -1,
                            delays[-1] if delays else -1, used))
