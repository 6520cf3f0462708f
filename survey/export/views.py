"""Excel exports over HTTP: the ledger (in the request up to EXPORT_SYNC_MAX_ROWS problems, else as a
background job with a progress page), a round's raw answers, and a job's page and file."""
from __future__ import annotations

import io

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user

from survey.clock import china_date, utcnow
from survey.database import writing
from survey.errors import DomainError, NotAllowed
from survey.export import answers, jobs, ledger, operations
from survey.export.xlsx import XLSX_MIMETYPE
from survey.ledger.queries import LedgerFilter
from survey.models import Role, Round
from survey.permissions import can_export_answers, login_required, roles_required
from survey.queries import get_or_404
from survey.storage import get_storage
from survey.export.blueprint import bp
from survey.viewutil import committing, end_reading



def _write(action):
    """Run action in a write transaction of its own and commit: the read transaction so far ends
    first, so SQLite's write lock is taken at BEGIN and held only for this, not for the export."""
    end_reading()
    with writing(), committing():
        return action()


def _send(data: bytes, name: str):
    return send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=name)


@bp.route("/ledger/export.xlsx")
@login_required
def ledger_xlsx():
    spec = ledger.LedgerSpec.current(current_user, LedgerFilter.from_args(request.args))
    limit = int(current_app.config.get("EXPORT_SYNC_MAX_ROWS", 10000))  # problems + their events
    params = {"filters": spec.f.args(page=None)}
    if ledger.count_rows(spec, cap=limit) > limit:
        job = _write(lambda: jobs.queue_job(current_user, "ledger", params, ledger.file_name(spec), utcnow()))
        return redirect(url_for("export.job", job_id=job.id), 303)
    problems = ledger.count(spec)
    _write(lambda: operations.record_export(current_user, "ledger", {**params, "rows": problems}))
    return _send(ledger.to_bytes(spec), ledger.file_name(spec))


@bp.route("/rounds/<int:round_id>/answers.xlsx")
@roles_required(Role.ADMIN, Role.INSPECTOR)
def answers_xlsx(round_id: int):
    rnd = get_or_404(Round, round_id)
    kind = request.args.get("kind", "self_check")
    if kind not in answers.KINDS:
        raise DomainError("导出类型无效：kind 只能是 self_check（自查）或 visit（上门问诊）")
    if not can_export_answers(current_user, rnd.id):
        raise NotAllowed("您所在的督导组在本批次没有负责的单位")
    now = utcnow()
    _write(lambda: operations.record_export(current_user, f"answers_{kind}", {"round": rnd.id}))
    data, _ = answers.to_bytes(rnd, kind, current_user, now)
    return _send(data, answers.file_name(rnd, kind, china_date(now)))


@bp.route("/exports/<int:job_id>")
@login_required
def job(job_id: int):
    found = jobs.get_job_or_404(current_user, job_id)
    if operations.is_stale(found, utcnow()):
        _write(lambda: operations.fail_stale_jobs(utcnow()))
        found = jobs.get_job_or_404(current_user, job_id)
    return render_template("export/job.html", job=found, has_file=jobs.file_key(found) is not None)


@bp.route("/exports/<int:job_id>/download")
@login_required
def download(job_id: int):
    found = jobs.get_job_or_404(current_user, job_id)
    key = jobs.file_key(found)
    if key is None:
        flash("文件尚未生成完成，或已超过保存期限", "warning")
        return redirect(url_for("export.job", job_id=found.id), 303)
    return get_storage().send(key, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=found.file_name)
