"""Administrators' use cases: units, groups, users. Flush only; the view commits."""
from __future__ import annotations

from sqlalchemy import select

from survey import audit
from survey.auth.operations import set_password
from survey.errors import DomainError
from survey.extensions import db
from survey.models import ContactRole, Role, SupervisionGroup, Unit, UnitContact, User
from survey.passwords import hash_password, policy_error

UNIT_FIELDS = ("name", "category", "contact_name", "contact_phone")


def _require_unique(model, field: str, value: str, own_id: int | None, message: str) -> None:
    column = getattr(model, field)
    existing = db.session.scalar(select(model.id).where(column == value))
    if existing is not None and existing != own_id:
        raise DomainError(message, field=field)


CONTACT_FIELDS = ("name", "phone", "email", "wecom_id", "dingtalk_id")


def unit_contacts(unit: Unit) -> dict[str, UnitContact]:
    """The unit's 分管领导 and 主要负责人 rows by role (those filled in)."""
    return {c.role: c for c in db.session.scalars(select(UnitContact).where(UnitContact.unit_id == unit.id))}


def set_contacts(unit: Unit, contacts: dict[str, dict[str, str]] | None) -> dict:
    """Store the unit's 分管领导 / 主要负责人 (the reminder ladder's LEADER and HEAD): a role with
    every field blank is removed. Returns {role.field: [old, new]} for the audit row."""
    if contacts is None:
        return {}
    current = unit_contacts(unit)
    changed = {}
    for role in ContactRole:
        values = {f: (contacts.get(role.value) or {}).get(f, "").strip() for f in CONTACT_FIELDS}
        row = current.get(role.value)
        if not any(values.values()):
            if row is not None:
                changed[role.value] = [row.name, None]
                db.session.delete(row)
            continue
        if values["email"] and ("@" not in values["email"] or len(values["email"]) > 254):
            raise DomainError("电子邮箱格式不正确", field=f"{role.value}_email")
        if row is None:
            row = UnitContact(unit_id=unit.id, role=role.value)
            db.session.add(row)
        changed.update({f"{role.value}.{k}": v for k, v in audit.changes(row, values).items()})
    return changed


def create_unit(actor: User, contacts: dict | None = None, **values) -> Unit:
    _require_unique(Unit, "name", values["name"], None, "已有同名单位")
    unit = Unit(**{k: values[k] for k in UNIT_FIELDS})
    db.session.add(unit)
    db.session.flush()
    details = {k: values[k] for k in UNIT_FIELDS}
    details.update(set_contacts(unit, contacts))
    db.session.flush()
    audit.record("unit_create", actor=actor, target=unit, details=details)
    return unit


def update_unit(actor: User, unit: Unit, contacts: dict | None = None, **values) -> dict:
    _require_unique(Unit, "name", values["name"], unit.id, "已有同名单位")
    changed = audit.changes(unit, {k: values[k] for k in UNIT_FIELDS if k in values})
    if "is_disabled" in values:
        changed.update(audit.changes(unit, {"is_disabled": values["is_disabled"]}))
    changed.update(set_contacts(unit, contacts))
    if changed:
        db.session.flush()
        audit.record("unit_update", actor=actor, target=unit, details=changed)
    return changed


def _resolve(model, ids: list[int], what: str) -> list:
    rows = list(db.session.scalars(select(model).where(model.id.in_(ids)))) if ids else []
    if len(rows) != len(set(ids)):
        raise DomainError(f"所选{what}不存在", field=None)
    return rows


def _apply_group(group: SupervisionGroup, member_ids: list[int], unit_ids: list[int]) -> dict:
    members = _resolve(User, member_ids, "成员")
    if any(not m.is_inspector for m in members):
        raise DomainError("督导组成员必须是督导组成员角色的用户", field="member_ids")
    units = _resolve(Unit, unit_ids, "单位")
    before = {"members": sorted(m.username for m in group.members),
              "units": sorted(u.name for u in group.units)}
    group.members = members
    moved = [u.name for u in units if u.group_id not in (None, group.id)]
    group.units = units
    after = {"members": sorted(m.username for m in members), "units": sorted(u.name for u in units)}
    changed = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if moved:
        changed["moved_from_other_group"] = moved
    return changed


def create_group(actor: User, name: str, member_ids: list[int], unit_ids: list[int]) -> SupervisionGroup:
    _require_unique(SupervisionGroup, "name", name, None, "已有同名督导组")
    group = SupervisionGroup(name=name)
    db.session.add(group)
    db.session.flush()
    details = _apply_group(group, member_ids, unit_ids)
    db.session.flush()
    audit.record("group_create", actor=actor, target=group, details={"name": name, **details})
    return group


def update_group(actor: User, group: SupervisionGroup, name: str, member_ids: list[int],
                 unit_ids: list[int]) -> dict:
    _require_unique(SupervisionGroup, "name", name, group.id, "已有同名督导组")
    changed = audit.changes(group, {"name": name})
    changed.update(_apply_group(group, member_ids, unit_ids))
    db.session.flush()
    if changed:
        audit.record("group_update", actor=actor, target=group, details=changed)
    return changed


def _role_links(role: str, unit_id: int | None, group_ids: list[int]) -> tuple[int | None, list[int]]:
    """A liaison belongs to exactly one unit; only inspectors sit in groups. Links that do not
    fit the role are dropped (a form may still carry them from before the role changed)."""
    if role not in {r.value for r in Role}:
        raise DomainError("角色无效", field="role")
    if role != Role.UNIT.value:
        unit_id = None
    elif unit_id is None:
        raise DomainError("单位联络员必须选择所属单位", field="unit_id")
    elif db.session.get(Unit, unit_id) is None:
        raise DomainError("所选单位不存在", field="unit_id")
    if role != Role.INSPECTOR.value:
        group_ids = []
    return unit_id, group_ids


def create_user(actor: User | None, *, username: str, display_name: str, role: str, password: str,
                phone: str = "", unit_id: int | None = None, group_ids: list[int] | None = None,
                must_change_password: bool = True, password_hash: str | None = None) -> User:
    """Create an account. password_hash, when given, is a hash of an already-checked password."""
    _require_unique(User, "username", username, None, "用户名已被使用")
    unit_id, group_ids = _role_links(role, unit_id, group_ids or [])
    error = None if password_hash else policy_error(password)
    if error:
        raise DomainError(error, field="password")
    user = User(username=username, display_name=display_name, role=role, phone=phone,
                unit_id=unit_id, password_hash=password_hash or hash_password(password),
                must_change_password=must_change_password)
    user.groups = _resolve(SupervisionGroup, group_ids, "督导组")
    db.session.add(user)
    db.session.flush()
    audit.record("user_create", actor=actor, target=user, details={
        "username": username, "display_name": display_name, "role": role, "unit_id": unit_id,
        "groups": sorted(g.name for g in user.groups)})
    return user


def update_user(actor: User, user: User, *, display_name: str, role: str, phone: str,
                unit_id: int | None, group_ids: list[int]) -> dict:
    unit_id, group_ids = _role_links(role, unit_id, group_ids)
    if user.id == actor.id and role != user.role:
        raise DomainError("不能修改自己的角色", field="role")
    changed = audit.changes(user, {"display_name": display_name, "role": role, "phone": phone,
                                   "unit_id": unit_id})
    groups = _resolve(SupervisionGroup, group_ids, "督导组")
    before, after = sorted(g.name for g in user.groups), sorted(g.name for g in groups)
    if before != after:
        user.groups = groups
        changed["groups"] = [before, after]
    if "role" in changed:
        user.rotate_session()
    if changed:
        db.session.flush()
        audit.record("user_update", actor=actor, target=user, details=changed)
    return changed


def disable_user(actor: User, user: User) -> None:
    if user.id == actor.id:
        raise DomainError("不能停用自己的账号")
    if user.is_disabled:
        raise DomainError("该账号已是停用状态")
    user.is_disabled = True
    user.rotate_session()
    audit.record("user_disable", actor=actor, target=user)


def enable_user(actor: User, user: User) -> None:
    if not user.is_disabled:
        raise DomainError("该账号已是启用状态")
    user.is_disabled = False
    audit.record("user_enable", actor=actor, target=user)


def reset_password(actor: User, user: User, new_password: str) -> None:
    """An admin sets a temporary password; the user must change it at next login."""
    set_password(user, new_password)
    user.must_change_password = True
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("password_reset", actor=actor, target=user)


def unlock_user(actor: User, user: User) -> None:
    user.failed_login_count = 0
    user.locked_until = None
    audit.record("user_unlock", actor=actor, target=user)
