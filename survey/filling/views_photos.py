"""Photos of a submission: upload (idempotent per client id), view, thumbnail, delete. JSON for the phone."""
from __future__ import annotations

from flask import abort, current_app, jsonify, request, url_for
from flask_login import current_user

from survey.errors import DomainError
from survey import images
from survey.filling import photos, queries
from survey.filling.blueprint import bp
from survey.models import Photo, Submission
from survey.viewutil import committing, end_reading, json_action, json_refusal, reads_first
from survey.permissions import can_view_submission, login_required
from survey.storage import get_storage
from survey import thumbnails

PHOTO_MAX_AGE = 3600  # seconds a browser may keep a photo (private: never a shared cache)


def _check_view(submission: Submission) -> None:
    if not can_view_submission(current_user, submission):
        abort(404 if current_user.is_liaison else 403)


def _visible_photo_or_404(photo_id: int) -> Photo:
    """The photo, for those who may see its submission (the one check of every photo route)."""
    row = queries.get_or_404(Photo, photo_id)
    _check_view(row.submission)
    return row


def thumb_url(photo: Photo) -> str:
    return url_for("filling.photo_thumb", photo_id=photo.id, v=thumbnails.version(photo.sha256))


@bp.record_once
def _template_helpers(state) -> None:
    """The visit report's photos (templates/visits/_parts.html)."""
    state.app.add_template_global(thumb_url, "photo_thumb_url")


def photo_json(photo: Photo) -> dict:
    return {"id": photo.id, "url": url_for("filling.photo", photo_id=photo.id), "thumb_url": thumb_url(photo),
            "delete_url": url_for("filling.delete_photo", photo_id=photo.id),
            "question": photo.question_name, "name": photo.original_name, "size": photo.size,
            "sha256": photo.sha256, "width": photo.width, "height": photo.height}


@bp.route("/submissions/<int:submission_id>/photos", methods=["POST"])
@login_required
@reads_first
def upload_photo(submission_id: int):
    submission = queries.get_or_404(Submission, submission_id)
    _check_view(submission)
    upload = request.files.get("file")
    if upload is None:
        return jsonify(error="refused", message="请选择照片", field="file"), 400
    max_bytes = current_app.config["PHOTO_MAX_BYTES"]
    data = upload.stream.read(max_bytes + 1)  # never more than the limit in memory
    photo = None
    try:
        with committing():
            photo, created = photos.store_photo(
                current_user, submission, request.form.get("question", ""), request.form.get("client_id", ""),
                data, upload.filename or "", max_bytes)
    except DomainError as exc:
        return json_refusal(exc)
    except Exception:
        if photo is not None and created:
            photos.discard_file(photo)
        raise
    return jsonify(photo_json(photo)), 201 if created else 200


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    row = _visible_photo_or_404(photo_id)
    stem = images.name_stem(row.original_name) or "照片"
    resp = get_storage().send(photos.photo_key(row), mimetype=photos.mimetype(row), as_attachment=False,
                              download_name=f"{stem}.{row.stored_name.rpartition('.')[2]}", max_age=PHOTO_MAX_AGE)
    if resp.status_code != 302:  # a presigned redirect (S3 storage) is never cached: its link expires
        resp.headers["Cache-Control"] = f"private, max-age={PHOTO_MAX_AGE}"
    resp.headers["X-Content-Type-Options"] = "nosniff"
    return resp


@bp.route("/photos/<int:photo_id>/thumb")
@login_required
def photo_thumb(photo_id: int):
    """A 192 px JPEG of the photo (see survey/thumbnails.py), for the same people as the photo."""
    row = _visible_photo_or_404(photo_id)
    key, sha256, stem = photos.photo_key(row), row.sha256, images.name_stem(row.original_name) or "照片"
    end_reading()  # a first request decodes the image: no transaction held meanwhile
    return thumbnails.send(key, thumbnails.MEDIUM, sha256, f"{stem}-缩略图.jpg")


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@login_required
def delete_photo(photo_id: int):
    row = _visible_photo_or_404(photo_id)

    def delete():
        photos.delete_photo(current_user, row)
        return jsonify(id=photo_id, deleted=True)
    return json_action(delete)
