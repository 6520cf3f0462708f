"""What happens to each problem after it is found: the unit accepts, works, uploads evidence and
reports; the group verifies or returns; the administrator rules on 延期 or cancels. Every step is
one of the ledger's ACTIONS (or add_evidence), at its own moment."""
from __future__ import annotations

from datetime import datetime, timedelta

from survey.demo import pictures
from survey.demo.fieldwork import MAX_BYTES, District, DemoUnit
from survey.demo.timeline import acting_at, moment, spread
from survey.ledger.evidence import add_evidence
from survey.ledger.operations import ACTIONS
from survey.models import Problem

MEASURES = ["对照问题清单逐项整改，修订完善相关制度，组织专题学习",
            "召开党组（党委）会议专题研究，明确分管领导牵头整改，建立整改台账"]
PROGRESS = ["已完成制度修订初稿，正在征求意见", "已组织专题学习 1 次，整改台账已建立"]
RESULTS = ["已按要求完成整改，相关制度已印发执行，学习记录已归档",
           "整改措施已全部落实，补签承诺书并更新公示内容"]
RETURN_REASON = "佐证材料不能反映整改成效，请补充制度文件和执行记录"
EXTENSION_REASON = "涉及制度修订，需经党组（党委）会议审议后印发，申请延期"

FATES = {  # the steps that lead a new problem (待整改) to where the demo shows it
    "open": [],
    "in_progress": ["accept", "progress"],
    "pending_review": ["accept", "evidence", "report"],
    "returned": ["accept", "evidence", "report", "return"],
    "pending_extension": ["accept", "extend"],
    "extended": ["accept", "extend", "approve", "progress"],
    "closed": ["accept", "progress", "evidence", "report", "verify"],
    "closed_after_return": ["accept", "evidence", "report", "return", "evidence", "report", "verify"],
    "cancelled": ["cancel"],
}


def _evidence(d: District, u: DemoUnit, p: Problem) -> None:
    if d.rng.random() < 0.15:
        data, name = pictures.document_pdf(d.rng, f"{p.code} report"), f"{p.code}整改报告.pdf"
    else:
        data, name = pictures.photo(d.rng, f"{p.code} zhenggai"), f"{p.code}整改照片.jpg"
    add_evidence(u.liaison, p, data, name, MAX_BYTES)


def _step(d: District, u: DemoUnit, p: Problem, step: str) -> None:
    act, liaison, rng = ACTIONS, u.liaison, d.rng
    if step == "accept":
        planned = p.deadline or p.found_on + timedelta(days=30)
        act["accept"](liaison, p, None, measures=rng.choice(MEASURES), responsible_person=u.unit.contact_name,
                      planned_on=planned)
    elif step == "progress":
        act["update_progress"](liaison, p, None, progress=rng.choice(PROGRESS))
    elif step == "evidence":
        _evidence(d, u, p)
    elif step == "report":
        act["report"](liaison, p, None, result=rng.choice(RESULTS))
    elif step == "verify":
        act["verify"](d.inspector(u), p, None, comment="经核验，整改到位，同意销号")
    elif step == "return":
        act["return"](d.inspector(u), p, None, comment=RETURN_REASON)
    elif step == "extend":
        base = max(p.deadline or d.today, d.today)
        act["request_extension"](liaison, p, None, new_deadline=base + timedelta(days=21), comment=EXTENSION_REASON)
    elif step == "approve":
        act["approve_extension"](d.admin, p, None, comment="同意延期，请按新时限完成整改")
    elif step == "cancel":
        act["cancel"](d.admin, p, None, comment="与本单位另一问题重复登记，予以撤销")


def carry_out(d: District, u: DemoUnit, p: Problem, fate: str, until: datetime) -> None:
    """Take p through its fate's steps, spread from a day after it was found until `until`."""
    steps = FATES[fate]
    if not steps:
        return
    start = moment(p.found_on + timedelta(days=1), 9)
    end = min(until, start + timedelta(days=6 * len(steps)))
    for when, step in zip(spread(start, end, len(steps)), steps):
        with acting_at(when):
            _step(d, u, p, step)
