"""A local stand-in for the SP4N-LAPOR! API of docs/LAPOR.md, for tests: it records every
request, honours Idempotency-Key like the contract says, and fails at random (seeded), both
before doing anything and after accepting (a lost answer)."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLapor:
    def __init__(self, *, token="test-token", seed=7, fail_before=0.0, fail_after=0.0, delay=0.0):
        self.token = token
        self.rng = random.Random(seed)
        self.fail_before, self.fail_after, self.delay = fail_before, fail_after, delay
        self.lock = threading.Lock()
        self.reports: dict[str, str] = {}  # idempotency key -> remote id
        self.bodies: dict[str, dict] = {}  # remote id -> first body
        self.created = Counter()  # key -> times a report was created (must stay 1)
        self.posts = Counter()  # key -> POSTs received
        self.statuses: dict[str, list] = {}  # key -> [(remote id, body)]
        self.updates: list[dict] = []
        self.log: list[tuple[str, str]] = []
        self.unauthorized = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status, body):
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def _auth(self) -> bool:
                if self.headers.get("Authorization") != f"Bearer {server.token}":
                    server.unauthorized += 1
                    self._send(401, {"error": "bad token"})
                    return False
                return True

            def do_GET(self):
                server.log.append(("GET", self.path))
                if not self._auth():
                    return
                url = urllib.parse.urlparse(self.path)
                if url.path == "/reports/updates":
                    since = int((urllib.parse.parse_qs(url.query).get("since") or ["0"])[0] or 0)
                    with server.lock:
                        self._send(200, {"updates": server.updates[since:], "cursor": str(len(server.updates))})
                    return
                self._send(404, {"error": "not found"})

            def do_POST(self):
                server.log.append(("POST", self.path))
                if not self._auth():
                    return
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                key = self.headers.get("Idempotency-Key")
                if not key:
                    self._send(400, {"error": "Idempotency-Key required"})
                    return
                if server.delay:
                    time.sleep(server.delay)
                with server.lock:
                    server.posts[key] += 1
                    if server.rng.random() < server.fail_before:
                        self._send(500, {"error": "random failure before"})
                        return
                    if self.path == "/reports":
                        if key not in server.reports:
                            remote = f"LPR-{len(server.reports) + 1:05d}"
                            server.reports[key] = remote
                            server.bodies[remote] = body
                            server.created[key] += 1
                        answer = {"id": server.reports[key]}
                    elif self.path.startswith("/reports/") and self.path.endswith("/status"):
                        remote = urllib.parse.unquote(self.path.split("/")[2])
                        server.statuses.setdefault(key, []).append((remote, body))
                        answer = {"ok": True}
                    else:
                        self._send(404, {"error": "not found"})
                        return
                    if server.rng.random() < server.fail_after:
                        self._send(502, {"error": "accepted, but the answer got lost"})
                        return
                self._send(201, answer)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)
