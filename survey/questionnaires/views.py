"""Questionnaires: list, create, import, versions, preview, export, publish."""
from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from forms.auth import ActionForm
from forms.questionnaires import ImportQuestionnaireForm, PublishForm, QuestionnaireForm
from survey.errors import DomainError, ValidationFailed
from survey.models import Questionnaire, QuestionnaireVersion
from survey.questionnaires.cache import version_view
from survey.permissions import admin_required
from survey.questionnaires import operations, queries
from survey.questionnaires.convert import spec_from_version
from survey.viewutil import committing, end_reading, form_view, submit
from survey.xlsform.writer import write_xlsform
from survey.questionnaires.blueprint import bp

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("")
@admin_required
def index():
    return render_template("questionnaires/list.html", questionnaires=queries.query_questionnaires())


@bp.route("/new", methods=["GET", "POST"])
@admin_required
@form_view
def new():
    form = QuestionnaireForm()
    created = {}
    ok, status = submit(form, lambda: created.setdefault("v", operations.create_questionnaire(
        current_user, form.title.data.strip(), form.kind.data)))
    if ok:
        return redirect(url_for("questionnaires.version", version_id=created["v"].id))
    return render_template("questionnaires/new.html", form=form), status


@bp.route("/import", methods=["GET", "POST"])
@admin_required
@form_view
def import_():
    form = ImportQuestionnaireForm()
    errors, status = [], 200
    if form.validate_on_submit():
        upload = form.file.data
        data, filename = upload.read(current_app.config["MAX_CONTENT_LENGTH"]), upload.filename or ""
        end_reading()  # the file is read before the database: hold no (SQLite write) lock meanwhile
        try:
            with committing():
                version, notices = operations.import_questionnaire(
                    current_user, data, filename, publish=form.publish.data, kind=form.kind.data or None)
        except ValidationFailed as exc:
            errors, status = exc.errors, 422
        else:
            for notice in notices:
                flash(notice, "warning")
            flash(f"已导入“{version.title}”第 {version.number} 版（{version.state_label}），"
                  f"共 {len(version.questions)} 道题", "success")
            return redirect(url_for("questionnaires.version", version_id=version.id))
    elif request.method == "POST":
        status = 400
    return render_template("questionnaires/import.html", form=form, errors=errors), status


@bp.route("/<int:questionnaire_id>")
@admin_required
def detail(questionnaire_id: int):
    questionnaire = queries.get_or_404(Questionnaire, questionnaire_id)
    return render_template("questionnaires/detail.html", questionnaire=questionnaire, action_form=ActionForm())


@bp.route("/<int:questionnaire_id>/drafts", methods=["POST"])
@admin_required
@form_view
def start_draft(questionnaire_id: int):
    questionnaire = queries.get_or_404(Questionnaire, questionnaire_id)
    return _act(ActionForm(), lambda: operations.start_draft(current_user, questionnaire),
                lambda v: url_for("questionnaires.version", version_id=v.id),
                lambda: detail(questionnaire_id), "已新建草稿版本")


@bp.route("/versions/<int:version_id>")
@admin_required
def version(version_id: int):
    v = queries.get_version_or_404(version_id)
    return render_template("questionnaires/version.html", version=v, action_form=ActionForm(),
                           publish_form=PublishForm(lock_version=v.lock_version))


@bp.route("/versions/<int:version_id>/preview")
@admin_required
def preview(version_id: int):
    queries.get_or_404(QuestionnaireVersion, version_id)
    return render_template("questionnaires/preview.html", version=version_view(version_id))


@bp.route("/versions/<int:version_id>/export.xlsx")
@admin_required
def export(version_id: int):
    v = queries.get_version_or_404(version_id)
    # send_file writes the Chinese title as RFC 5987 filename* with an ASCII fallback: a raw
    # non-Latin-1 header value is refused by gunicorn (issue 17).
    return send_file(io.BytesIO(write_xlsform(spec_from_version(v))), mimetype=XLSX, as_attachment=True,
                     download_name=f"{v.title}-v{v.number}.xlsx")


@bp.route("/versions/<int:version_id>/publish", methods=["POST"])
@admin_required
@form_view
def publish(version_id: int):
    v = queries.get_version_or_404(version_id)
    form = PublishForm()
    lock = int(form.lock_version.data) if (form.lock_version.data or "").isdigit() else None
    return _act(form, lambda: operations.publish_version(current_user, v, lock),
                lambda _: url_for("questionnaires.version", version_id=version_id),
                lambda: version(version_id), f"已发布第 {v.number} 版，此后该版本不可修改")


@bp.route("/versions/<int:version_id>/delete", methods=["POST"])
@admin_required
@form_view
def delete_draft(version_id: int):
    v = queries.get_version_or_404(version_id)
    return _act(ActionForm(), lambda: operations.delete_draft(current_user, v),
                lambda _: url_for("questionnaires.index"), lambda: version(version_id), "已删除草稿")


def _act(form, action, success_url, render_failure, done: str):
    """Run a button's action. Success: flash and redirect (303). Refusal: the page again with the
    reason, and a 4xx status."""
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE, "error")
        return render_failure(), 400
    try:
        with committing():
            result = action()
    except ValidationFailed as exc:
        flash(exc.message + "；".join(str(e) for e in exc.errors[:5]), "error")
        return render_failure(), exc.status
    except DomainError as exc:
        flash(exc.message, "error")
        return render_failure(), exc.status
    flash(done, "success")
    return redirect(success_url(result), 303)
