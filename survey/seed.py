"""Loading the demo district into an empty database: the bare district (units, groups, accounts,
built-in questionnaires), then, unless empty=True, the living demo (survey/demo)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from survey.admin import operations
from survey.demo.build import build_living
from survey.demo.contacts import demo_contacts
from survey.demo.fieldwork import DemoUnit
from survey.extensions import db
from survey.models import Role, Round, SupervisionGroup, Unit, User
from survey.questionnaires.operations import import_questionnaire
from survey.seed_data import DEMO_GROUPS, DEMO_INSPECTORS, DEMO_PASSWORD, DEMO_UNITS, SURNAMES


def is_empty() -> bool:
    return not db.session.scalar(select(func.count(User.id)))


def seed_demo(empty: bool = False) -> dict[str, int]:
    """Create the demo district. The caller commits. Accounts need no password change."""
    admin = operations.create_user(None, username="admin", display_name="区直工委管理员",
                                   role=Role.ADMIN.value, password=DEMO_PASSWORD,
                                   must_change_password=False)
    # One hash for every demo account: 90 more scrypt runs would make seeding slow.
    same = admin.password_hash
    groups = [SupervisionGroup(name=name) for name in DEMO_GROUPS]
    db.session.add_all(groups)
    units = []
    for i, (name, category, slug) in enumerate(DEMO_UNITS):
        contact = SURNAMES[i % len(SURNAMES)] + "联络员"
        unit = Unit(name=name, category=category, contact_name=contact,
                    contact_phone=f"1390000{i + 1:04d}", group=groups[i % len(groups)])
        units.append((unit, slug, i % len(groups)))
    db.session.add_all(u for u, _, _ in units)
    db.session.flush()
    db.session.add_all(demo_contacts([u for u, _, _ in units]))
    inspectors: list[list[User]] = [[] for _ in groups]
    for username, display, group_index, phone in DEMO_INSPECTORS:
        inspectors[group_index].append(operations.create_user(
            admin, username=username, display_name=display, role=Role.INSPECTOR.value, password=DEMO_PASSWORD,
            phone=phone, group_ids=[groups[group_index].id], must_change_password=False, password_hash=same))
    demo_units = [DemoUnit(unit, slug, operations.create_user(
        admin, username=f"liaison-{slug}", display_name=unit.contact_name, role=Role.UNIT.value,
        password=DEMO_PASSWORD, unit_id=unit.id, phone=unit.contact_phone, must_change_password=False,
        password_hash=same), group_index) for unit, slug, group_index in units]
    db.session.flush()
    forms = load_builtin_questionnaires(admin)
    counts = {"units": len(units), "groups": len(groups), "users": 1 + len(DEMO_INSPECTORS) + len(units),
              "questionnaires": len(forms), "rounds": 0, "problems": 0}
    if not empty:
        counts.update(build_living(admin, demo_units, inspectors, forms))
    return counts


def demo_round_id() -> int | None:
    """The demo's current round (the newest one): what benches and screenshots look at."""
    return db.session.scalar(select(Round.id).order_by(Round.starts_on.desc(), Round.id.desc()).limit(1))


BUILTIN = Path(__file__).resolve().parent / "builtin"
BUILTIN_FORMS = ("廉洁机关建设自查表.xlsx", "上门问诊督导记录表.xlsx")


def load_builtin_questionnaires(actor: User | None):
    """The two forms that ship with the product, through the importer users use, published."""
    versions = []
    for filename in BUILTIN_FORMS:
        version, _ = import_questionnaire(actor, (BUILTIN / filename).read_bytes(), filename, publish=True)
        versions.append(version)
    return versions


DEMO_ACCOUNTS = [
    ("admin", "管理员"),
    ("inspector1", "第一督导组 督导员"),
    ("inspector2", "第二督导组 督导员"),
    ("liaison-nyncj", "农业农村局 联络员（其余单位: liaison-<单位简拼>, 见 用户 页）"),
]
