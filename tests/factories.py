"""Plain helpers that create rows for tests; they flush and commit."""
from __future__ import annotations

import itertools
from datetime import date, timedelta

from survey import clock
from survey.extensions import db
from survey.models import Role, SupervisionGroup, Unit, User
from survey.passwords import hash_password

DEFAULT_PASSWORD = "Test@12345"
_seq = itertools.count(1)
_hash_cache: dict[str, str] = {}


def still_open(ends_on: date) -> date:
    """A round's end date that has not passed yet: the fixtures' rounds are dated in the past (2023)
    and would refuse every submit made at today's date (Round.has_ended); ends_on when the test's
    clock is frozen before it, else a year from today."""
    return ends_on if clock.today() <= ends_on else clock.today() + timedelta(days=365)


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


def make_forms(admin, title: str = "{kind}") -> list:
    """A published self-check and on-site questionnaire of one check question each (q1)."""
    from survey.questionnaires import editing
    from survey.questionnaires import operations as qops

    versions = []
    for kind in ("self_check", "onsite"):
        v = qops.create_questionnaire(admin, title.format(kind=kind), kind)
        editing.save_question(v.sections[0], None, {"name": "q1", "type": "check", "label": "检查项"}, "")
        qops.publish_version(admin, v)
        versions.append(v)
    return versions


def make_ledger_world(db) -> dict:
    """Two units in a round, each covered by its group; a liaison per unit; the first unit's
    self-check opened (problems attach to it)."""
    from datetime import date

    from survey.filling import operations as filling

    admin = make_user(Role.ADMIN, username="boss")
    unit, other_unit = make_unit("农业农村局"), make_unit("财政局")
    checker = make_user(Role.INSPECTOR, username="checker")
    other_inspector = make_user(Role.INSPECTOR, username="other-insp")
    make_group("第一督导组", members=[checker], units=[unit])
    make_group("第二督导组", members=[other_inspector], units=[other_unit])
    users = {"unit": make_user(Role.UNIT, username="liaison", unit=unit),
             "other_unit": make_user(Role.UNIT, username="liaison-other", unit=other_unit),
             "checker": checker, "other_inspector": other_inspector, "admin": admin}
    versions = make_forms(admin)
    rnd = filling.create_round(admin, name="2023年批次", code="2023", starts_on=date(2023, 1, 1),
                               ends_on=still_open(date(2023, 12, 31)), self_check_deadline=date(2023, 4, 30),
                               self_check_version=versions[0], onsite_version=versions[1],
                               units=[unit, other_unit])
    sub = filling.open_submission(rnd, unit, "self_check", admin)
    db.session.commit()
    return {"users": users, "round": rnd, "unit": unit, "submission": sub, "admin": admin}
