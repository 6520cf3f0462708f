"""Editing a draft: sections and questions. Published versions refuse every change (409)."""
from __future__ import annotations

from decimal import Decimal

from flask import flash, redirect, render_template, url_for

from forms.questionnaires import MoveForm, QuestionForm, SectionForm
from survey.errors import DomainError
from survey.permissions import admin_required
from survey.questionnaires import editing, queries
from survey.questionnaires.blueprint import bp
from survey.viewutil import committing, form_view, submit
from survey.questionnaires.views import version as render_version


def _anchor(version_id: int, fragment: str = "") -> str:
    return url_for("questionnaires.version", version_id=version_id) + (f"#{fragment}" if fragment else "")


def _refuse_published(version):
    if version.is_published:
        editing.require_draft(version)  # raises InvalidTransition -> 409 page with the reason


@bp.route("/versions/<int:version_id>/sections/new", methods=["GET", "POST"])
@admin_required
@form_view
def section_new(version_id: int):
    version = queries.get_version_or_404(version_id)
    _refuse_published(version)
    form = SectionForm()
    ok, status = submit(form, lambda: editing.add_section(
        version, form.title.data.strip(), form.hint.data or "", (form.relevant.data or "").strip()))
    if ok:
        return redirect(_anchor(version_id))
    return render_template("questionnaires/section_form.html", form=form, version=version, section=None), status


@bp.route("/sections/<int:section_id>/edit", methods=["GET", "POST"])
@admin_required
@form_view
def section_edit(section_id: int):
    section = queries.get_section_or_404(section_id)
    version = section.version
    _refuse_published(version)
    form = SectionForm(obj=section)
    ok, status = submit(form, lambda: editing.update_section(
        section, form.title.data.strip(), form.hint.data or "", (form.relevant.data or "").strip()))
    if ok:
        return redirect(_anchor(version.id, f"s{section.id}"))
    return render_template("questionnaires/section_form.html", form=form, version=version,
                           section=section), status


@bp.route("/sections/<int:section_id>/move", methods=["POST"])
@admin_required
@form_view
def section_move(section_id: int):
    section = queries.get_section_or_404(section_id)
    return _button(section.version, lambda d: editing.move_section(section, d), f"s{section.id}")


@bp.route("/sections/<int:section_id>/delete", methods=["POST"])
@admin_required
@form_view
def section_delete(section_id: int):
    section = queries.get_section_or_404(section_id)
    return _button(section.version, lambda _: editing.delete_section(section), "")


@bp.route("/sections/<int:section_id>/questions/new", methods=["GET", "POST"])
@admin_required
@form_view
def question_new(section_id: int):
    section = queries.get_section_or_404(section_id)
    _refuse_published(section.version)
    form = QuestionForm()
    if not form.is_submitted():
        form.type.data, form.required.data, form.problem_if.data = "check", True, ". = 'no'"
    return _question_form(form, section, None)


@bp.route("/questions/<int:question_id>/edit", methods=["GET", "POST"])
@admin_required
@form_view
def question_edit(question_id: int):
    question = queries.get_question_or_404(question_id)
    section = question.section
    _refuse_published(section.version)
    form = QuestionForm(obj=question)
    if not form.is_submitted():
        _load_parameters(form, question)
        form.choices.data = editing.choices_text(section.version, question)
    return _question_form(form, section, question)


def _question_form(form: QuestionForm, section, question):
    saved = {}
    ok, status = submit(form, lambda: saved.setdefault("q", editing.save_question(
        section, question, _question_values(form), form.choices.data or "")))
    if ok:
        return redirect(_anchor(section.version_id, f"q{saved['q'].id}"))
    return render_template("questionnaires/question_form.html", form=form, section=section,
                           version=section.version, question=question), status


def _number(value: Decimal | None):
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def _question_values(form: QuestionForm) -> dict:
    qtype = form.type.data
    params: dict = {}
    if qtype in ("integer", "decimal"):
        params = {k: _number(v) for k, v in (("min", form.min_value.data), ("max", form.max_value.data))
                  if v is not None}
    elif qtype == "photo":
        params = {"max": form.max_photos.data or 3}
    elif qtype == "score":
        params = {"start": 0, "end": form.max_points.data or 10, "step": 1}
    return {"name": form.name.data.strip(), "type": qtype, "label": form.label.data.strip(),
            "hint": (form.hint.data or "").strip(), "required": bool(form.required.data) and qtype != "note",
            "required_message": (form.required_message.data or "").strip(), "parameters": params,
            "points": form.points.data, "relevant": (form.relevant.data or "").strip(),
            "constraint": (form.constraint.data or "").strip(),
            "constraint_message": (form.constraint_message.data or "").strip(),
            "problem_if": (form.problem_if.data or "").strip(), "problem_category": form.problem_category.data,
            "problem_severity": form.problem_severity.data}


def _load_parameters(form: QuestionForm, question) -> None:
    p = question.parameters or {}
    form.min_value.data, form.max_value.data = p.get("min"), p.get("max")
    form.max_photos.data = p.get("max") if question.type == "photo" else None
    form.max_points.data = p.get("end") if question.type == "score" else None


@bp.route("/questions/<int:question_id>/move", methods=["POST"])
@admin_required
@form_view
def question_move(question_id: int):
    question = queries.get_question_or_404(question_id)
    return _button(question.section.version, lambda d: editing.move_question(question, d), f"q{question.id}")


@bp.route("/questions/<int:question_id>/delete", methods=["POST"])
@admin_required
@form_view
def question_delete(question_id: int):
    question = queries.get_question_or_404(question_id)
    section_id = question.section_id
    return _button(question.section.version, lambda _: editing.delete_question(question), f"s{section_id}")


def _button(version, action, fragment: str):
    """Move/delete buttons on the editor page: redirect back, or the editor with the reason (4xx)."""
    form = MoveForm()
    version_id = version.id
    status = 400
    if form.validate_on_submit():
        try:
            with committing():
                action(-1 if form.direction.data == "up" else 1)
        except DomainError as exc:
            flash(exc.message, "error")
            status = exc.status
        else:
            return redirect(_anchor(version_id, fragment), 303)
    else:
        flash(form.CSRF_MESSAGE, "error")
    return render_version(version_id), status
