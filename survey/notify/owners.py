"""Who a channel belongs to: a unit, a 督导组, a user account or a unit contact."""
from __future__ import annotations

from flask import abort

from survey.extensions import db
from survey.models import ContactRole, SupervisionGroup, Unit, UnitContact, User

OWNER_MODELS = {"unit": Unit, "group": SupervisionGroup, "user": User, "contact": UnitContact}
OWNER_LABELS = {"unit": "单位", "group": "督导组", "user": "用户", "contact": "单位负责人"}


def get_owner_or_404(owner_kind: str, owner_id: int):
    model = OWNER_MODELS.get(owner_kind)
    owner = db.session.get(model, owner_id) if model else None
    if owner is None:
        abort(404)
    return owner


def owner_name(owner_kind: str, owner) -> str:
    if owner_kind == "user":
        return f"{owner.display_name}（{owner.username}）"
    if owner_kind == "contact":
        return f"{owner.unit.name} {ContactRole(owner.role).label} {owner.name}".strip()
    return owner.name
