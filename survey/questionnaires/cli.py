"""flask import-questionnaire / export-questionnaire."""
from __future__ import annotations

from pathlib import Path

import click
from flask import Flask

from survey.database import writing
from survey.errors import DomainError, ValidationFailed
from survey.extensions import db
from survey.models import Questionnaire, QuestionnaireVersion
from survey.questionnaires.convert import spec_from_version
from survey.questionnaires.operations import import_questionnaire
from survey.xlsform.writer import write_xlsform


def register_questionnaire_commands(app: Flask) -> None:
    @app.cli.command("import-questionnaire")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--publish", is_flag=True, help="Publish the imported version at once.")
    @click.option("--kind", type=click.Choice(["self_check", "onsite", "general"]), default=None)
    def import_command(path: Path, publish: bool, kind: str | None):
        """Import an XLSForm workbook as a questionnaire version; prints its id and version."""
        with writing():
            try:
                version, notices = import_questionnaire(None, path.read_bytes(), path.name, publish, kind)
            except ValidationFailed as exc:
                db.session.rollback()
                click.echo(exc.message, err=True)
                for error in exc.errors:
                    click.echo(f"  {error}", err=True)
                raise SystemExit(1) from exc
            except DomainError as exc:
                db.session.rollback()
                raise click.ClickException(exc.message) from exc
            db.session.commit()
        for notice in notices:
            click.echo(f"提示：{notice}")
        state = "已发布" if version.is_published else "草稿"
        click.echo(f"id={version.questionnaire_id} version={version.number} ({state}) "
                   f"{version.title}，{len(version.questions)} 道题")

    @app.cli.command("export-questionnaire")
    @click.argument("questionnaire_id", type=int)
    @click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
    @click.option("--version", "number", type=int, default=None, help="Version number (default: latest).")
    def export_command(questionnaire_id: int, out: Path, number: int | None):
        """Write a questionnaire version as an XLSForm workbook."""
        questionnaire = db.session.get(Questionnaire, questionnaire_id)
        if questionnaire is None:
            raise click.ClickException(f"问卷不存在：{questionnaire_id}")
        version = _pick(questionnaire, number)
        out.write_bytes(write_xlsform(spec_from_version(version)))
        click.echo(f"已导出 {version.title} 第 {version.number} 版 → {out}")


def _pick(questionnaire: Questionnaire, number: int | None) -> QuestionnaireVersion:
    if not questionnaire.versions:
        raise click.ClickException("该问卷没有任何版本")
    if number is None:
        return questionnaire.latest_published or questionnaire.versions[-1]
    for version in questionnaire.versions:
        if version.number == number:
            return version
    raise click.ClickException(f"该问卷没有第 {number} 版")
