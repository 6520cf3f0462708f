"""No credential in gunicorn's access log: a unit link's token and secret query values are
replaced (survey/access_log.py, set as logger_class in gunicorn.conf.py)."""
from __future__ import annotations

import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from survey.access_log import RedactingLogger, redact

ROOT = Path(__file__).resolve().parents[2]


def test_gunicorn_uses_the_redacting_logger():
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert conf["logger_class"] == "survey.access_log.RedactingLogger"
    assert conf["worker_class"] == "survey.gunicorn_worker.HeadBufferingWorker"


def test_tokens_are_replaced_in_every_part_of_the_access_line():
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = RedactingLogger(cfg)
    token = "AbC123.sig-nature_xyz"
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": f"/l/{token}?next=/&token=s3cr3t&page=2",
               "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": f"/l/{token}", "QUERY_STRING": "token=s3cr3t&page=2",
               "HTTP_REFERER": f"https://survey.example/l/{token}", "REMOTE_ADDR": "10.0.0.1"}
    resp = SimpleNamespace(status="302 FOUND", sent=10, headers=[])
    req = SimpleNamespace(headers=[("REFERER", f"https://survey.example/l/{token}")])
    atoms = logger.atoms(resp, req, environ, timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % atoms
    assert token not in line and "s3cr3t" not in line and "/l/***" in line and "page=2" in line
    assert token not in atoms["{referer}i"]


def test_redact_keeps_ordinary_paths():
    assert redact("GET /l/leave HTTP/1.1") == "GET /l/leave HTTP/1.1"
    assert redact("GET /ledger?q=abc&status=open HTTP/1.1") == "GET /ledger?q=abc&status=open HTTP/1.1"
    assert redact("POST /login?next=/ledger HTTP/1.1") == "POST /login?next=/ledger HTTP/1.1"
    assert redact("GET /x?csrf_token=abc&api_key=k HTTP/1.1") == "GET /x?csrf_token=***&api_key=*** HTTP/1.1"
