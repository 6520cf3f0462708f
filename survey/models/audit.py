"""The append-only audit log (安全审计)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.clock import utcnow
from survey.models.base import Base, UTCDateTime
from survey.models.user import ROLE_LABELS, Role

EVENT_LABELS = {
    "login": "登录成功",
    "login_failed": "登录失败",
    "lockout": "账号锁定",
    "logout": "退出登录",
    "password_change": "修改密码",
    "password_reset": "重置密码",
    "user_create": "新建用户",
    "user_update": "修改用户",
    "user_disable": "停用用户",
    "user_enable": "启用用户",
    "user_unlock": "解除锁定",
    "unit_create": "新建单位",
    "unit_update": "修改单位",
    "unit_import": "导入单位",
    "group_create": "新建督导组",
    "group_update": "修改督导组",
    "csrf_failed": "安全令牌校验失败",
    "questionnaire_create": "新建问卷",
    "questionnaire_import": "导入问卷",
    "questionnaire_draft": "新建问卷草稿",
    "questionnaire_draft_delete": "删除问卷草稿",
    "questionnaire_publish": "发布问卷",
    "round_create": "开启检查批次",
    "submission_submit": "提交",
    "submission_reopen": "退回已提交的表",
    "photo_delete": "删除照片",
    "ledger_import": "导入问题台账",
    "ledger_bulk": "台账批量操作",
    "export": "导出Excel",
    "link_use": "免密链接访问",
    "link_issue": "开通免密链接",
    "link_revoke": "撤销免密链接",
    "access_denied": "越权访问被拒绝",
    "category_create": "新增问题类别",
    "category_update": "修改问题类别",
    "category_delete": "删除问题类别",
    "calendar_day_add": "添加本地工作日例外",
    "calendar_day_remove": "删除本地工作日例外",
    "ladder_update": "修改督办阶梯",
}


class AuditLog(Base):
    """One row per security or business event. The app only ever inserts: survey.audit refuses
    ORM updates and deletes of these rows and chains them by hash (flask verify-audit)."""

    __tablename__ = "audit_logs"
    __table_args__ = (
        Index("ix_audit_logs_event_ip_created", "event", "ip", "created_at"),
        Index("ix_audit_logs_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor_username: Mapped[str] = mapped_column(String(64), default="")
    actor_role: Mapped[str] = mapped_column(String(16), default="")
    event: Mapped[str] = mapped_column(String(32))
    success: Mapped[bool] = mapped_column(default=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(128), default="")
    ip: Mapped[str] = mapped_column(String(64), default="")
    request_id: Mapped[str] = mapped_column(String(36), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    # Hash chain (issue 8): row_hash = sha256(prev_hash + canonical row); set by survey.audit.
    prev_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    row_hash: Mapped[str] = mapped_column(String(64), default="", server_default="")

    @property
    def actor_role_label(self) -> str:
        try:
            return ROLE_LABELS[Role(self.actor_role)]
        except ValueError:
            return self.actor_role

    @property
    def event_label(self) -> str:
        return EVENT_LABELS.get(self.event, self.event)
