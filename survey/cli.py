"""flask --app app <command>: seed-demo, create-user."""
from __future__ import annotations

import time

import click
from flask import Flask
from sqlalchemy import select

from survey.admin import operations
from survey.database import writing
from survey.errors import DomainError
from survey.extensions import db
from survey.models import Role, SupervisionGroup, Unit
from survey.seed import DEMO_ACCOUNTS, is_empty, seed_demo
from survey.questionnaires.cli import register_questionnaire_commands
from survey.ledger.cli import register_ledger_commands
from survey.export.cli import register_export_commands
from survey.maintenance import register_maintenance_commands
from survey.notify.cli import register_notify_commands
from survey.reminders.cli import register_reminder_commands
from survey.seed_data import DEMO_PASSWORD


def print_demo_accounts() -> None:
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）:")
    for username, who in DEMO_ACCOUNTS:
        click.echo(f"  {username:<16} {who}")


def seeded_message(counts: dict, seconds: float) -> str:
    text = "已导入演示数据：{units} 个单位，{groups} 个督导组，{users} 个账号，{questionnaires} 份问卷".format(**counts)
    if counts["rounds"]:
        text += "，{rounds} 个检查批次（上一轮已全部销号，本轮进行中），{problems} 个问题".format(**counts)
    else:
        text += "，未创建检查批次（--empty）"
    return f"{text}。用时 {seconds:.1f} 秒。"


def register_commands(app: Flask) -> None:
    register_questionnaire_commands(app)
    register_ledger_commands(app)
    register_export_commands(app)
    register_maintenance_commands(app)
    register_notify_commands(app)
    register_reminder_commands(app)

    @app.cli.command("seed-demo")
    @click.option("--empty", is_flag=True,
                  help="Only the bare district (units, groups, accounts, questionnaires), no round.")
    def seed_demo_command(empty):
        """Load the demo district into an empty database: 86 units, 2 groups, accounts, and (unless
        --empty) a living demo dated from today: an earlier round closed, the current one under way."""
        with writing():
            if not is_empty():
                click.echo("数据库中已有数据，未重复导入演示数据（未作任何修改）。")
            else:
                started = time.perf_counter()
                counts = seed_demo(empty=empty)
                db.session.commit()
                click.echo(seeded_message(counts, time.perf_counter() - started))
        print_demo_accounts()

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--role", type=click.Choice(["admin", "inspector", "unit"]), required=True)
    @click.option("--unit", "unit_name", help="Unit name (for --role unit).")
    @click.option("--group", "group_names", multiple=True, help="Group name (for --role inspector).")
    @click.option("--password", required=True)
    @click.option("--display-name", default=None)
    @click.option("--temporary", is_flag=True, help="Make the user change the password at first login.")
    def create_user_command(username, role, unit_name, group_names, password, display_name, temporary):
        """Create a user account."""
        with writing():
            unit_id = None
            if unit_name:
                unit_id = db.session.scalar(select(Unit.id).where(Unit.name == unit_name))
                if unit_id is None:
                    raise click.ClickException(f"单位不存在：{unit_name}")
            group_ids = []
            for name in group_names:
                gid = db.session.scalar(select(SupervisionGroup.id).where(SupervisionGroup.name == name))
                if gid is None:
                    raise click.ClickException(f"督导组不存在：{name}")
                group_ids.append(gid)
            try:
                user = operations.create_user(
                    None, username=username, display_name=display_name or username, role=role,
                    password=password, unit_id=unit_id, group_ids=group_ids,
                    must_change_password=temporary)
            except DomainError as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from exc
            db.session.commit()
            click.echo(f"已创建用户 {user.username}（{Role(role).label}），id={user.id}")
