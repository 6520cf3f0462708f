"""The living district: an earlier round fully closed, and the current round in full swing
(self-check deadline ahead, visits half done, problems in every state and colour)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from survey import clock
from survey.demo import fieldwork as fw
from survey.demo.fieldwork import District, DemoUnit
from survey.demo.rectify import carry_out
from survey.demo.timeline import acting_at, moment
from survey.extensions import db
from survey.ledger import rules
from survey.ledger.operations import ACTIONS
from survey.models import FINAL, Problem, Round

SEED = 2026
SOLVED = 80  # the seed document: 80 problems solved by the two groups
NOT_STARTED = ("qsyxx", "qtsg", "lwx", "tyz", "qjrb", "qhszh")   # self-check not opened yet
DRAFTS = ("tjj", "qkjj", "qwhg", "tqw", "hxz", "qcl")             # self-check saved, not submitted
VISITED = ("nyncj", "qwb", "czj", "qzfb")                          # visits always done
VISIT_DRAFTS = ("xzspj", "qwzzb")                                  # visit under way
RETURNED = ("qwtzb",)                                              # self-check sent back by the admin
LATE = "tjj"             # the earlier round's self-check came in after its deadline (逾期提交)
FEATURED = "nyncj"  # liaison-nyncj, the README's unit account: one problem in each state to act on
FEATURED_FATES = ["open", "pending_extension", "returned", "pending_review", "in_progress", "closed"]
ON_SITE = [("廉洁文化宣传栏内容陈旧，未及时更新", "现场督促更换宣传栏内容，已张贴最新廉洁文化宣传材料"),
           ("服务窗口未公示监督电话", "现场责成窗口负责人补充公示监督电话，已整改到位"),
           ("会议室张贴的廉政风险防控图为旧版", "现场更换为本年度修订后的廉政风险防控图")]
ON_SITE_VISITS = 6


def build_living(admin, units: list[DemoUnit], inspectors, forms) -> dict[str, int]:
    today = clock.today()
    d = District(admin=admin, units=units, inspectors=inspectors, forms=forms, rng=random.Random(SEED),
                 today=today, now=clock.utcnow())
    earlier = _earlier_round(d)
    current, on_site = _current_round(d)
    solved_before = len(d.problems.get(earlier.id, []))
    _assign_fates(d, current, max(10, SOLVED - solved_before - on_site))
    db.session.flush()
    problems = sum(len(v) for v in d.problems.values()) + on_site
    return {"rounds": 2, "problems": problems}


def _earlier_round(d: District) -> Round:
    starts = d.today - timedelta(days=270)
    rnd = fw.make_round(d, name=f"{starts.year}年廉洁机关建设上门问诊（首轮）", code=f"{starts.year}A",
                        starts_on=starts, ends_on=starts + timedelta(days=120),
                        deadline=starts + timedelta(days=30))
    tasks = []
    for u in d.units:
        sc_day = starts + timedelta(days=d.rng.randint(5, 28))
        if u.slug == LATE:
            sc_day = rnd.self_check_deadline + timedelta(days=3)
        findings = fw.pick_findings(d, rnd.self_check_version_id, [0.9, 0.1])
        tasks.append((sc_day, 0, u.unit.id, lambda u=u, day=sc_day, f=findings:
                      fw.self_check(d, rnd, u, day, f, submit=True)))
        v_day = starts + timedelta(days=d.rng.randint(35, 70))
        v_findings = fw.pick_findings(d, rnd.onsite_version_id, [0.55, 0.45])
        tasks.append((v_day, 1, u.unit.id, lambda u=u, day=v_day, f=v_findings:
                      fw.visit(d, rnd, u, day, f, submit=True, photos=0)))
    _run(tasks)
    by_unit = {u.unit.id: u for u in d.units}
    until = moment(rnd.ends_on - timedelta(days=5), 16)
    for p in d.problems.get(rnd.id, []):
        fate = "closed_after_return" if d.rng.random() < 0.1 else "closed"
        carry_out(d, by_unit[p.unit_id], p, fate, until)
    return rnd


def _run(tasks: list) -> None:
    """Work in the order it happened, so problem numbers follow the calendar."""
    for _, _, _, task in sorted(tasks, key=lambda t: t[:3]):
        task()


def _current_round(d: District) -> tuple[Round, int]:
    t = d.today
    rnd = fw.make_round(d, name=f"{t.year}年廉洁机关建设上门问诊（回头看）", code=f"{t.year}B",
                        starts_on=t - timedelta(days=45), ends_on=t + timedelta(days=75),
                        deadline=t + timedelta(days=10))
    tasks, visited = [], []
    for u in d.units:
        if u.slug in NOT_STARTED:
            continue
        sc_day = t - timedelta(days=d.rng.randint(12, 40))
        draft = u.slug in DRAFTS
        findings = fw.pick_findings(d, rnd.self_check_version_id, [0.4, 0.45, 0.15],
                                    3 if u.slug == FEATURED else None)
        photo = d.rng.random() < 0.3
        tasks.append((sc_day, 0, u.unit.id, lambda u=u, day=(t - timedelta(days=1) if draft else sc_day),
                      f=findings, s=not draft, ph=photo: fw.self_check(d, rnd, u, day, f, submit=s, photo=ph,
                                                                       returned=u.slug in RETURNED)))
        if not draft:
            tasks += _current_visit(d, rnd, u, sc_day, visited)
    _run(tasks)
    return rnd, min(len(visited), ON_SITE_VISITS)


def _current_visit(d: District, rnd: Round, u: DemoUnit, sc_day: date, visited: list) -> list:
    t = d.today
    if u.slug in VISIT_DRAFTS:
        return [(t - timedelta(days=1), 1, u.unit.id, lambda: fw.visit(d, rnd, u, t - timedelta(days=1), set(),
                                                                        submit=False, photos=1))]
    earliest = max(sc_day + timedelta(days=3), t - timedelta(days=32))
    if earliest > t - timedelta(days=2) or (u.slug not in VISITED and d.rng.random() < 0.45):
        return []
    day = earliest + timedelta(days=d.rng.randint(0, (t - timedelta(days=2) - earliest).days))
    findings = fw.pick_findings(d, rnd.onsite_version_id, [0.0, 0.55, 0.35, 0.1],
                                3 if u.slug == FEATURED else None)
    photos = d.rng.randint(1, 2)
    visited.append(u)
    tasks = [(day, 1, u.unit.id, lambda: fw.visit(d, rnd, u, day, findings, submit=True, photos=photos))]
    if len(visited) <= ON_SITE_VISITS:  # 立行立改 during the first visits
        description, result = ON_SITE[len(visited) % len(ON_SITE)]
        tasks.append((day, 2, u.unit.id, lambda: fw.on_site_fix(d, rnd, u, day, description, result)))
    return tasks


def _assign_fates(d: District, rnd: Round, closed: int) -> None:
    """Share the current round's problems among the fates: `closed` of them closed (a few after a
    退回), a few 退回, 延期 pending or granted, one cancelled, the rest 待整改 / 整改中 / 待核验."""
    problems = list(d.problems.get(rnd.id, []))
    fates = _featured_fates(d, problems)
    d.rng.shuffle(problems)
    near = [p for p in problems if p.deadline and p.deadline <= d.today + timedelta(days=7) and p.id not in fates]
    fates.update({p.id: "pending_extension" for p in near[:2]})
    rest = [p for p in problems if p.id not in fates]
    closed -= sum(1 for f in fates.values() if f == "closed")
    plan = ["closed_after_return"] * 2 + ["closed"] * (closed - 2) + ["returned"] * 2 + ["extended"] * 2 \
        + ["cancelled"]
    left = len(rest) - len(plan)
    plan += ["pending_review"] * (left * 2 // 10) + ["in_progress"] * (left * 4 // 10)
    plan += ["open"] * (len(rest) - len(plan))
    fates.update({p.id: fate for p, fate in zip(rest, plan)})
    by_unit = {u.unit.id: u for u in d.units}
    until = d.now - timedelta(hours=1)
    for p in sorted(problems, key=lambda p: p.id):
        carry_out(d, by_unit[p.unit_id], p, fates[p.id], until)
    _make_sure_of_colours(d, [p for p in problems if p.status not in FINAL])
    _featured_overdue(d, [p for p in problems if fates[p.id] == "open"])
    _long_overdue(d, [p for p in problems if fates[p.id] == "open"])


def _featured_fates(d: District, problems: list[Problem]) -> dict[int, str]:
    """The featured unit's problems, earliest deadline first, one in each state."""
    unit_id = next(u.unit.id for u in d.units if u.slug == FEATURED)
    mine = sorted((p for p in problems if p.unit_id == unit_id), key=lambda p: (p.deadline or d.today, p.id))
    return {p.id: fate for p, fate in zip(mine, FEATURED_FATES + ["closed"] * len(mine))}


def _make_sure_of_colours(d: District, live: list[Problem]) -> None:
    """The contract: inspector1's group sees an overdue problem, and 临期 shows somewhere. Random
    deadlines almost always give both; the administrator's set_deadline fills any gap."""
    group_of = {u.unit.id: u.group_index for u in d.units}
    wanted = [("red", 0, d.today - timedelta(days=3)), ("yellow", 0, d.today + timedelta(days=4)),
              ("red", 1, d.today - timedelta(days=3)), ("yellow", 1, d.today + timedelta(days=4))]
    for colour, group, deadline in wanted:
        mine = [p for p in live if group_of[p.unit_id] == group and p.extension_deadline is None]
        if mine and not any(rules.warning(p, d.today) == colour for p in mine):
            spare = [p for p in mine if rules.warning(p, d.today) in ("green", "")]
            target = next((p for p in spare if p.found_on <= deadline), None)
            if target:
                with acting_at(d.now - timedelta(hours=2)):
                    ACTIONS["set_deadline"](d.admin, target, None, deadline=deadline)


def _featured_overdue(d: District, still_open: list[Problem]) -> None:
    """The featured unit's 待整改 problem is past its deadline (the README says so)."""
    unit_id = next(u.unit.id for u in d.units if u.slug == FEATURED)
    deadline = d.today - timedelta(days=3)
    for p in still_open:
        if p.unit_id == unit_id and rules.warning(p, d.today) != "red" and p.found_on <= deadline:
            with acting_at(d.now - timedelta(hours=2)):
                ACTIONS["set_deadline"](d.admin, p, None, deadline=deadline)


LONG_OVERDUE_DAYS = 30  # past 逾期告诫 (5 working days) and 约谈通报 (10): the first reminder scan reaches the admin


def _long_overdue(d: District, still_open: list[Problem]) -> None:
    """One 待整改 problem of another unit is a month past its deadline, so that the first reminder
    scan fires the ladder's 约谈/通报 step (the administrator's inbox and 待办 are not empty)."""
    featured = next(u.unit.id for u in d.units if u.slug == FEATURED)
    deadline = d.today - timedelta(days=LONG_OVERDUE_DAYS)
    if any(p.deadline and p.deadline <= deadline for p in still_open):
        return
    target = next((p for p in sorted(still_open, key=lambda p: p.id)
                   if p.unit_id != featured and p.found_on <= deadline), None)
    if target:
        with acting_at(d.now - timedelta(hours=2)):
            ACTIONS["set_deadline"](d.admin, target, None, deadline=deadline)
