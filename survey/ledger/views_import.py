"""Importing an office's existing ledger: upload → preview (nothing written) → confirm."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from forms.ledger_import import LedgerConfirmForm, LedgerImportForm
from survey.errors import ValidationFailed
from survey.extensions import db
from survey.ledger import import_store, importing
from survey.ledger.blueprint import bp
from survey.models import Round
from survey.permissions import admin_required
from survey.viewutil import commit, committing, end_reading, form_view

GONE = "该文件已导入或已失效（预览后 24 小时内有效，且只能确认一次），请重新上传。"


def _upload_form() -> LedgerImportForm:
    form = LedgerImportForm()
    rounds = db.session.scalars(select(Round).order_by(Round.id.desc()))
    form.round_id.choices = [(r.id, r.name) for r in rounds]
    if not form.round_id.choices:
        form.form_errors.append("还没有检查批次。导入的问题须属于一个批次才能编号，请先新建批次。")
    return form


def _page(form: LedgerImportForm, plan: importing.Plan | None = None,
          confirm: LedgerConfirmForm | None = None, errors: list | None = None):
    return render_template("ledger/import.html", form=form, plan=plan, confirm=confirm,
                           errors=errors if errors is not None else (plan.errors if plan else []),
                           max_mb=importing.MAX_BYTES // 1024 // 1024)


@bp.route("/import", methods=["GET", "POST"])
@admin_required
@form_view
def import_upload():
    """Check the uploaded ledger and show what would be imported; keep the file for the confirm."""
    form = _upload_form()
    if not form.validate_on_submit():
        return _page(form), 400 if request.method == "POST" else 200
    rnd = db.session.get(Round, form.round_id.data)
    data = form.file.data.read(importing.MAX_BYTES + 1)
    end_reading()  # parsing can take seconds: hold no (SQLite write) lock meanwhile
    plan = importing.plan_import(data, rnd)
    if plan.errors:
        return _page(form, plan), 422
    filename = (form.file.data.filename or "")[:255]
    confirm = LedgerConfirmForm(formdata=None, token=import_store.save(data), round_id=str(rnd.id),
                                filename=filename)
    return _page(form, plan, confirm)


@bp.route("/import/confirm", methods=["POST"])
@admin_required
@form_view
def import_confirm():
    """Import the previewed file once: all rows or none."""
    form, upload = LedgerConfirmForm(), _upload_form()
    rnd = db.session.get(Round, int(form.round_id.data)) if (form.round_id.data or "").isdigit() else None
    if not form.validate_on_submit() or rnd is None:
        upload.form_errors.append(form.CSRF_MESSAGE if form.csrf_failed else "确认导入的参数有误，请重新上传文件。")
        return _page(upload), 400
    if not import_store.claim(form.token.data):
        upload.form_errors.append(GONE)
        return _page(upload), 409
    commit()  # the claim: from here no other confirm, on any host, gets this file
    data = import_store.load(form.token.data)  # read with no transaction (or SQLite lock) open
    if data is None:
        upload.form_errors.append(GONE)
        return _page(upload), 409
    try:
        with committing():
            plan = importing.import_ledger(current_user, data, rnd, form.filename.data or "")
    except ValidationFailed as exc:  # the database changed since the preview
        import_store.discard(form.token.data)
        return _page(upload, errors=exc.errors), 422
    except Exception:
        import_store.release(form.token.data)  # not the file's fault: the same id may be confirmed again
        commit()
        raise
    import_store.discard(form.token.data)
    flash(f"已导入 {plan.summary()}到「{rnd.name}」", "success")
    return redirect(url_for("ledger.index", round=rnd.id), 303)
