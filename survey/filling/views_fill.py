"""Filling one submission: the page, autosave, review of problems found, submit, reopen."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from forms.filling import ReopenForm
from survey.errors import DomainError, StaleConflict, ValidationFailed
from survey.extensions import db
from survey.filling import operations, queries
from survey.filling.blueprint import bp
from survey.questionnaires.display import answer_text
from survey.filling.render import form_skeleton
from survey.config import ROOT
from survey.models import Problem, Submission, User
from survey.ledger import categories
from survey.models.questionnaire import SEVERITIES
from survey.models import SupervisionGroup
from survey.questionnaires.cache import version_view
from survey.permissions import (can_edit_submission, can_reopen_submission, can_view_submission,
                                can_view_unit_papers,
                                login_required, public, visiting_group_id)
from survey.viewutil import committing, form_view
from survey.filling.views_photos import photo_json

bp.add_app_template_filter(answer_text, "answer_text")   # {{ question|answer_text(value, version) }}


_LOAD = (joinedload(Submission.round), joinedload(Submission.unit))


def _load(submission_id: int, *options) -> Submission:
    submission = db.session.get(Submission, submission_id, options=[*_LOAD, *options])
    if submission is None:
        abort(404)
    if not can_view_submission(current_user, submission):
        abort(404 if current_user.is_liaison else 403)
    return submission


@bp.route("/submissions/<int:submission_id>")
@login_required
def submission(submission_id: int):
    # The photos come in the same statement: one query less on the page a phone reloads most.
    sub = _load(submission_id, joinedload(Submission.photos))
    if can_edit_submission(current_user, sub) and not sub.round.is_closed:
        photos: dict[str, list] = {}
        for photo in sub.photos:
            photos.setdefault(photo.question_name, []).append(photo_json(photo))
        version = version_view(sub.version_id)
        skeleton = form_skeleton(version) if sub.kind == "self_check" else None
        return render_template("fill/fill.html", submission=sub, version=version, members=_members(sub),
                               beside=queries.self_check_beside(sub), photos=photos, skeleton=skeleton)
    problems = list(db.session.scalars(select(Problem).where(Problem.submission_id == sub.id)
                                       .order_by(Problem.id)))
    return render_template("fill/view.html", submission=sub, version=version_view(sub.version_id),
                           problems=problems, papers=can_view_unit_papers(current_user, sub.round_id, sub.unit_id),
                           reopen_form=ReopenForm() if can_reopen_submission(current_user, sub) else None,
                           members=_members(sub))


def _members(sub: Submission) -> list[User]:
    if sub.kind != "visit":
        return []
    group = db.session.get(SupervisionGroup, visiting_group_id(sub) or 0)
    return group.members if group else []


def _payload() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400)
    return data


def _state(sub: Submission) -> dict:
    return {"lock_version": sub.lock_version, "state": sub.state, "saved_at": sub.updated_at.isoformat(),
            "answers": sub.answers, "facts": sub.facts, "found": sub.found}


@bp.route("/submissions/<int:submission_id>/draft", methods=["POST"])
@login_required
def save_draft(submission_id: int):
    sub = _load(submission_id)
    data = _payload()
    lock = data.get("lock_version")
    try:
        with committing():
            operations.save_draft(current_user, sub, data, lock if isinstance(lock, int) else None,
                                  force=bool(data.get("force")))
    except operations.DraftConflict as exc:
        sub = db.session.get(Submission, submission_id)
        return jsonify(error="conflict", message=exc.message, updated_by=exc.updated_by, server=_state(sub)), 409
    except StaleConflict:  # another save committed between our read and our write
        sub = db.session.get(Submission, submission_id)
        return jsonify(error="conflict", message="该草稿刚被他人修改，请核对", server=_state(sub)), 409
    except DomainError as exc:
        return jsonify(error="refused", message=exc.message), exc.status
    return jsonify(_state(sub))


@bp.route("/submissions/<int:submission_id>/review")
@login_required
def review(submission_id: int):
    """A visit's problems found, before submitting: raised by the rules plus any added by hand."""
    sub = _load(submission_id)
    if sub.kind != "visit" or not can_edit_submission(current_user, sub):
        abort(404)
    if sub.round.is_closed:
        return redirect(url_for("filling.submission", submission_id=sub.id), 303)
    return render_template("fill/review.html", submission=sub, items=operations.review_items(sub),
                           deadlines=operations.default_deadlines(sub), categories=categories.names(),
                           severities=SEVERITIES)


@bp.route("/submissions/<int:submission_id>/submit", methods=["POST"])
@login_required
def submit(submission_id: int):
    sub = _load(submission_id)
    data = _payload()
    token = str(data.get("token") or "")
    payload = {k: data.get(k) for k in ("answers", "facts", "found") if k in data}
    try:
        with committing():
            sub, created = operations.submit(current_user, sub, payload, token)
    except ValidationFailed as exc:
        return jsonify(error="invalid", message=exc.message,
                       errors=[{"name": getattr(e, "name", ""), "message": getattr(e, "message", str(e))}
                               for e in exc.errors]), 422
    except StaleConflict:  # a concurrent submit won; answer as the retry it is
        sub = db.session.get(Submission, submission_id)
        if sub.submit_token != token:
            return jsonify(error="conflict", message="该表已由他人提交"), 409
        created = False
    except DomainError as exc:
        return jsonify(error="refused", message=exc.message), exc.status
    return jsonify(id=sub.id, state=sub.state, created=created, lock_version=sub.lock_version,
                   url=url_for("filling.submission", submission_id=sub.id)), 201 if created else 200


@bp.route("/submissions/<int:submission_id>/reopen", methods=["POST"])
@login_required
@form_view
def reopen(submission_id: int):
    sub = _load(submission_id)
    form = ReopenForm()
    if form.validate_on_submit():
        try:
            with committing():
                operations.reopen(current_user, sub, form.reason.data)
        except DomainError as exc:
            form.reason.errors = list(form.reason.errors) + [exc.message]
        else:
            flash("已退回，填写人可以继续修改并重新提交", "success")
            return redirect(url_for("filling.submission", submission_id=sub.id), 303)
    if not can_reopen_submission(current_user, sub):
        abort(403)
    problems = list(db.session.scalars(select(Problem).where(Problem.submission_id == sub.id)))
    return render_template("fill/view.html", submission=sub, version=version_view(sub.version_id),
                           problems=problems, reopen_form=form, members=_members(sub), papers=False), 400


@bp.route("/sw.js")
@public
def service_worker():
    """The service worker must live at the root to control the filling pages."""
    resp = current_app.response_class((ROOT / "static" / "js" / "sw.js").read_bytes(),
                                      mimetype="text/javascript")
    resp.headers["Service-Worker-Allowed"] = "/"
    resp.cache_control.no_cache = True
    return resp
