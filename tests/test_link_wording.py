"""The flash after 开通: the first time says 已开通, a second time 已重新生成 and that the old link stopped."""
from __future__ import annotations

from tests.conftest import csrf_from
from tests.test_links import world  # noqa: F401  (the fixture: a round in progress, units with liaisons)


def test_first_issue_says_opened_and_the_next_says_regenerated(client, db, world, login):  # noqa: F811
    login(world["admin"])
    rid, uid, name = world["round"].id, world["unit"].id, world["unit"].name
    token = csrf_from(client.get(f"/rounds/{rid}/links").get_data(as_text=True))
    first = client.post(f"/rounds/{rid}/links/{uid}/issue", data={"csrf_token": token}, follow_redirects=True)
    text = first.get_data(as_text=True)
    assert f"已开通“{name}”的免密链接" in text and "重新生成）" not in text and "旧链接已失效" not in text
    again = client.post(f"/rounds/{rid}/links/{uid}/issue", data={"csrf_token": token}, follow_redirects=True)
    assert f"已重新生成“{name}”的免密链接，旧链接已失效" in again.get_data(as_text=True)
