"""管理 → 消息渠道 (per unit, group, user or unit contact) and 管理 → 发送失败."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from forms.auth import ActionForm
from forms.notify import ChannelForm, EditChannelForm
from survey.errors import DomainError
from survey.models import Channel, ChannelKind, ContactRole, Delivery
from survey.notify import operations, queries, urls
from survey.notify.blueprint import bp
from survey.notify.owners import OWNER_LABELS, get_owner_or_404, owner_name
from survey.permissions import admin_required
from survey.queries import get_or_404
from survey.viewutil import committing, form_view, reads_first, submit

bp.add_app_template_filter(urls.masked, "masked_url")


def _owner_url(channel: Channel) -> str:
    return url_for("notify.channels", owner_kind=channel.owner_kind, owner_id=channel.owner_id)


def _list(owner_kind: str, owner_id: int, form, status: int = 200):
    owner = get_owner_or_404(owner_kind, owner_id)
    return render_template("notify/channels.html", form=form, owner_kind=owner_kind, owner_id=owner_id,
                           owner_label=OWNER_LABELS[owner_kind], owner_name=owner_name(owner_kind, owner),
                           channels=queries.channels_of(owner_kind, owner_id), kinds=ChannelKind,
                           hints=urls.HINTS, action_form=ActionForm(), role_label=lambda r: ContactRole(r).label,
                           contacts=queries.contacts_of(owner_id) if owner_kind == "unit" else []), status


@bp.route("/channels/<any(unit,group,user,contact):owner_kind>/<int:owner_id>", methods=["GET", "POST"])
@admin_required
@form_view
def channels(owner_kind: str, owner_id: int):
    get_owner_or_404(owner_kind, owner_id)
    form = ChannelForm()
    ok, status = submit(form, lambda: operations.create_channel(
        current_user, owner_kind, owner_id, form.kind.data, form.label.data, form.url.data, form.secret.data))
    if ok:
        flash("已添加渠道。可点“发送测试消息”确认能收到。", "success")
        return redirect(url_for("notify.channels", owner_kind=owner_kind, owner_id=owner_id)), 303
    return _list(owner_kind, owner_id, form, status)


@bp.route("/channels/<int:channel_id>/edit", methods=["GET", "POST"])
@admin_required
@form_view
def edit_channel(channel_id: int):
    channel = get_or_404(Channel, channel_id)
    form = EditChannelForm(data={"label": channel.label} if request.method == "GET" else None)
    ok, status = submit(form, lambda: operations.update_channel(
        current_user, channel, form.label.data, form.url.data, form.secret.data))
    if ok and request.method == "POST":
        flash("已保存渠道", "success")
        return redirect(_owner_url(channel)), 303
    owner = get_owner_or_404(channel.owner_kind, channel.owner_id)
    return render_template("notify/channel_form.html", form=form, channel=channel, hints=urls.HINTS,
                           kind=ChannelKind(channel.kind), owner_label=OWNER_LABELS[channel.owner_kind],
                           owner_name=owner_name(channel.owner_kind, owner), back=_owner_url(channel)), status


def _act(channel_id: int, action, done):
    channel = get_or_404(Channel, channel_id)
    back = _owner_url(channel)
    if not ActionForm().validate_on_submit():
        flash(ActionForm.CSRF_MESSAGE, "error")
        return redirect(back), 303
    try:
        with committing():
            said = action(channel)
    except DomainError as exc:
        flash(exc.message, "error")
        return _list(channel.owner_kind, channel.owner_id, ChannelForm(formdata=None), exc.status)
    message, category = done(said) if callable(done) else (done, "success")
    flash(message, category)
    return redirect(back), 303


@bp.route("/channels/<int:channel_id>/toggle", methods=["POST"])
@admin_required
def toggle_channel(channel_id: int):
    return _act(channel_id, lambda c: operations.set_enabled(current_user, c, not c.enabled), "已更新渠道状态")


@bp.route("/channels/<int:channel_id>/delete", methods=["POST"])
@admin_required
def delete_channel(channel_id: int):
    return _act(channel_id, lambda c: operations.delete_channel(current_user, c), "已删除渠道")


@bp.route("/channels/<int:channel_id>/test", methods=["POST"])
@admin_required
@reads_first
def test_channel(channel_id: int):
    return _act(channel_id, lambda c: operations.test_channel(current_user, c),
                lambda error: (f"测试消息发送失败：{error}", "error") if error else ("测试消息已发出，请到接收端查看", "success"))


@bp.route("/deliveries/failed")
@admin_required
def failed():
    return render_template("notify/failed.html", deliveries=queries.failed_deliveries(),
                           total=queries.count_failed(), action_form=ActionForm(), owner_labels=OWNER_LABELS)


def _resend(ids):
    if not ActionForm().validate_on_submit():
        flash(ActionForm.CSRF_MESSAGE, "error")
        return redirect(url_for("notify.failed")), 303
    with committing():
        count = operations.resend(current_user, ids)
    flash(f"已安排重发 {count} 条，将在下一次发送时送出" if count else "没有需要重发的消息", "success")
    return redirect(url_for("notify.failed")), 303


@bp.route("/deliveries/<int:delivery_id>/resend", methods=["POST"])
@admin_required
def resend(delivery_id: int):
    return _resend([get_or_404(Delivery, delivery_id).id])


@bp.route("/deliveries/resend", methods=["POST"])
@admin_required
def resend_all():
    return _resend(None)
