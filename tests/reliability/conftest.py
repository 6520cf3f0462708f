"""Fixtures of the reliability suite: the miniature district (tests/reliability/world.py)."""
from __future__ import annotations

import pytest

from tests.reliability import world as world_module


@pytest.fixture()
def instance(app, tmp_path, monkeypatch):
    """Each test its own instance folder: uploads, evidence and exports never shared."""
    monkeypatch.setattr(app, "instance_path", str(tmp_path / "instance"))
    return tmp_path / "instance"


@pytest.fixture()
def world(app, db, instance):
    return world_module.build(db, instance)
