"""The dashboard's aggregates, kept per process until the data behind them changes.

Every change a figure depends on writes a row to problem_events (each ledger step, problem
creation, import) or to audit_logs (submits, reopenings, rounds, groups, category renames, bulk
actions), and every numbered notice is a row of notices (issued by the reminder scan), so the
newest ids of the three are the data's version: three primary-key seeks. A cached
entry is used only for the same scope (administrator, or the inspector's set of groups), round,
China date and near-deadline setting, at the same version. The 逾期/临期 lists (ORM rows) are read
afresh each time; only plain numbers are kept.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import replace
from datetime import date

from flask import current_app
from sqlalchemy import func, select

from survey.extensions import db
from survey.models import AuditLog, Notice, ProblemEvent, Round, User
from survey.permissions import viewer_of

MAX_ENTRIES = 64
_entries: OrderedDict[tuple, object] = OrderedDict()
_lock = threading.Lock()


def data_version() -> tuple:
    return db.session.execute(select(select(func.max(AuditLog.id)).scalar_subquery(),
                                     select(func.max(ProblemEvent.id)).scalar_subquery(),
                                     select(func.max(Notice.id)).scalar_subquery())).one()._tuple()


def scope_key(user: User) -> tuple:
    return viewer_of(user).key


def cached_figures(user: User, rnd: Round | None, today: date, near_days: int, compute, refill):
    """compute() when nothing is cached for this key and version; the cached numbers otherwise, with
    the round and the warning lists filled in for this request."""
    if not current_app.config.get("DASHBOARD_CACHE", True):
        return compute()
    key = (scope_key(user), rnd.id if rnd else None, today, near_days, data_version())
    with _lock:
        hit = _entries.get(key)
        if hit is not None:
            _entries.move_to_end(key)
    if hit is not None:
        return refill(replace(hit, round=rnd))
    figures = compute()
    with _lock:
        _entries[key] = replace(figures, round=None, overdue_list=[], near_list=[])
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return figures


def clear() -> None:
    with _lock:
        _entries.clear()
