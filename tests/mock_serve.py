"""The loopback stand-ins' server: a threaded HTTP server on a free
loopback port, written to PORTFILE (through a rename, so a reader never
sees half a number), that shuts down after MOCK_LIFETIME seconds."""
import os
import threading
from http.server import ThreadingHTTPServer


def serve(handler, portfile):
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Timer(float(os.environ.get("MOCK_LIFETIME", "300")), server.shutdown).start()
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(portfile + ".tmp", portfile)
    server.serve_forever()
