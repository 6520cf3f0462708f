"""/inbox: the list, opening a message (marks it read, goes to its problem or self-check), marking read."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user

from forms.auth import ActionForm
from survey.inbox import operations, queries
from survey.inbox.blueprint import bp
from survey.permissions import login_required
from survey.viewutil import committing, local_path, page_arg, writes


@bp.app_context_processor
def inbox_badge() -> dict:
    """The 消息 tab's unread count in the bottom bar (base.html): one COUNT, on first use, once per request."""
    def badge() -> int:
        if "inbox_unread" not in g:
            g.inbox_unread = queries.count_unread(current_user) if current_user.is_authenticated else 0
        return g.inbox_unread
    return {"inbox_badge": badge}


@bp.app_template_global()
def notice_url(notice) -> str:
    """The notice's printable page."""
    return url_for("notices.show", notice_id=notice.id)


@bp.route("")
@login_required
def index():
    page, unread = page_arg(), request.args.get("unread") == "1"
    messages, total = queries.query_messages(current_user, page, unread)
    return render_template("inbox/index.html", messages=messages, total=total, page=page, unread=unread,
                           pages=max(1, -(-total // queries.PAGE_SIZE)), action_form=ActionForm())


@bp.route("/<int:message_id>")
@login_required
@writes
def open_message(message_id: int):
    msg = queries.get_visible_or_404(current_user, message_id)
    with committing():
        operations.mark_read(current_user, msg)
    return redirect(local_path(msg.link, url_for("inbox.index")) if msg.link
                    else url_for("inbox.index", _anchor=f"m{msg.id}")), 303


@bp.route("/<int:message_id>/read", methods=["POST"])
@login_required
def read(message_id: int):
    msg = queries.get_visible_or_404(current_user, message_id)
    if not ActionForm().validate_on_submit():
        flash(ActionForm.CSRF_MESSAGE, "error")
        return redirect(url_for("inbox.index")), 303
    with committing():
        operations.mark_read(current_user, msg)
    return redirect(url_for("inbox.index", _anchor=f"m{msg.id}")), 303


@bp.route("/read-all", methods=["POST"])
@login_required
def read_all():
    if not ActionForm().validate_on_submit():
        flash(ActionForm.CSRF_MESSAGE, "error")
        return redirect(url_for("inbox.index")), 303
    with committing():
        count = operations.mark_all_read(current_user)
    flash(f"已将 {count} 条消息标为已读" if count else "没有未读消息", "success")
    return redirect(url_for("inbox.index")), 303
