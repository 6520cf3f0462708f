"""管理 → 文书模板: each kind's .docx template — download it, upload a replacement (checked before it is
kept), or go back to the shipped one."""
from __future__ import annotations

import io

from flask import flash, redirect, render_template, send_file, url_for
from flask_login import current_user

from forms.auth import ActionForm
from forms.notices import NoticeTemplateForm
from survey.notices import docx, operations
from survey.notices.blueprint import bp
from survey.notices.document import FIELDS
from survey.notices.numbering import NOTICE_KINDS
from survey.permissions import admin_required
from survey.viewutil import committing, end_reading, form_view, submit

KIND = "<any(" + ", ".join(NOTICE_KINDS) + "):kind>"


def _page(form: NoticeTemplateForm, status: int = 200):
    custom = {kind: docx.has_custom(kind) for kind in NOTICE_KINDS}
    return render_template("notices/templates.html", form=form, kinds=NOTICE_KINDS, custom=custom,
                           fields=FIELDS, action_form=ActionForm()), status


@bp.route("/admin/notice-templates", methods=["GET", "POST"])
@admin_required
@form_view
def templates_page():
    form = NoticeTemplateForm()
    if form.is_submitted() and form.file.data:
        data = form.file.data.read(docx.MAX_TEMPLATE_BYTES + 1)
        end_reading()
    else:
        data = b""
    ok, status = submit(form, lambda: operations.upload_template(
        current_user, form.kind.data, data, form.file.data.filename or ""))
    if ok:
        flash(f"已更换“{NOTICE_KINDS[form.kind.data].title}”的模板", "success")
        return redirect(url_for("notices.templates_page"), 303)
    return _page(form, status)


@bp.route(f"/admin/notice-templates/{KIND}.docx")
@admin_required
def template_file(kind: str):
    title = NOTICE_KINDS[kind].title
    return send_file(io.BytesIO(docx.template_bytes(kind)), mimetype=docx.DOCX_MIMETYPE, as_attachment=True,
                     download_name=f"{title}模板.docx")


@bp.route(f"/admin/notice-templates/{KIND}/revert", methods=["POST"])
@admin_required
@form_view
def template_revert(kind: str):
    form = ActionForm()
    if not form.validate_on_submit():
        flash(form.CSRF_MESSAGE, "error")
        return _page(NoticeTemplateForm(), 400)
    with committing():
        removed = operations.revert_template(current_user, kind)
    flash(f"“{NOTICE_KINDS[kind].title}”已恢复为系统自带模板" if removed else "该文书本来就在使用系统自带模板",
          "success")
    return redirect(url_for("notices.templates_page"), 303)
