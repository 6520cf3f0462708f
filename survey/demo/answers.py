"""Answers a liaison or an inspector would give: 'yes' everywhere except the chosen findings,
every required question answered, hidden questions left alone (as the form does)."""
from __future__ import annotations

import random
from datetime import date, timedelta

from survey.xlsform.expressions import evaluate

FINDINGS = {  # free-text findings an inspector writes on site, by the field's section
    "f_political": ["党组会议“第一议题”学习记录不完整，个别会议未留存学习材料",
                    "民主生活会查摆问题不够具体，整改清单未明确责任人"],
    "f_learning": ["年度学习计划未结合业务实际，“每季一研讨”缺少研讨记录",
                   "部分干部学习笔记内容简单，心得体会流于形式"],
    "f_service": ["服务窗口未公开监督电话，群众意见箱长期未开启",
                  "一次性告知制度执行不到位，群众反映多次跑腿"],
    "f_rule_of_law": ["廉政风险防控图未随岗位调整及时更新",
                      "“三重一大”事项个别未经集体研究即组织实施"],
    "f_integrity": ["部分新入职干部未签订廉洁自律承诺书",
                    "以案促改警示教育仅传达文件，未组织专题讨论"],
    "f_efficiency": ["重点工作事项清单未明确办毕时限，销号记录缺失",
                     "行政审批事项办理时限未按承诺压缩"],
}
NOTES = ["已对照问题逐项分析原因，制定整改方案，明确责任人和完成时限。",
         "已召开专题会议研究，计划在一个月内完成整改并报送整改情况。"]
RECORDS = ["围绕“六型机关”建设情况现场提问 {n} 人次，回答基本准确，个别干部对廉政风险点掌握不够。",
           "现场质询 {n} 个问题，主要负责同志逐一作答，对“一岗双责”落实情况说明清楚。"]


def is_yes_no(q) -> bool:
    return q.type in ("check", "single") and {o["name"] for o in q.options()} >= {"yes", "no"}


def finding_questions(version) -> list:
    """The questions whose answer can raise a problem: the yes/no checks and the free-text findings."""
    return [q for q in version.questions
            if q.problem_if_ast is not None and (is_yes_no(q) or q.name in FINDINGS)]


def _number(rng: random.Random, q) -> int:
    p = q.parameters or {}
    if q.type == "score":
        return rng.randint(7, 9)
    low, high = p.get("min", 0), p.get("max", 100)
    return rng.randint(max(low, 3), min(high, 40))


def _value(rng: random.Random, q, version, findings: set[str], day: date, signer: tuple[str, str]):
    t, name = q.type, q.name
    if is_yes_no(q):
        return "no" if name in findings else "yes"
    if name == "r3":
        return "partial" if name in findings else "full"
    if name == "s_overall":
        return rng.choice(["good", "fair"])
    if t in ("check", "single"):
        return q.options()[0]["name"]
    if t == "multiple":
        options = [o["name"] for o in q.options()]
        return rng.sample(options, 2)
    if t in ("integer", "score"):
        return 5 if name in findings else _number(rng, q)
    if t == "date":
        return (day if name == "o4" else day - timedelta(days=rng.randint(3, 25))).isoformat()
    if t == "photo":
        return None
    return _text(rng, q, findings, signer)


def _text(rng: random.Random, q, findings: set[str], signer: tuple[str, str]):
    name = q.name
    if name in FINDINGS:
        return rng.choice(FINDINGS[name]) if name in findings else None
    if q.problem_if_ast is not None:
        return None  # a free-text field that raises problems: empty unless chosen
    if name == "o2":
        return signer[0]
    if name == "o3":
        return signer[1]
    if name == "q_record":
        return rng.choice(RECORDS).format(n=rng.randint(3, 8))
    if name.endswith("_note") or name == "s_advice":
        return rng.choice(NOTES)
    if name == "ob_notes":
        return "干部精神状态饱满，办公场所张贴廉洁文化宣传内容。"
    return None


def answers_for(rng: random.Random, version, findings: set[str], day: date,
                signer: tuple[str, str] = ("", "")) -> dict:
    """Answers in questionnaire order, each question answered only when it shows."""
    answers: dict = {}
    for section in version.sections:
        if section.relevant_ast is not None and not evaluate(section.relevant_ast, answers, None):
            continue
        for q in section.questions:
            if q.relevant_ast is not None and not evaluate(q.relevant_ast, answers, None):
                continue
            value = _value(rng, q, version, findings, day, signer)
            if value is not None:
                answers[q.name] = value
    return answers


def partial(rng: random.Random, answers: dict) -> dict:
    """What a draft holds: the first third to two thirds of the answers."""
    keys = list(answers)
    keep = keys[: max(1, int(len(keys) * rng.uniform(0.3, 0.65)))]
    return {k: answers[k] for k in keep}
