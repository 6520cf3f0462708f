"""佐证材料 of a problem: upload (several files at once, all or nothing), download, delete.

Plain form posts answer 303 back to the problem page with a flash; a client that asks for JSON
(a phone uploading in the background) gets the status code and a JSON body instead."""
from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, request, url_for
from flask_login import current_user

from survey import audit
from survey.errors import DomainError, NotAllowed, wants_json
from survey.extensions import db
from survey import images
from survey.ledger import evidence as ev
from survey.ledger import queries
from survey.ledger.blueprint import bp
from survey.models import Evidence
from survey.viewutil import committing, end_reading, json_refusal, reads_first
from survey.permissions import login_required
from survey.storage import get_storage
from survey import thumbnails

NO_FILE = "请选择要上传的文件"


@bp.record_once
def _template_helpers(state) -> None:
    """What templates/ledger/_evidence.html calls."""
    state.app.add_template_global(ev.can_add_evidence, "can_add_evidence")
    state.app.add_template_global(ev.can_remove_evidence, "can_remove_evidence")
    state.app.add_template_filter(ev.human_size, "human_size")
    state.app.add_template_global(ev.KIND_LABELS, "evidence_kind_labels")
    state.app.add_template_global(ev.IMAGE_KINDS, "evidence_image_kinds")
    state.app.add_template_global(thumb_url, "evidence_thumb_url")


def thumb_url(row: Evidence) -> str:
    return url_for("ledger.evidence_thumb", evidence_id=row.id, v=thumbnails.version(row.sha256))


def evidence_json(row: Evidence) -> dict:
    return {"id": row.id, "url": url_for("ledger.evidence_file", evidence_id=row.id),
            "delete_url": url_for("ledger.delete_evidence", evidence_id=row.id), "name": row.original_name,
            "kind": row.kind, "size": row.size, "sha256": row.sha256,
            "thumb_url": thumb_url(row) if ev.is_image(row) else None}


def _visible_evidence_or_404(evidence_id: int):
    """The row and its problem, only for those who may see the problem: 404 for everyone else,
    as for an id that does not exist."""
    row = db.session.get(Evidence, evidence_id)
    if row is None:
        abort(404)
    return row, queries.get_problem_or_404(current_user, row.problem_id)


def _back(problem_id: int):
    return redirect(url_for("ledger.detail", problem_id=problem_id) + "#evidence", 303)


def _refused(exc: DomainError, problem_id: int, name: str = ""):
    message = f"{name}：{exc.message}" if name else exc.message
    if wants_json():
        response, status = json_refusal(exc)
        return jsonify({**response.get_json(), "message": message, "file": name or None}), status
    flash(message, "error")
    return _back(problem_id)


@bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence_file(evidence_id: int):
    row, problem = _visible_evidence_or_404(evidence_id)
    store, key = get_storage(), ev.evidence_key(row)
    if not store.exists(key):
        abort(404)
    end_reading()  # a read: done; the row is written in a transaction of its own
    audit.record_now("evidence_download", actor=audit.actor_snapshot(current_user), target=problem,
                     details={"evidence_id": row.id, "name": row.original_name, "sha256": row.sha256})
    stem = images.name_stem(row.original_name) or "佐证材料"
    resp = store.send(key, mimetype=ev.mimetype(row), as_attachment=not ev.is_image(row),
                      download_name=f"{stem}.{row.kind}", etag=row.sha256, max_age=3600)
    if resp.status_code != 302:  # a presigned redirect (S3 storage) is never cached: its link expires
        resp.headers["Cache-Control"] = "private, max-age=3600"  # never a shared cache
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/evidence/<int:evidence_id>/thumb")
@login_required
def evidence_thumb(evidence_id: int):
    """A 144 px JPEG of an image (see survey/thumbnails.py), for those who may open the file; 404
    for a document (the page shows an icon). A preview, not a download: not in the audit log."""
    row, _ = _visible_evidence_or_404(evidence_id)
    if not ev.is_image(row):
        abort(404)
    key, sha256, stem = ev.evidence_key(row), row.sha256, images.name_stem(row.original_name) or "佐证材料"
    end_reading()  # a first request decodes the image: no transaction held meanwhile
    return thumbnails.send(key, thumbnails.SMALL, sha256, f"{stem}-缩略图.jpg")


@bp.route("/<int:problem_id>/evidence", methods=["POST"])
@login_required
@reads_first
def upload_evidence(problem_id: int):
    problem = queries.get_problem_or_404(current_user, problem_id)
    if not ev.can_add_evidence(current_user, problem):
        return _refused(NotAllowed(ev.add_refusal(current_user, problem)), problem_id)
    uploads = [f for f in request.files.getlist("files") if f.filename]
    if not uploads:
        return _refused(DomainError(NO_FILE, field="files"), problem_id)
    max_bytes = current_app.config["EVIDENCE_MAX_BYTES"]
    stored: list[Evidence] = []
    name = ""
    try:
        with committing():
            for upload in uploads:
                name = ev.clean_name(upload.filename or "")
                data = upload.stream.read(max_bytes + 1)  # never more than the limit in memory
                row = ev.add_evidence(current_user, problem, data, upload.filename or "", max_bytes)
                stored.append(row)
                del data
    except DomainError as exc:  # all or nothing: the files stored before this one go too
        ev.discard_files(stored)
        return _refused(exc, problem_id, name if len(uploads) > 1 or exc.field == "files" else "")
    except BaseException:
        ev.discard_files(stored)
        raise
    if wants_json():
        return jsonify(evidence=[evidence_json(row) for row in stored]), 201
    flash(f"已上传 {len(stored)} 个佐证材料", "success")
    return _back(problem_id)


@bp.route("/evidence/<int:evidence_id>/delete", methods=["POST"])
@login_required
def delete_evidence(evidence_id: int):
    row, problem = _visible_evidence_or_404(evidence_id)
    name = row.original_name
    try:
        with committing():
            ev.remove_evidence(current_user, row)
    except DomainError as exc:
        return _refused(exc, problem.id)
    if wants_json():
        return jsonify(id=evidence_id, deleted=True)
    flash(f"已删除佐证材料“{name}”", "success")
    return _back(problem.id)
