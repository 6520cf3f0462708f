"""The 问题类别 list: administrators add, rename, reorder and retire categories.

Problems store the category's name. Renaming rewrites the problems that carry the old name in the
same transaction; retiring hides a category from pickers and filters' choices for new problems while
old problems keep it. A category still used by a problem cannot be deleted, only retired.
"""
from __future__ import annotations

from sqlalchemy import func, insert, select, update

from survey import audit
from survey.errors import Conflict, DomainError, NotAllowed
from survey.extensions import db
from survey.models import DEFAULT_CATEGORIES, FALLBACK_CATEGORY, Problem, ProblemCategory, Role, User

MAX_NAME = 32


def restore_default_categories(conn) -> None:
    """Fill an empty list with the defaults (what the migration does for a new database)."""
    if conn.execute(select(func.count()).select_from(ProblemCategory)).scalar_one() == 0:
        conn.execute(insert(ProblemCategory), [
            {"name": n, "position": i, "is_active": True} for i, n in enumerate(DEFAULT_CATEGORIES)])


def all_categories() -> list[ProblemCategory]:
    return list(db.session.scalars(select(ProblemCategory).order_by(ProblemCategory.position, ProblemCategory.id)))


def names(active_only: bool = True) -> list[str]:
    """Category names in the administrators' order; the fallback 其他 is always there."""
    stmt = select(ProblemCategory.name).order_by(ProblemCategory.position, ProblemCategory.id)
    if active_only:
        stmt = stmt.where(ProblemCategory.is_active.is_(True))
    found = list(db.session.scalars(stmt))
    if FALLBACK_CATEGORY not in found:
        found.append(FALLBACK_CATEGORY)
    return found


def choices(blank: str | None = None) -> list[tuple[str, str]]:
    """(value, label) pairs for a form's select; blank adds an empty first choice with that label."""
    pairs = [(n, n) for n in names()]
    return [("", blank)] + pairs if blank is not None else pairs


def is_active(name: str) -> bool:
    return name in names()


def pick(name: str | None, default: str = FALLBACK_CATEGORY) -> str:
    """The name if it is an active category, else default (for rows arriving from forms and files)."""
    return name if name and name in names() else default


def _require_admin(actor: User) -> None:
    if actor.role != Role.ADMIN.value:
        raise NotAllowed("只有管理员可以维护问题类别。")


def _clean(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("请填写类别名称。", field="name")
    if len(name) > MAX_NAME:
        raise DomainError(f"类别名称不能超过 {MAX_NAME} 个字。", field="name")
    return name


def _taken(name: str, except_id: int | None = None) -> bool:
    stmt = select(ProblemCategory.id).where(ProblemCategory.name == name)
    if except_id is not None:
        stmt = stmt.where(ProblemCategory.id != except_id)
    return db.session.scalar(stmt) is not None


def create_category(actor: User, name: str) -> ProblemCategory:
    _require_admin(actor)
    name = _clean(name)
    if _taken(name):
        raise DomainError(f"类别「{name}」已存在。", field="name")
    position = (db.session.scalar(select(func.max(ProblemCategory.position))) or 0) + 1
    category = ProblemCategory(name=name, position=position, is_active=True)
    db.session.add(category)
    db.session.flush()
    audit.record("category_create", actor=actor, target=category)
    return category


def rename_category(actor: User, category: ProblemCategory, new_name: str) -> int:
    """Rename, and carry the problems filed under the old name along. Returns how many moved."""
    _require_admin(actor)
    new_name = _clean(new_name)
    if new_name == category.name:
        return 0
    if category.name == FALLBACK_CATEGORY:
        raise NotAllowed(f"「{FALLBACK_CATEGORY}」是兜底类别，不能改名。")
    if _taken(new_name, category.id):
        raise DomainError(f"类别「{new_name}」已存在。", field="name")
    old = category.name
    moved = db.session.execute(update(Problem).where(Problem.category == old)
                               .values(category=new_name, lock_version=Problem.lock_version + 1)
                               .execution_options(synchronize_session=False)).rowcount
    category.name = new_name
    audit.record("category_update", actor=actor, target=category,
                 details={"from": old, "to": new_name, "problems": moved})
    return moved


def move_category(actor: User, category: ProblemCategory, step: int) -> None:
    """Swap with the neighbour above (step -1) or below (step +1)."""
    _require_admin(actor)
    items = all_categories()
    index = next(i for i, c in enumerate(items) if c.id == category.id)
    other = index + (1 if step > 0 else -1)
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for position, item in enumerate(items):
        item.position = position


def set_active(actor: User, category: ProblemCategory, active: bool) -> None:
    _require_admin(actor)
    if not active and category.name == FALLBACK_CATEGORY:
        raise NotAllowed(f"「{FALLBACK_CATEGORY}」是兜底类别，不能停用。")
    if category.is_active != active:
        category.is_active = active
        audit.record("category_update", actor=actor, target=category,
                     details={"active": active})


def delete_category(actor: User, category: ProblemCategory) -> None:
    _require_admin(actor)
    if category.name == FALLBACK_CATEGORY:
        raise NotAllowed(f"「{FALLBACK_CATEGORY}」是兜底类别，不能删除。")
    used = db.session.scalar(select(func.count()).select_from(Problem).where(Problem.category == category.name))
    if used:
        raise Conflict(f"已有 {used} 个问题属于「{category.name}」，不能删除，可以停用。")
    audit.record("category_delete", actor=actor, target=category)
    db.session.delete(category)
