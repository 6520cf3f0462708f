"""A published version never changes: enforced for every flush, whatever route tried it."""
from __future__ import annotations

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from survey.errors import InvalidTransition
from survey.models import Question, QuestionnaireVersion, Section, VersionState

MESSAGE = "已发布的版本不能修改。如需调整，请基于它新建草稿版本。"


class PublishedVersionImmutable(InvalidTransition):
    pass


def _was_published(version: QuestionnaireVersion) -> bool:
    """The state as stored before this flush (a version being published right now was a draft)."""
    history = inspect(version).attrs.state.history
    before = history.deleted[0] if history.deleted else (history.unchanged[0] if history.unchanged
                                                          else None)
    return before == VersionState.PUBLISHED.value


@event.listens_for(Session, "before_flush")
def _guard_published_versions(session: Session, flush_context, instances) -> None:
    with session.no_autoflush:
        for obj in [*session.new, *session.dirty, *session.deleted]:
            if obj in session.dirty and not session.is_modified(obj, include_collections=False) \
                    and not isinstance(obj, QuestionnaireVersion):
                continue
            version = _owning_version(session, obj)
            if version is None or inspect(version).pending or not _was_published(version):
                continue  # drafts may change, including the one being published right now
            if obj is version and obj not in session.deleted \
                    and not session.is_modified(obj, include_collections=False):
                continue
            raise PublishedVersionImmutable(MESSAGE)


def _owning_version(session: Session, obj) -> QuestionnaireVersion | None:
    if isinstance(obj, QuestionnaireVersion):
        return obj
    if isinstance(obj, Section):
        return obj.version or (session.get(QuestionnaireVersion, obj.version_id) if obj.version_id else None)
    if isinstance(obj, Question):
        if obj.version is not None:
            return obj.version
        return session.get(QuestionnaireVersion, obj.version_id) if obj.version_id else None
    return None
