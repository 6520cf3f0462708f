"""The README's screenshots, taken from the living demo on a 360 px phone.

    .venv/bin/python docs/screenshots.py        # writes docs/screens/*.png

It builds the demo in a temporary SQLite instance (`flask seed-demo`, then one `send-reminders`), serves it with gunicorn as
`make run` does, logs in as each demo account in Debian's Chromium (phone context, zh-CN) and saves
the first screen of the pages each role lives in. Nothing here is used by the app or the tests.
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screens"
PASSWORD = "Demo@2026"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
WECHAT_UA = ("Mozilla/5.0 (Linux; Android 13; V2218A) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 "
             "Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47")

# (account, file, path or a link text to follow from the home page, what it shows)
SHOTS = [
    ("liaison-nyncj", "liaison-home", "/", "单位联络员的首页：本单位的自查与问题"),
    ("liaison-nyncj", "liaison-ledger", "/ledger", "单位联络员的问题台账"),
    ("liaison-nyncj", "liaison-inbox", "/inbox", "单位联络员的消息：督办提醒与文书"),
    ("inspector1", "inspector-home", "/", "督导组成员的首页：待问诊、待核验、逾期"),
    ("inspector1", "inspector-overdue", "/ledger?warn=overdue", "逾期问题"),
    ("admin", "admin-home", "/", "管理员的待办"),
    ("admin", "admin-dashboard", "/dashboard", "统计看板"),
    ("admin", "admin-rounds", "/rounds", "检查批次"),
    ("admin", "admin-notices", "/notices", "已签发的督办文书"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(tmp: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp / 'demo.db'}", "INSTANCE_PATH": str(tmp),
           "FLASK_APP": "app", "PORT": str(free_port())}
    flask = [sys.executable, "-m", "flask"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "seed-demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    # one reminder scan, as `make run`'s worker does at start-up: the inboxes fill
    subprocess.run([*flask, "send-reminders"], cwd=ROOT, env=env, check=True, capture_output=True)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "app:app"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{env['PORT']}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            return server, base
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("gunicorn did not start")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screens-") as tmp:
        server, base = serve(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
                contexts = {}
                for account, name, path, caption in SHOTS:
                    if account not in contexts:
                        ctx = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2,
                                                  is_mobile=True, has_touch=True, locale="zh-CN",
                                                  user_agent=WECHAT_UA)
                        page = ctx.new_page()
                        page.goto(base + "/login")
                        page.fill("input[name=username]", account)
                        page.fill("input[name=password]", PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_load_state("networkidle")
                        contexts[account] = page
                    page = contexts[account]
                    page.goto(base + path)
                    page.wait_for_load_state("networkidle")
                    page.screenshot(path=str(OUT / f"{name}.png"))
                    print(f"docs/screens/{name}.png  {caption}")
                browser.close()
        finally:
            server.terminate()
            server.wait(10)


if __name__ == "__main__":
    main()
