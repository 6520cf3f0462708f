"""Notices on the web: the printable page, the .docx, the list, and the templates page."""
from __future__ import annotations

import io

from flask import abort, render_template, request, send_file
from flask_login import current_user

from survey.models import Role
from survey.notices import docx, queries
from survey.notices.blueprint import bp
from survey.notices.document import build_document
from survey.notices.numbering import NOTICE_KINDS
from survey.permissions import login_required, roles_required
from survey.viewutil import page_arg


def _document(notice_id: int):
    notice, problem = queries.get_notice_or_404(current_user, notice_id)
    return build_document(notice, problem, notice.unit, notice.round)


def download_name(doc) -> str:
    return f"{doc.notice.number}{doc.kind.title}（{doc.fields['unit_name']}）.docx"


@bp.route("/notices/<int:notice_id>")
@login_required
def show(notice_id: int):
    return render_template("notices/print.html", doc=_document(notice_id), kinds=NOTICE_KINDS)


@bp.route("/notices/<int:notice_id>/docx")
@login_required
def word(notice_id: int):
    doc = _document(notice_id)
    return send_file(io.BytesIO(docx.render_docx(doc)), mimetype=docx.DOCX_MIMETYPE, as_attachment=True,
                     download_name=download_name(doc))


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("/notices")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def index():
    kind = request.args.get("kind", "")
    if kind and kind not in NOTICE_KINDS:
        abort(404)
    f = queries.NoticeFilter(round_id=_int_arg("round"), kind=kind, unit_id=_int_arg("unit"), page=page_arg())
    notices, total = queries.query_notices(current_user, f)
    return render_template("notices/list.html", notices=notices, total=total, f=f, kinds=NOTICE_KINDS,
                           codes=queries.problem_codes(notices), rounds=queries.filter_rounds(current_user),
                           units=queries.filter_units(current_user), page_size=queries.PAGE_SIZE)
