"""Local stand-ins for the outside services a worker talks to: an SMTP server (aiosmtpd) that
records every mail, and a WhatsApp/SMS HTTP gateway that counts deliveries per Idempotency-Key."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Smtp:
    """aiosmtpd on 127.0.0.1:port; `messages` are the parsed mails received."""

    def __init__(self, port: int):
        from aiosmtpd.controller import Controller

        self.messages: list = []
        outer = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):
                outer.messages.append(message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class LocalHttp:
    """A threaded HTTP server on a free loopback port, serving `handler` while in a `with` block."""

    def __init__(self, handler, path: str = "/"):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{path}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeGateway(LocalHttp):
    """POST with JSON; answers 503 for the first `fail_first` requests of each key, then 200 after
    `delay` seconds. Like real gateways that take a reference, a key already delivered is answered
    200 again without a second delivery (`requests` counts every request)."""

    def __init__(self, token: str = "gw-token", fail_first: int = 0, delay: float = 0.0):
        self.token, self.fail_first, self.delay = token, fail_first, delay
        self.requests: Counter = Counter()  # per Idempotency-Key, every request
        self.delivered: Counter = Counter()  # per Idempotency-Key, accepted deliveries
        self.bodies: dict[str, dict] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                key = self.headers.get("Idempotency-Key", "")
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                outer.requests[key] += 1
                if self.headers.get("Authorization") != f"Bearer {outer.token}":
                    code = 401
                elif outer.requests[key] <= outer.fail_first:
                    code = 503
                else:
                    code = 200
                    if outer.delay:
                        time.sleep(outer.delay)
                    if not outer.delivered[key]:
                        outer.bodies[key] = body
                        outer.delivered[key] += 1
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

        super().__init__(Handler, "/messages")


class PushEndpoint(LocalHttp):
    """A push service stand-in: keeps every request (lower-cased headers, body); answers `status`."""

    def __init__(self, status: int = 201):
        self.received: list[tuple[dict, bytes]] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(outer.status)
                self.end_headers()

        super().__init__(Handler, "/push/")
