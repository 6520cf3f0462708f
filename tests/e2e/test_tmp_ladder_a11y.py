from tests.e2e.test_accessibility import audit_role, district, failures  # noqa: F401
from survey.seed_data import DEMO_PASSWORD


def test_ladder_pages(app, live_server, browser, district, artifacts_dir):
    rid = district["ids"]["round_id"]
    unit = district["ids"]["unit_id"]
    urls = [("calendar.index", "/admin/calendar"), ("reminders.ladder_page", f"/rounds/{rid}/ladder"),
            ("admin.unit_edit", f"/admin/units/{unit}"), ("filling.round_detail", f"/rounds/{rid}"),
            ("home.index", "/")]
    shots = artifacts_dir / "a11y-ladder"
    shots.mkdir(exist_ok=True)
    found = audit_role(browser, live_server, urls, ("admin", DEMO_PASSWORD), set(), shots)
    problems = [f"{u}: {f}" for u, p in found.items() for f in failures(p)]
    print(shots)
    assert len(found) == 5 and problems == [], "\n".join(problems)
