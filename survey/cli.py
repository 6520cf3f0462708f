"""flask --app app <command>: seed-demo, create-user."""
from __future__ import annotations

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
from survey.seed_data import DEMO_PASSWORD


def print_demo_accounts() -> None:
    click.echo(f"演示账号（密码均为 {DEMO_PASSWORD}）:")
    for username, who in DEMO_ACCOUNTS:
        click.echo(f"  {username:<16} {who}")


def register_commands(app: Flask) -> None:
    register_questionnaire_commands(app)
    register_ledger_commands(app)
    register_export_commands(app)
    register_maintenance_commands(app)

    @app.cli.command("seed-demo")
    def seed_demo_command():
        """Load the demo district (86 units, 2 groups, accounts) into an empty database."""
        with writing():
            if not is_empty():
                click.echo("数据库中已有数据，未重复导入演示数据。")
            else:
                counts = seed_demo()
                db.session.commit()
                click.echo("已导入演示数据：{units} 个单位，{groups} 个督导组，{users} 个账号，"
                           "{questionnaires} 份问卷，并开启检查批次「2023年廉洁机关建设上门问诊」。".format(**counts))
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
