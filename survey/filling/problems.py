"""Problems raised by answers (problem rules), and creating them in the ledger."""
from __future__ import annotations

import re
from datetime import date

from survey.ledger import categories, creation
from survey.models import Problem, ProblemSource, QuestionnaireVersion, Submission, User
from survey.models.questionnaire import SEVERITIES
from survey.questionnaires.display import answer_text
from survey.xlsform.expressions import evaluate


def proposed_problems(version: QuestionnaireVersion, answers: dict) -> list[dict]:
    """What the questionnaire's problem rules raise for these (already cleaned) answers.
    A free-text finding raises one problem per paragraph."""
    found = []
    for section in version.sections:
        default_category = categories.pick(section.title)
        for q in section.questions:
            value = answers.get(q.name)
            if q.problem_if_ast is None or value in (None, "", []):
                continue
            if not evaluate(q.problem_if_ast, answers, value):
                continue
            base = {"question": q.name, "category": q.problem_category or default_category,
                    "severity": q.problem_severity or "一般"}
            if q.type in ("text", "textarea"):
                parts = [p.strip() for p in re.split(r"\n\s*\n|\n", str(value)) if p.strip()]
                found += [{**base, "key": f"{q.name}#{i}", "description": part} for i, part in enumerate(parts, 1)]
            else:
                found.append({**base, "key": q.name,
                              "description": f"{q.label}（{'回答' if q.type != 'check' else '检查结果'}："
                                             f"{answer_text(q, value, version)}）"})
    return found


def create_problems(submission: Submission, items: list[dict], actor: User, found_on: date) -> list[Problem]:
    """Put the kept items into the ledger as 待整改 (open), each with its creation event, in order.
    An item without a 整改时限 takes the round's default for its severity from found_on (a
    self-check's problems: the day it was submitted; a visit's: the visit date)."""
    kept = [i for i in items if not i.get("dropped")]
    source, rnd = ProblemSource(submission.kind), submission.round
    rows = []
    for item in kept:
        severity = item.get("severity") if item.get("severity") in SEVERITIES else "一般"
        rows.append({"unit_id": submission.unit_id, "category": categories.pick(item.get("category")),
                     "description": str(item.get("description", ""))[:2000], "source": source.value,
                     "found_on": found_on, "severity": severity,
                     "deadline": parse_date(item.get("deadline")) or rnd.default_deadline(severity, found_on),
                     "submission_id": submission.id, "question_name": str(item.get("question") or "")[:64]})
    return creation.create_problems(submission.round, rows, actor_id=actor.id, comment=f"{source.label}发现",
                                    changes=[{"submission_id": submission.id}] * len(rows))


def parse_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
