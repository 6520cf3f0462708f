"""gunicorn's threaded worker, with request heads read by the worker's event loop (issue 12).

With the plain gthread worker a connection gets a thread as soon as its first byte arrives, and
the thread then blocks until the head is complete. Twelve clients sending a header one byte every
2 s held all 2 x 4 threads: /healthz timed out. Here the worker's main loop (a selector, as for
kept-alive connections) collects each head without blocking: a connection reaches a thread only
once its head is complete ("\\r\\n\\r\\n"), and a head not complete within HEAD_TIMEOUT_S is closed.
The bytes read are handed to gunicorn's own parser, so everything after the head (bodies, keep-
alive, errors such as 431) is gunicorn's, unchanged. Slow *bodies* still hold a thread while they
arrive (uploads from phones on mobile data do that legitimately): see SECURITY.md.

Threads stay threads, so SQLite (BEGIN IMMEDIATE with a busy timeout), psycopg 3 and SQLAlchemy's
pool behave exactly as under gthread: no monkey-patching as with gevent, whose hub a C-level
SQLite busy wait would freeze."""
from __future__ import annotations

import errno
import io
import os
import selectors
import time
from functools import partial

from gunicorn import http
from gunicorn.workers.gthread import TConn, ThreadWorker

HEAD_TIMEOUT_S = float(os.environ.get("GUNICORN_HEAD_TIMEOUT", "10"))
MAX_HEAD_BYTES = 64 * 1024  # past this gunicorn's parser answers (431/400) by its own limits
HEAD_END = b"\r\n\r\n"


class HeadBufferingWorker(ThreadWorker):
    """gthread, except that a thread is given to a connection with a complete request head."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.heads: dict[TConn, float] = {}  # connection -> deadline, in deadline order

    def accept(self, listener):
        if self.cfg.is_ssl:  # TLS is terminated in front of gunicorn here; keep gthread's path
            return super().accept(listener)
        try:
            client_sock, client_addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return None
        self.nr_conns += 1
        self._await_head(TConn(self.cfg, client_sock, client_addr, listener.getsockname()))
        return None

    def on_client_socket_readable(self, conn, client):
        """A kept-alive connection has its next request coming: collect that head too."""
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._await_head(conn)

    def enqueue_req(self, conn):
        """gthread hands a kept-alive connection straight to a thread when the next request's first
        bytes came with the last one (pipelining): an incomplete head is collected here instead."""
        unreader = conn.parser.unreader if conn.parser is not None and not getattr(conn, "head", None) else None
        pending = unreader.buf.getvalue() if unreader is not None else b""
        if pending and HEAD_END not in pending:
            unreader.buf = io.BytesIO()
            self._await_head(conn, pending)
            return
        super().enqueue_req(conn)

    def _await_head(self, conn: TConn, received: bytes = b"") -> None:
        conn.sock.setblocking(False)
        conn.head = bytearray(received)
        self.heads[conn] = time.monotonic() + HEAD_TIMEOUT_S
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._read_head, conn))

    def _read_head(self, conn: TConn, _sock) -> None:
        try:
            data = conn.sock.recv(MAX_HEAD_BYTES)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:  # the client went away
            self._drop(conn)
            return
        conn.head += data
        if HEAD_END in conn.head or len(conn.head) > MAX_HEAD_BYTES:
            self.poller.unregister(conn.sock)
            del self.heads[conn]
            conn.data_ready = True
            self.enqueue_req(conn)

    def handle(self, conn):
        """In the thread: give the collected bytes to gunicorn's parser, then serve as gthread."""
        head = getattr(conn, "head", None)
        if head:
            conn.head = None
            conn.sock.setblocking(True)
            if conn.parser is None:
                conn.initialized = True
                conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.parser.unreader.unread(bytes(head))
        return super().handle(conn)

    def murder_pending(self):
        """Also close the connections whose head did not arrive in time (the loop calls this each second)."""
        super().murder_pending()
        now = time.monotonic()
        for conn, deadline in list(self.heads.items()):
            if deadline > now:
                break
            self._drop(conn)

    def _drop(self, conn: TConn) -> None:
        try:
            self.poller.unregister(conn.sock)
        except (OSError, KeyError, ValueError):
            pass
        self.heads.pop(conn, None)
        self.nr_conns -= 1
        conn.close()
