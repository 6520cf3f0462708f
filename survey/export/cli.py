"""flask export-ledger --out FILE.xlsx [--round NAME]."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from survey.database import writing
from survey.export import ledger, operations
from survey.extensions import db
from survey.ledger.queries import LedgerFilter
from survey.models import Round


def register_export_commands(app: Flask) -> None:
    @app.cli.command("export-ledger")
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
                  help="The .xlsx file to write.")
    @click.option("--round", "round_name", default=None, help="Only this round's problems (default: all).")
    def export_ledger_command(out: Path, round_name: str | None):
        """Export the problem ledger of every unit (问题台账.xlsx) to a file."""
        if not out.parent.is_dir():
            raise click.ClickException(f"目录不存在：{out.parent}")
        f = LedgerFilter()
        if round_name:
            f.round_id = db.session.scalar(select(Round.id).where(Round.name == round_name))
            if f.round_id is None:
                raise click.ClickException(f"检查批次不存在：{round_name}")
        spec = ledger.LedgerSpec.current(None, f)
        with writing():
            operations.record_export(None, "ledger", {"filters": f.args(page=None), "out": str(out)[:200]})
            db.session.commit()
        part = out.with_name(out.name + ".part")
        try:
            count = ledger.write_ledger(part, spec)
            part.replace(out)
        finally:
            part.unlink(missing_ok=True)
        click.echo(f"已导出 {count} 个问题到 {out}")
