"""Every page of the demo, for every role, at 360 px: axe-core finds no critical or serious
violation, every tap target is at least 44x44 px (text links inside prose excepted, see
tests/e2e/accessibility.py) and no id repeats.

The pages are app.url_map's GET rules with their ids filled (tests/served's way), so a page added
later is audited without anyone listing it. The district is the demo seed plus the reliability
suite's miniature district (self-checks, a visit with problems to review, photos, evidence, export
jobs), so every page has something on it. Each role audits each page it may open; downloads are
skipped, and of the refusals (403/404) one page per status. The findings, every impact, are written
to tests/artifacts/accessibility.json, one screenshot per endpoint to tests/artifacts/a11y/."""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select, text

from survey.links.operations import issue_link
from survey.links.tokens import make_token
from survey.clock import utcnow
from survey.models import Channel, Delivery, Round, Submission
from survey.seed import seed_demo
from survey.seed_data import DEMO_PASSWORD
from tests.e2e.accessibility import AXE, audit, failures
from tests.e2e.conftest import WECHAT_UA
from tests.e2e.test_phone_flows import login
from tests.factories import DEFAULT_PASSWORD
from tests.reliability import world as world_module
from tests.served.test_served_routes import ADMIN_TABLES

PARAM = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
NOT_PAGES = {"assets", "home.healthz", "filling.service_worker", "links.use"}

pytestmark = pytest.mark.skipif(not AXE.exists() and os.environ.get("CI") != "true",
                                reason="axe-core is not installed (make test runs npm ci in tests/e2e/axe)")


@pytest.fixture()
def district(app, db, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    seed_demo()
    db.session.commit()
    world = world_module.build(db, tmp_path / "instance")
    first = world.units[0]
    visit = db.session.get(Submission, first.ids["submission"][1])
    visit.found = [{"key": "manual-1", "question": "", "category": "其他", "description": "台账记录不全",
                    "severity": "一般", "deadline": "", "dropped": False, "drop_reason": ""}]
    link = issue_link(world.admin, db.session.get(Round, world.round_id), first.unit)
    channel = Channel(owner_kind="unit", owner_id=first.unit.id, kind="dingtalk", label="办公室群",
                      url="ddbots://oapi.dingtalk.com/robot/send?access_token=a11y-token&secret=SECa11y",
                      last_test_at=utcnow(), last_test_error="钉钉机器人 返回 HTTP 500")
    db.session.add(channel)
    db.session.flush()
    db.session.add(Delivery(message_id=first.ids["message"][0], channel_id=channel.id, status="dead", attempts=5,
                            last_error="钉钉机器人 返回 HTTP 500", last_attempt_at=utcnow()))
    db.session.commit()
    ids = {param: db.session.scalar(text(f"SELECT min(id) FROM {table}")) for param, table in ADMIN_TABLES.items()}
    ids.update({f"{k}_id": v[0] for k, v in first.ids.items()}, round_id=world.round_id, owner_kind="unit")
    return {"ids": ids, "submissions": first.ids["submission"], "link": f"/l/{make_token(link.id, link.nonce)}",
            "liaison": first.liaison.username, "inspector": world.inspectors[first.group_index].username,
            "demo_round_id": db.session.scalar(select(func.min(Round.id)))}


def page_urls(app, district) -> list[tuple[str, str]]:
    """(endpoint, url) for every GET page rule; both submissions (self-check, visit) where one goes."""
    out = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES or rule.rule.endswith((".xlsx", "/download", ".docx", "/docx")):
            continue
        urls = [rule.rule]
        for conv, args, name in PARAM.findall(rule.rule):
            if conv == "any":
                values = [args.split(",")[0].strip()]
            else:
                values = district["submissions"] if name == "submission_id" else [str(district["ids"][name])]
            pattern = re.compile(r"<(?:\w+(?:\([^)]*\))?:)?" + name + ">")
            urls = [pattern.sub(str(v), u, count=1) for u in urls for v in values]
        out += [(rule.endpoint, u) for u in urls]
    out.append(("filling.round_detail", f"/rounds/{district['demo_round_id']}"))
    return [pair for pair in out if pair[0] != "auth.logout"]


def roles(district) -> dict[str, tuple[str, str] | str | None]:
    return {"anonymous": None, "admin": ("admin", DEMO_PASSWORD), "inspector1": ("inspector1", DEMO_PASSWORD),
            "liaison-nyncj": ("liaison-nyncj", DEMO_PASSWORD),
            "world-inspector": (district["inspector"], DEFAULT_PASSWORD),
            "world-liaison": (district["liaison"], DEFAULT_PASSWORD), "link": district["link"]}


def audit_role(browser, base, urls, credentials, shots, artifacts) -> dict[str, dict]:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True,
                                  has_touch=True, locale="zh-CN", user_agent=WECHAT_UA,
                                  bypass_csp=True)  # lets add_script_tag inject axe under the app's CSP
    page = context.new_page()
    if isinstance(credentials, tuple):
        login(page, base, *credentials)
        page.wait_for_url(lambda url: "/login" not in url)
    elif isinstance(credentials, str):
        page.goto(base + credentials)
    found, refusals, seen = {}, set(), set()
    try:
        for endpoint, url in urls:
            head = context.request.get(base + url, max_redirects=5)
            if "text/html" not in head.headers.get("content-type", "") or head.status in refusals \
                    or urlsplit(head.url).path in seen:  # a download, a second refusal, a page seen
                continue
            seen.add(urlsplit(head.url).path)
            if head.status >= 400:
                refusals.add(head.status)
            page.goto(base + url)
            page.wait_for_load_state("load")
            if endpoint not in shots:
                shots.add(endpoint)
                page.screenshot(path=str(artifacts / f"{endpoint}.png"), full_page=True)
            found[url] = {"endpoint": endpoint, "status": head.status, **audit(page)}
    finally:
        context.close()
    return found


def test_every_page_for_every_role_passes_axe_and_tap_targets(app, live_server, browser, district,
                                                             artifacts_dir):
    urls = page_urls(app, district)
    shots_dir = artifacts_dir / "a11y"
    shots_dir.mkdir(exist_ok=True)
    shots, report, problems = set(), {}, []
    for role, credentials in roles(district).items():
        report[role] = audit_role(browser, live_server, urls, credentials, shots, shots_dir)
        problems += [f"{role} {url}: {f}" for url, page in report[role].items() for f in failures(page)]
    audits = [page for pages in report.values() for page in pages.values()]
    by_rule = Counter(f"{v['impact']} {v['id']}" for page in audits for v in page["axe"])  # pages
    elements = Counter()
    for page in audits:
        elements.update({f"{v['impact']} {v['id']}": len(v["nodes"]) for v in page["axe"]})
        elements.update({"small tap target": len(page["small_targets"]), "duplicate id": len(page["duplicate_ids"])})
    (artifacts_dir / "accessibility.json").write_text(json.dumps(
        {"pages_by_rule": by_rule, "elements_by_rule": +elements, "failures": problems, "pages": report},
        ensure_ascii=False, indent=1))
    audited = sum(len(pages) for pages in report.values())
    assert audited > 60 and len(report["admin"]) > 30, f"only {audited} pages audited"
    assert problems == [], f"{len(problems)} failures, by rule {dict(by_rule)}:\n" + "\n".join(problems[:80])
