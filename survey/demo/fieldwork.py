"""Rounds, self-checks and visits of the demo, each at its own moment, through the filling
operations a liaison's or an inspector's page calls."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from survey.demo import pictures
from survey.demo.answers import answers_for, finding_questions, partial
from survey.demo.timeline import acting_at, moment
from survey.extensions import db
from survey.filling import operations as filling
from survey.filling.photos import store_photo
from survey.ledger.operations import register_problem
from survey.models import Problem, QuestionnaireVersion, Round, Unit, User
from survey.questionnaires.cache import version_view

MAX_BYTES = 10 * 1024 * 1024
RETURN_REASON = "自查情况过于简单，“存在的问题及整改打算”未结合本单位实际，请补充后重新提交"
ATTENDEES = "单位主要负责人、分管领导、纪检干部、联络员"


@dataclass
class DemoUnit:
    unit: Unit
    slug: str
    liaison: User
    group_index: int


@dataclass
class District:
    admin: User
    units: list[DemoUnit]
    inspectors: list[list[User]]          # per group, in DEMO_INSPECTORS order
    forms: list[QuestionnaireVersion]     # self-check, on-site
    rng: random.Random
    today: date
    now: datetime
    problems: dict[int, list[Problem]] = field(default_factory=dict)   # round id -> problems found

    def inspector(self, u: DemoUnit) -> User:
        return self.inspectors[u.group_index][0]


def make_round(d: District, *, name: str, code: str, starts_on: date, ends_on: date,
               deadline: date) -> Round:
    with acting_at(moment(starts_on - timedelta(days=7), 9, 30)):
        return filling.create_round(d.admin, name=name, code=code, starts_on=starts_on, ends_on=ends_on,
                                    self_check_deadline=deadline, self_check_version=d.forms[0],
                                    onsite_version=d.forms[1], units=[u.unit for u in d.units])


def pick_findings(d: District, version_id: int, weights: list[float], count: int | None = None) -> set[str]:
    """How many of the questionnaire's finding questions this unit gets wrong (drawn by weights
    unless given), and which."""
    drawn = d.rng.choices(range(len(weights)), weights)[0]
    count = drawn if count is None else count
    names = [q.name for q in finding_questions(version_view(version_id))]
    return set(d.rng.sample(names, count))


def self_check(d: District, rnd: Round, u: DemoUnit, day: date, findings: set[str], submit: bool,
               photo: bool = False, returned: bool = False) -> None:
    """The liaison opens the self-check, saves a draft, maybe adds a photo, maybe submits (what it
    finds takes the round's default 整改时限); the administrator may send it back (退回)."""
    version = version_view(rnd.self_check_version_id)
    full = answers_for(d.rng, version, findings, day, (u.unit.contact_name, u.unit.contact_phone))
    with acting_at(moment(day - timedelta(days=2), 15, d.rng.randint(0, 59))):
        sub = filling.open_submission(rnd, u.unit, "self_check", u.liaison)
        db.session.flush()
        filling.save_draft(u.liaison, sub, {"answers": partial(d.rng, full)}, sub.lock_version)
    if not submit:
        return
    with acting_at(moment(day, 9 + d.rng.randint(0, 7), d.rng.randint(0, 59))):
        if photo:
            _photo(d, u.liaison, sub, "i3", f"{u.unit.name} lianjie chengnuo")
        filling.submit(u.liaison, sub, {"answers": full}, f"demo-{rnd.code}-{u.unit.id}-s")
    found = _found_by(sub.id)
    d.problems.setdefault(rnd.id, []).extend(found)
    if returned:
        with acting_at(moment(day + timedelta(days=2), 16, 20)):
            filling.reopen(d.admin, sub, RETURN_REASON)


def visit(d: District, rnd: Round, u: DemoUnit, day: date, findings: set[str], submit: bool,
          photos: int = 1) -> None:
    """The group visits: opens the on-site form, photos, reviews the problems (整改时限 as the round's
    defaults fill them in), submits."""
    version = version_view(rnd.onsite_version_id)
    inspector = d.inspector(u)
    full = answers_for(d.rng, version, findings, day)
    facts = {"visit_date": day.isoformat(), "place": u.unit.name, "attendees": ATTENDEES,
             "member_ids": [i.id for i in d.inspectors[u.group_index]]}
    with acting_at(moment(day, 9, d.rng.randint(0, 40))):
        sub = filling.open_submission(rnd, u.unit, "visit", inspector)
        db.session.flush()
        filling.save_draft(inspector, sub, {"answers": partial(d.rng, full), "facts": facts}, sub.lock_version)
        for n in range(photos):
            _photo(d, inspector, sub, "ob_photos", f"{u.unit.name} xianchang {n + 1}")
    if not submit:
        return
    with acting_at(moment(day, 11, d.rng.randint(0, 59))):
        filling.submit(inspector, sub, {"answers": full, "facts": facts, "found": []},
                       f"demo-{rnd.code}-{u.unit.id}-v")
    d.problems.setdefault(rnd.id, []).extend(_found_by(sub.id))


def _key(q) -> str:
    return f"{q.name}#1" if q.type in ("text", "textarea") else q.name


def _photo(d: District, actor: User, sub, question: str, label: str) -> None:
    count = len(sub.photos) if sub.photos is not None else 0
    store_photo(actor, sub, question, f"demo-{sub.id}-{question}-{count}", pictures.photo(d.rng, label),
                f"IMG_{sub.id:04d}{count}.jpg", MAX_BYTES)
    db.session.expire(sub, ["photos"])


def _found_by(submission_id: int) -> list[Problem]:
    return list(db.session.scalars(select(Problem).where(Problem.submission_id == submission_id)
                                   .order_by(Problem.id)))


def on_site_fix(d: District, rnd: Round, u: DemoUnit, day: date, description: str, result: str) -> Problem:
    """立行立改: found and fixed during the visit, closed at once."""
    with acting_at(moment(day, 10, 30)):
        return register_problem(d.inspector(u), rnd=rnd, unit=u.unit, category="廉洁型机关",
                                description=description, severity="一般", deadline=None, found_on=day,
                                on_site_result=result)
