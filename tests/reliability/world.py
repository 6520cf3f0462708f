"""A district in miniature for the reliability suite: six units in three groups, a round, and for
every unit a self-check, a visit, a problem, a photo, an evidence file and an export job, each
carrying the unit's secret marker (绝密N号) so that a leak shows up in any response body."""
from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook
from PIL import Image

from survey import clock
from survey.filling import operations as filling
from survey.filling.problems import create_problems
from survey.models import Evidence, ExportJob, Message, Photo, Role, User
from survey.notices.numbering import issue_notice
from survey.questionnaires.operations import import_questionnaire
from survey.storage import get_storage, key_for
from tests.factories import make_group, make_unit, make_user

UNITS, GROUPS = 6, 3


def marker(i: int) -> str:
    return f"绝密{i}号"


def image_bytes(fmt: str = "PNG", size=(32, 24)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buf, fmt)
    return buf.getvalue()


def workbook(kind: str) -> bytes:
    wb = Workbook()
    sheet = wb.active
    sheet.title = "survey"
    for row in (["type", "name", "label", "parameters", "required"],
                ["select_one yn", "q1", "是否落实", None, "yes"],
                ["text", "txt", "情况说明", None, None],
                ["image", "ph", "现场照片", "max=3", None]):
        sheet.append(row)
    choices = wb.create_sheet("choices")
    choices.append(["list_name", "name", "label"])
    choices.append(["yn", "yes", "是"])
    choices.append(["yn", "no", "否"])
    settings = wb.create_sheet("settings")
    settings.append(["form_title", "form_id", "kind"])
    settings.append([f"可靠性{kind}", f"rel_{kind}", kind])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass
class UnitData:
    index: int
    unit: object
    liaison: User
    group_index: int
    ids: dict = field(default_factory=dict)   # param name -> id of this unit's object

    @property
    def marker(self) -> str:
        return marker(self.index)


@dataclass
class World:
    admin: User
    inspectors: list
    units: list
    round_id: int
    instance: Path

    def visible(self, user: User) -> set[int]:
        """Indexes of the units whose data user may see."""
        if user.role == Role.ADMIN.value:
            return {u.index for u in self.units}
        if user.role == Role.UNIT.value:
            return {u.index for u in self.units if u.liaison.id == user.id}
        groups = {i for i, insp in enumerate(self.inspectors) if insp.id == user.id}
        return {u.index for u in self.units if u.group_index in groups}


def _file(instance: Path, folder: str, ext: str, data: bytes) -> tuple[str, str]:
    """A stored file, through the storage (instance/<folder> on the local disk, or the bucket)."""
    name = f"{os.urandom(16).hex()}.{ext}"
    get_storage().put(key_for({"uploads": "photos"}.get(folder, folder), name), data)
    return name, hashlib.sha256(data).hexdigest()


def build(db, instance: Path, submit_every: int = 2) -> World:
    admin = make_user(Role.ADMIN, username="rel-admin")
    inspectors = [make_user(Role.INSPECTOR, username=f"rel-insp{g}") for g in range(GROUPS)]
    units = []
    for i in range(UNITS):
        unit = make_unit(f"可靠性单位{i}")
        units.append(UnitData(i, unit, make_user(Role.UNIT, username=f"rel-liaison{i}", unit=unit), i % GROUPS))
    groups = [make_group(f"可靠性组{g}", members=[inspectors[g]],
                         units=[u.unit for u in units if u.group_index == g]) for g in range(GROUPS)]
    self_check, _ = import_questionnaire(admin, workbook("self_check"), "s.xlsx", publish=True, kind="self_check")
    onsite, _ = import_questionnaire(admin, workbook("onsite"), "o.xlsx", publish=True, kind="onsite")
    rnd = filling.create_round(admin, name="可靠性批次", code="R", starts_on=date(2026, 1, 1),
                               ends_on=max(date(2026, 12, 31), clock.today() + timedelta(days=365)),
                               self_check_deadline=date(2026, 6, 30),
                               self_check_version=self_check, onsite_version=onsite,
                               units=[u.unit for u in units],
                               groups={u.unit.id: groups[u.group_index].id for u in units})
    db.session.flush()
    for u in units:
        _fill_unit(db, u, rnd, inspectors[u.group_index], admin, instance, submit=u.index % submit_every == 0)
    db.session.commit()
    return World(admin, inspectors, units, rnd.id, instance)


def _fill_unit(db, u: UnitData, rnd, inspector, admin, instance: Path, submit: bool) -> None:
    sc = filling.open_submission(rnd, u.unit, "self_check", u.liaison)
    visit = filling.open_submission(rnd, u.unit, "visit", inspector)
    db.session.flush()
    answers = {"q1": "yes", "txt": f"{u.marker}自查说明"}
    filling.save_draft(u.liaison, sc, {"answers": answers}, sc.lock_version)
    filling.save_draft(inspector, visit, {"answers": {"txt": f"{u.marker}问诊记录"}}, visit.lock_version)
    photo_name, photo_sha = _file(instance, "uploads", "png", image_bytes())
    photo = Photo(submission_id=sc.id, question_name="ph", client_id=f"rel{u.index}", stored_name=photo_name,
                  original_name=f"{u.marker}.png", size=1, sha256=photo_sha, width=32, height=24,
                  uploaded_by_id=u.liaison.id)
    db.session.add(photo)
    if submit:
        filling.submit(u.liaison, sc, {"answers": answers}, f"tok{u.index}")
    [problem] = create_problems(sc, [{"description": f"{u.marker}问题描述", "category": "其他"}], admin,
                                date(2026, 3, 1))
    ev_name, ev_sha = _file(instance, "evidence", "png", image_bytes())
    evidence = Evidence(problem_id=problem.id, kind="png", stored_name=ev_name, original_name=f"{u.marker}佐证.png",
                        size=1, sha256=ev_sha, uploaded_by_id=u.liaison.id)
    job = ExportJob(user_id=u.liaison.id, kind="ledger", params={}, status="done", file_name=f"{u.marker}.xlsx")
    to_liaison = Message(dedupe_key=f"rel-l{u.index}", user_id=u.liaison.id, unit_id=u.unit.id, round_id=rnd.id,
                         subject=f"{u.marker}整改提醒", body=f"{u.marker}正文", link=f"/ledger/{problem.id}")
    to_unit = Message(dedupe_key=f"rel-u{u.index}", unit_id=u.unit.id, round_id=rnd.id, subject=f"{u.marker}督办单")
    db.session.add_all([evidence, job, to_liaison, to_unit])
    notices = [issue_notice(rnd, "duban", u.unit.id, problem_id=problem.id, body=f"{u.marker}督办说明"),
               issue_notice(rnd, "selfcheck", u.unit.id, body=f"{u.marker}催办说明")]
    db.session.flush()
    u.ids.update(message=[to_liaison.id, to_unit.id])
    u.ids.update(submission=[sc.id, visit.id], problem=[problem.id], photo=[photo.id],
                 evidence=[evidence.id], job=[job.id], unit=[u.unit.id], round=[rnd.id],
                 notice=[n.id for n in notices])
