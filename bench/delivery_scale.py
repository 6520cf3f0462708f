"""Delivery and inbox figures: `python -m bench.delivery_scale [MESSAGES]` (default 100000).

A temp SQLite database (or DATABASE_URL) gets MESSAGES inbox messages over 200 units' liaisons;
20 units own a JSON webhook channel pointing at a receiver on 127.0.0.1. Printed:
- the fan-out of one deliver_pending run when no message has a channel (the baseline) and when 10%
  do, with the sends it made and their rate;
- a second run (nothing new, nothing due: what the worker pays every few minutes);
- the unread badge's COUNT for a liaison with 1/200 of the messages (once per page).
"""
from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="survey-bench-delivery-"))
os.environ.setdefault("INSTANCE_PATH", str(TMP))


class Quiet(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def timed(label: str, fn):
    start = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<58} {elapsed * 1000:9.1f} ms")
    return result, elapsed


def main(total: int) -> None:
    from flask_migrate import upgrade
    from sqlalchemy import insert

    from survey import create_app
    from survey.clock import utcnow
    from survey.config import TestConfig
    from survey.extensions import db
    from survey.inbox.queries import count_unread
    from survey.models import Channel, Message, Role, Unit, User
    from survey.notify.delivery import deliver_pending

    url = os.environ.get("DATABASE_URL", f"sqlite:///{TMP / 'bench.db'}")
    app = create_app(TestConfig(url))
    server = ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with app.app_context(), app.test_request_context():
        upgrade()
        units = [Unit(name=f"压测单位{i}") for i in range(200)]
        db.session.add_all(units)
        db.session.flush()
        users = [User(username=f"bench-l{i}", display_name=f"联络员{i}", role=Role.UNIT.value, unit_id=u.id,
                      password_hash="x") for i, u in enumerate(units)]
        db.session.add_all(users)
        db.session.flush()
        now = utcnow()
        rows = [{"dedupe_key": f"b{n}", "user_id": users[n % 200].id, "unit_id": units[n % 200].id,
                 "subject": f"整改提醒{n}", "body": "请尽快整改", "link": "/ledger/1", "urgent": True,
                 "created_at": now - timedelta(minutes=n % 600)} for n in range(total - 5)]
        rows += [{"dedupe_key": f"few{n}", "user_id": users[199].id, "unit_id": None, "subject": "x",
                  "urgent": False, "created_at": now} for n in range(5)]
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Message), rows[start:start + 5000])
        db.session.commit()
        print(f"{total} messages over {len(users)} liaisons ({db.engine.dialect.name})")
        _, base = timed("deliver_pending, no channel anywhere (baseline)", lambda: deliver_pending(now))
        for u in units[:20]:
            db.session.add(Channel(owner_kind="unit", owner_id=u.id, kind="webhook",
                                   url=f"json://127.0.0.1:{server.server_address[1]}/gw"))
        db.session.commit()
        report, fan = timed("deliver_pending, 20 of 200 units with a webhook", lambda: deliver_pending(now))
        print(f"  deliveries made {report.created}, sends {report.sends} ({report.sends / fan:.0f}/s), "
              f"ratio to baseline {fan / base:.1f}x")
        _, idle = timed("deliver_pending again (nothing new, nothing due)", lambda: deliver_pending(now))
        print(f"  ratio to baseline {idle / base:.1f}x")
        liaison = db.session.get(User, users[0].id)
        _, badge = timed(f"unread badge COUNT x100 (a liaison with {total // 200} of {total})",
                         lambda: [count_unread(liaison) for _ in range(100)])
        print(f"  per badge {badge * 10:.2f} ms")
    server.shutdown()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100000)
