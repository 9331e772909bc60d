"""A webhook receiver for Alertmanager that appends each notification to a file.

``python3 -m ikzops_agent.alert_sink HOST PORT FILE``: every POST body (JSON) becomes
one line of FILE. For the lab and as a local audit trail beside real receivers.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(host: str, port: int, path: str) -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(min(length, 1 << 20))
            try:
                line = json.dumps(json.loads(body), separators=(",", ":"))
            except ValueError:
                self.send_response(400)
                self.end_headers()
                return
            with open(path, "a", encoding="utf-8") as out:
                out.write(line + "\n")
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    ThreadingHTTPServer((host, port), Handler).serve_forever()


if __name__ == "__main__":
    serve(sys.argv[1], int(sys.argv[2]), sys.argv[3])
