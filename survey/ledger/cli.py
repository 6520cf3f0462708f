"""flask import-ledger FILE.xlsx [--round NAME] [--dry-run]."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from survey.database import writing
from survey.errors import DomainError, ValidationFailed
from survey.extensions import db
from survey.ledger import importing
from survey.models import Round


def _round(name: str | None) -> Round:
    if name:
        rnd = db.session.scalar(select(Round).where(Round.name == name))
        if rnd is None:
            raise click.ClickException(f"检查批次不存在：{name}")
        return rnd
    rnd = importing.latest_round()
    if rnd is None:
        raise click.ClickException("还没有任何检查批次，问题须属于一个批次才能编号。请先新建批次。")
    click.echo(f"未指定 --round，使用最近的检查批次「{rnd.name}」")
    return rnd


def _fail(message: str, errors: list) -> None:
    click.echo(message, err=True)
    for error in errors:
        click.echo(f"  {error}", err=True)
    raise SystemExit(1)


def register_ledger_commands(app: Flask) -> None:
    @app.cli.command("import-ledger")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--round", "round_name", default=None, help="Round name (default: the most recent round).")
    @click.option("--dry-run", is_flag=True, help="Show what would be imported; change nothing.")
    def import_ledger_command(path: Path, round_name: str | None, dry_run: bool):
        """Import an existing problem ledger (.xlsx) into a round: all rows or none."""
        if path.stat().st_size > importing.MAX_BYTES:
            _fail(importing.FAILED, [f"文件超过 {importing.MAX_BYTES // 1024 // 1024} MB 的上限"])
        data = path.read_bytes()
        with writing():
            rnd = _round(round_name)
            db.session.rollback()  # no lock held while the file is parsed (seconds for a big one)
            if dry_run:
                plan = importing.plan_import(data, rnd)
                db.session.rollback()
                if plan.errors:
                    _fail(importing.FAILED, plan.errors)
                _show(plan, f"试运行，未写入数据库。将导入到「{rnd.name}」：")
                return
            try:
                plan = importing.import_ledger(None, data, rnd, path.name)
            except ValidationFailed as exc:
                db.session.rollback()
                _fail(exc.message, exc.errors)
            except DomainError as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from exc
            db.session.commit()
        _show(plan, f"已导入到「{rnd.name}」：")


def _show(plan: importing.Plan, heading: str) -> None:
    click.echo(f"{heading}{plan.summary()}")
    for notice in plan.notices:
        click.echo(f"提示：{notice}")
