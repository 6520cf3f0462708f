"""Who is asking: the facts the policy needs about a user, gathered once per request.

A Viewer is one of four kinds: an administrator (everything), an inspector (the units the groups
cover, see survey.permissions.coverage), a unit's liaison (the unit; in a signed-link session only
the link's round of it) or nobody (anonymous, disabled, a liaison without a unit). A level above
units (districts) is one more kind here and one more branch in coverage: nothing else changes."""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_request_context
from flask_login import current_user

ADMIN_KIND, INSPECTOR_KIND, UNIT_KIND, NOBODY = "admin", "inspector", "unit", "nobody"


@dataclass(frozen=True)
class LinkScope:
    """A signed-link session: the link, its round and its unit (set by survey.links.session)."""
    link_id: int
    round_id: int
    unit_id: int


@dataclass
class Viewer:
    kind: str
    user_id: int | None = None
    unit_id: int | None = None                  # a liaison's unit
    group_ids: frozenset[int] = frozenset()     # an inspector's groups
    link: LinkScope | None = None               # a signed-link session: this round and unit only
    cache: dict = field(default_factory=dict, repr=False, compare=False)  # coverage facts, per request

    @property
    def is_admin(self) -> bool:
        return self.kind == ADMIN_KIND

    @property
    def is_inspector(self) -> bool:
        return self.kind == INSPECTOR_KIND

    @property
    def is_liaison(self) -> bool:
        return self.kind == UNIT_KIND

    @property
    def key(self) -> tuple:
        """What the viewer's scope depends on (for caches of figures over that scope)."""
        if self.link is not None:
            return ("link", self.link.round_id, self.link.unit_id)
        return {ADMIN_KIND: ("admin",), INSPECTOR_KIND: ("groups", tuple(sorted(self.group_ids))),
                UNIT_KIND: ("unit", self.unit_id)}.get(self.kind, ("nobody",))


def _unwrap(user):
    getter = getattr(user, "_get_current_object", None)
    return getter() if getter is not None else user


def _link_of(user) -> LinkScope | None:
    """The link scope when user is the request's user in a signed-link session."""
    if not has_request_context() or user is not _unwrap(current_user):
        return None
    return g.get("link_scope")


def _build(user) -> Viewer:
    if user is None or not getattr(user, "is_authenticated", False) or getattr(user, "is_disabled", True):
        return Viewer(NOBODY)
    if user.is_admin:
        return Viewer(ADMIN_KIND, user.id)
    if user.is_inspector:
        return Viewer(INSPECTOR_KIND, user.id, group_ids=frozenset(grp.id for grp in user.groups))
    if user.is_liaison and user.unit_id is not None:
        link = _link_of(user)
        return Viewer(UNIT_KIND, user.id, unit_id=link.unit_id if link else user.unit_id, link=link)
    return Viewer(NOBODY, user.id)


def viewer_of(user) -> Viewer:
    """The Viewer for user; within a request computed once per user object."""
    user = _unwrap(user)
    if isinstance(user, Viewer):
        return user
    if not has_request_context():
        return _build(user)
    viewers = g.setdefault("policy_viewers", {})
    found = viewers.get(id(user))
    if found is None or found[0] is not user:
        found = viewers[id(user)] = (user, _build(user))
    return found[1]
