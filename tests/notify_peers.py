"""Real peers for the channel tests, on 127.0.0.1: an SMTP server (aiosmtpd) and an HTTP receiver
(http.server in a thread) that records what the robots and webhooks were sent."""
from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.raw: list[bytes] = []

    async def handle_DATA(self, server, session, envelope):
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture()
def smtp():
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    box.port = port
    box.url = f"mailto://127.0.0.1:{port}?from=noreply@example.gov.cn&to=liaison@example.gov.cn&mode=insecure"
    yield box
    controller.stop()


class Receiver:
    """Answers each POST with status (a list pops one status per request, then 200)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()

    def base(self) -> str:
        return f"127.0.0.1:{self.port}"


@pytest.fixture()
def receiver():
    rec = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            parts = urlsplit(self.path)
            with rec.lock:
                status = rec.statuses.pop(0) if rec.statuses else 200
                rec.requests.append({"path": parts.path, "query": {k: v[0] for k, v in parse_qs(parts.query).items()},
                                     "raw_query": parts.query, "headers": dict(self.headers),
                                     "json": json.loads(body.decode("utf-8")) if body else None, "status": status})
            answer = json.dumps({"errcode": 0 if status < 400 else 500, "errmsg": "ok"}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield rec
    server.shutdown()
    server.server_close()
