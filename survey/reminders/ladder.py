"""Editing a round's ladder: add, edit, reorder and disable steps, all checked before anything is
stored (ValidationFailed names each bad field), with each step's optimistic lock_version."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from survey import audit
from survey.errors import STALE_MESSAGE, DomainError, StaleConflict, ValidationFailed
from survey.extensions import db
from survey.models import Audience, ChannelKind, LadderStep, LadderTarget, Round, User
from survey.notices.numbering import NOTICE_KINDS

TARGET_LABELS = {LadderTarget.PROBLEM.value: "问题整改时限", LadderTarget.SELF_CHECK.value: "自查截止日期"}
AUDIENCE_CHOICES = [(a.value, label) for a, label in (
    (Audience.LIAISON, "单位联络员"), (Audience.LEADER, "分管领导"), (Audience.HEAD, "主要负责人"),
    (Audience.GROUP, "督导组"), (Audience.ADMIN, "管理员"))]
CHANNEL_CHOICES = [(c.value, c.label) for c in ChannelKind]
NOTICE_CHOICES = [("", "不印发文书")] + [(k, v.title) for k, v in NOTICE_KINDS.items()]
KEY = re.compile(r"^[a-z0-9_]{1,32}$")
MAX_OFFSET = 90
FIELDS = ("name", "key", "position", "offset_days", "working_days", "audience", "channels", "notice_kind",
          "urgent", "flag_admin", "enabled")


@dataclass
class StepInput:
    """One row of the ladder form, as posted (strings), and where its errors go (prefix)."""
    prefix: str
    id: int | None
    lock_version: int | None
    target: str
    values: dict


def steps_of(rnd: Round) -> dict[str, list[LadderStep]]:
    steps = db.session.scalars(select(LadderStep).where(LadderStep.round_id == rnd.id)
                               .order_by(LadderStep.target, LadderStep.position, LadderStep.id))
    out: dict[str, list[LadderStep]] = {t.value: [] for t in LadderTarget}
    for step in steps:
        out.setdefault(step.target, []).append(step)
    return out


def _int(raw, field: str, errors: list, message: str, lo: int, hi: int) -> int | None:
    try:
        value = int(str(raw).strip())
    except (TypeError, ValueError):
        errors.append((field, message))
        return None
    if not lo <= value <= hi:
        errors.append((field, f"须在 {lo} 到 {hi} 之间"))
        return None
    return value


def clean_row(row: StepInput, errors: list) -> dict:
    """The row's values checked one by one; each problem appended as (field name, Chinese message)."""
    v, p = row.values, row.prefix
    out: dict = {}
    name = (v.get("name") or "").strip()
    if not name:
        errors.append((f"{p}name", "请输入步骤名称"))
    elif len(name) > 32:
        errors.append((f"{p}name", "步骤名称不超过 32 个字"))
    out["name"] = name
    key = (v.get("key") or "").strip()
    if not KEY.match(key):
        errors.append((f"{p}key", "标识为 1–32 位小写字母、数字或下划线"))
    out["key"] = key
    out["position"] = _int(v.get("position"), f"{p}position", errors, "顺序须为整数", 1, 99)
    out["offset_days"] = _int(v.get("offset_days"), f"{p}offset_days", errors,
                              "天数须为整数（负数为时限前，0 为当天，正数为时限后）", -MAX_OFFSET, MAX_OFFSET)
    out["working_days"] = bool(v.get("working_days"))
    audience = list(v.get("audience") or [])
    known = {a for a, _ in AUDIENCE_CHOICES}
    unknown = [a for a in audience if a not in known]
    if unknown:
        errors.append((f"{p}audience", f"未知的发送对象：{'、'.join(unknown)}"))
    elif not audience:
        errors.append((f"{p}audience", "请至少选择一个发送对象"))
    out["audience"] = [a for a, _ in AUDIENCE_CHOICES if a in audience]
    channels = list(v.get("channels") or [])
    known = {c for c, _ in CHANNEL_CHOICES}
    unknown = [c for c in channels if c not in known]
    if unknown:
        errors.append((f"{p}channels", f"未知的发送渠道：{'、'.join(unknown)}"))
    out["channels"] = [c for c, _ in CHANNEL_CHOICES if c in channels]
    kind = v.get("notice_kind") or ""
    if kind and kind not in NOTICE_KINDS:
        errors.append((f"{p}notice_kind", "未知的文书类型"))
    out["notice_kind"] = kind
    for flag in ("urgent", "flag_admin", "enabled"):
        out[flag] = bool(v.get(flag))
    return out


def save_ladder(actor: User, rnd: Round, rows: list[StepInput]) -> list[LadderStep]:
    """Apply the posted ladder of rnd: existing rows by id (with their lock_version), new rows without.
    Every check runs before any change; a refusal raises ValidationFailed with (field, message) pairs."""
    errors: list[tuple[str, str]] = []
    current = {s.id: s for steps in steps_of(rnd).values() for s in steps}
    cleaned: list[tuple[StepInput, dict]] = []
    for row in rows:
        if row.target not in TARGET_LABELS:
            raise DomainError("未知的阶梯类型")
        if row.id is not None:
            step = current.get(row.id)
            if step is None or step.target != row.target:
                raise DomainError("阶梯步骤不存在或不属于本批次")
            if row.lock_version != step.lock_version:
                raise StaleConflict(STALE_MESSAGE)
        cleaned.append((row, clean_row(row, errors)))
    posted = {row.id for row, _ in cleaned if row.id is not None}
    # steps not posted keep their values and take part in the order and key checks
    everyone = [(None, {f: getattr(s, f) for f in FIELDS}, s.target) for i, s in current.items() if i not in posted]
    everyone += [(row, values, row.target) for row, values in cleaned]
    for target in TARGET_LABELS:
        mine = [(row, v) for row, v, t in everyone if t == target]
        keys: dict[str, StepInput | None] = {}
        for row, v in mine:
            if v["key"] and v["key"] in keys and row is not None:
                errors.append((f"{row.prefix}key", f"标识“{v['key']}”重复，同一阶梯内须唯一"))
            keys.setdefault(v["key"], row)
        positions: dict[int, StepInput | None] = {}
        for row, v in mine:
            if v["position"] is not None and v["position"] in positions and row is not None:
                errors.append((f"{row.prefix}position", f"顺序 {v['position']} 重复"))
            positions.setdefault(v["position"], row)
        ordered = sorted((x for x in mine if x[1]["position"] is not None and x[1]["offset_days"] is not None),
                         key=lambda x: x[1]["position"])
        for (prev_row, prev), (row, v) in zip(ordered, ordered[1:]):
            if v["offset_days"] <= prev["offset_days"]:
                culprit = row if row is not None else prev_row
                if culprit is not None:
                    errors.append((f"{culprit.prefix}offset_days",
                                   f"阶梯须按天数从早到晚排列：第 {v['position']} 步（{v['offset_days']} 天）"
                                   f"不晚于第 {prev['position']} 步（{prev['offset_days']} 天）"))
    if errors:
        raise ValidationFailed("督办阶梯有误，未保存", errors)
    changed = []
    for row, values in cleaned:
        if row.id is None:
            step = LadderStep(round_id=rnd.id, target=row.target, **values)
            db.session.add(step)
            changed.append({"new": values["key"]})
        else:
            step = current[row.id]
            diff = audit.changes(step, values)
            if diff:
                changed.append({"key": step.key, **diff})
    db.session.flush()
    if changed:
        audit.record("ladder_update", actor=actor, target=rnd, details={"changes": changed})
    return [s for steps in steps_of(rnd).values() for s in steps]
