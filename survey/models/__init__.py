"""All models, imported here so Alembic and the app see one metadata."""
from survey.models.audit import AuditLog
from survey.models.base import Base
from survey.models.category import DEFAULT_CATEGORIES, FALLBACK_CATEGORY, ProblemCategory
from survey.models.group import SupervisionGroup, group_members
from survey.models.imports import ImportClaim
from survey.models.jobs import JOB_STATUS_LABELS, ExportJob, JobRun, JobStatus
from survey.models.link import UnitLink
from survey.models.questionnaire import (
    KIND_LABELS, TYPE_LABELS, Question, Questionnaire, QuestionnaireKind, QuestionnaireVersion,
    QuestionType, Section, VersionState)
from survey.models.problem import (
    FINAL, OPEN, Evidence, close_rate, Problem, ProblemEvent, ProblemSource, ProblemStatus, code_sort_key)
from survey.models.round import Round, RoundUnit
from survey.models.supervision import (
    Audience, CalendarDay, Channel, ChannelKind, ContactRole, DayKind, Delivery, DeliveryAttempt, DeliveryStatus,
    LadderFiring, LadderStep, LadderTarget, Message, Notice, NoticeCounter, UnitContact)
from survey.models.submission import Photo, Submission, SubmissionKind, SubmissionState
from survey.models.unit import UNIT_CATEGORIES, Unit
from survey.models.user import ROLE_LABELS, Role, User

ROLE_CHOICES = [(r.value, ROLE_LABELS[r]) for r in Role]

__all__ = [
    "AuditLog", "Base", "ROLE_CHOICES", "ROLE_LABELS", "Role", "SupervisionGroup", "UNIT_CATEGORIES", "Unit", "User",
    "group_members", "KIND_LABELS", "TYPE_LABELS", "Question", "Questionnaire", "QuestionnaireKind",
    "QuestionnaireVersion", "QuestionType", "Section", "VersionState", "Evidence", "Photo", "Problem", "ProblemEvent",
    "Round", "RoundUnit", "Submission", "SubmissionKind", "SubmissionState",
    "DEFAULT_CATEGORIES", "FALLBACK_CATEGORY", "ProblemCategory", "JOB_STATUS_LABELS", "ExportJob", "JobRun", "JobStatus", "ImportClaim",
    "UnitLink", "FINAL", "OPEN", "ProblemSource", "ProblemStatus", "code_sort_key", "close_rate",
]
