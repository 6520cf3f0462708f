"""Plain helpers that create rows for tests; they flush and commit."""
from __future__ import annotations

import itertools

from survey.extensions import db
from survey.models import Role, SupervisionGroup, Unit, User
from survey.passwords import hash_password

DEFAULT_PASSWORD = "Test@12345"
_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def _hash(password: str) -> str:
    if password not in _hash_cache:
        _hash_cache[password] = hash_password(password)
    return _hash_cache[password]


def make_unit(name: str | None = None, **kw) -> Unit:
    unit = Unit(name=name or f"测试单位{next(_seq)}", category=kw.pop("category", "政府部门"), **kw)
    db.session.add(unit)
    db.session.commit()
    return unit


def make_group(name: str | None = None, members=(), units=()) -> SupervisionGroup:
    group = SupervisionGroup(name=name or f"督导组{next(_seq)}")
    group.members = list(members)
    group.units = list(units)
    db.session.add(group)
    db.session.commit()
    return group


def make_user(role: str | Role = Role.ADMIN, username: str | None = None, unit: Unit | None = None,
              groups=(), password: str = DEFAULT_PASSWORD, **kw) -> User:
    role = role.value if isinstance(role, Role) else role
    if role == Role.UNIT.value and unit is None:
        unit = make_unit()
    user = User(username=username or f"{role}{next(_seq)}", display_name=kw.pop("display_name", "测试用户"),
                role=role, unit=unit, password_hash=_hash(password), **kw)
    user.groups = list(groups)
    db.session.add(user)
    db.session.commit()
    return user
