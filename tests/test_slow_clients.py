"""Slow clients (issue 12): real gunicorn with the project's gunicorn.conf.py (2 workers x 4
threads, as `make run`) keeps answering /healthz within 1 s while 50 connections send their header
one byte every 2 s; the slow ones are closed after the head timeout; logins (SQLite's BEGIN
IMMEDIATE), keep-alive and uploads work as before."""
from __future__ import annotations

import http.client
import io
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest

from survey.models import Role
from tests.conftest import database_url
from tests.factories import DEFAULT_PASSWORD, make_user

ROOT = Path(__file__).resolve().parents[1]
SLOW = 50
HEAD_TIMEOUT = 6
TRICKLE = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + b"a" * 200


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(app, db, tmp_path):
    make_user(Role.ADMIN, username="boss")
    port = free_port()
    env = dict(os.environ, HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", GUNICORN_THREADS="4",
               DATABASE_URL=database_url(), GUNICORN_HEAD_TIMEOUT=str(HEAD_TIMEOUT))
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-c", "gunicorn.conf.py", "app:app"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
            try:
                if healthz(port) < 5:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.2)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def healthz(port: int, timeout: float = 3.0) -> float:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", "/healthz")
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    finally:
        conn.close()
    return time.perf_counter() - started


def _trickle(socks: list[socket.socket], stop: threading.Event) -> None:
    """One more byte on every slow connection every 2 s; the head never ends."""
    for i in range(1, len(TRICKLE)):
        if stop.wait(2.0):
            return
        for s in socks:
            try:
                s.send(TRICKLE[i:i + 1])
            except OSError:
                pass


def test_healthz_answers_within_a_second_beside_50_slow_headers(server):
    socks = [socket.create_connection(("127.0.0.1", server)) for _ in range(SLOW)]
    for s in socks:
        s.send(TRICKLE[:1])
    stop = threading.Event()
    sender = threading.Thread(target=_trickle, args=(socks, stop), daemon=True)
    sender.start()
    try:
        time.sleep(1.0)  # every slow connection has reached a worker
        timings = []
        for _ in range(8):
            try:
                timings.append(healthz(server))
            except OSError:  # timed out
                timings.append(float("inf"))
            time.sleep(0.4)
        assert max(timings) < 1.0, [f"{t:.2f}" for t in timings]
        # The heads never finished: the connections are closed after the head timeout.
        for s in socks:
            s.settimeout(HEAD_TIMEOUT + 4)
        closed = 0
        for s in socks:
            try:
                closed += s.recv(100) == b""
            except ConnectionResetError:
                closed += 1
            except OSError:
                pass
        assert closed == SLOW
    finally:
        stop.set()
        for s in socks:
            s.close()


def _cookie(resp, jar: dict) -> None:
    for header, value in resp.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            jar[name] = rest.split(";", 1)[0]


def _send(conn, method, path, jar, body=None, headers=None):
    headers = dict(headers or {})
    if jar:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in jar.items())
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    _cookie(resp, jar)
    return resp.status, data.decode("utf-8", "replace")


def test_logins_keep_alive_and_uploads_work_under_the_worker(server):
    conn, jar = http.client.HTTPConnection("127.0.0.1", server, timeout=10), {}
    status, page = _send(conn, "GET", "/login", jar)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urlencode({"csrf_token": token, "username": "boss", "password": DEFAULT_PASSWORD})
    status, _ = _send(conn, "POST", "/login", jar, form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 302  # a write (BEGIN IMMEDIATE on SQLite), on the same kept-alive connection
    status, page = _send(conn, "GET", "/admin/units/import", jar)
    assert status == 200
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    filler = io.BytesIO(b"PK" + os.urandom(1_500_000)).getvalue()  # 1.5 MB that is not a workbook
    boundary = "----slowclienttest"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"units.xlsx\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + filler + f"\r\n--{boundary}--\r\n".encode()
    status, page = _send(conn, "POST", "/admin/units/import", jar, body,
                         {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert status == 422 and "不是有效的 Excel" in page  # the whole body arrived and was read
    conn.close()


def test_a_head_sent_in_pieces_and_pipelined_requests_are_served(server):
    s = socket.create_connection(("127.0.0.1", server), timeout=10)
    try:
        s.send(b"GET /healthz HTTP/1.1\r\nHo")
        time.sleep(0.3)
        s.send(b"st: 127.0.0.1\r\n\r\nGET /healthz HTTP/1.1\r\n")  # the next request begins at once
        time.sleep(0.3)
        s.send(b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    finally:
        s.close()
    assert data.count(b"HTTP/1.1 200") == 2, data[:500]
