"""flask --app app <command> for operators: verify-audit, prune-audit, backup, restore, sweep-orphans."""
from __future__ import annotations

import time
from pathlib import Path

import click
from flask import Flask, current_app

from survey import audit, audit_chain, backup, thumbnails
from survey.database import writing
from survey.extensions import db
from survey.storage import get_storage
from survey.filling import photos
from survey.ledger import evidence


def _record(event: str, details: dict) -> None:
    with writing():
        audit.record(event, actor_username="cli", details=details)
        db.session.commit()


def sweep_orphans(min_age: int = 3600) -> int:
    """Uploaded files no row points to (uploads cut off half way, crashed workers), and partial
    writes, older than min_age seconds: `flask sweep-orphans` and the worker's nightly task."""
    removed = photos.sweep_orphans(min_age) + evidence.sweep_orphans(min_age)
    removed += thumbnails.sweep_orphans(min_age, time.time())  # after the files they were made of
    removed += get_storage().discard_partial(min_age)
    db.session.rollback()
    return removed


def prune_audit(days: int) -> int:
    """Audit rows older than days (at least 190, audit_chain refuses fewer) are removed; committed."""
    with writing():
        count = audit_chain.prune_chain(db.session, days)
        db.session.commit()
    return count


def register_maintenance_commands(app: Flask) -> None:
    @app.cli.command("verify-audit")
    def verify_audit_command():
        """Walk the audit hash chain; exit 1 at the first row that does not verify."""
        report = audit_chain.verify_chain(db.session)
        click.echo(f"审计日志 {report.rows} 行（其中链建立前的旧行 {report.legacy} 行）")
        if not report.ok:
            click.echo(f"哈希链在 id={report.broken_id} 处断开：{report.reason}", err=True)
            raise SystemExit(1)
        click.echo(f"哈希链完整。链头 {report.head or '（空）'}")

    @app.cli.command("prune-audit")
    @click.option("--days", type=int, default=None, help="Keep this many days (default AUDIT_RETENTION_DAYS).")
    def prune_audit_command(days):
        """Delete audit rows older than the retention period; the chain is re-anchored."""
        days = days or current_app.config["AUDIT_RETENTION_DAYS"]
        try:
            count = prune_audit(days)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"已删除 {days} 天前的审计日志 {count} 行" if count else f"没有 {days} 天前的审计日志")

    @app.cli.command("backup")
    @click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
    @click.option("--with-files/--without-files", default=None,
                  help="Copy the uploaded files too (default: yes on the local disk, no for S3 storage).")
    def backup_command(directory, with_files):
        """Copy the database and the uploaded files into DIRECTORY (new or empty)."""
        try:
            manifest = backup.backup(directory, with_files=with_files)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        rows = sum(manifest["database"]["tables"].values())
        click.echo(f"已备份到 {directory}：数据库 {rows} 行，文件 {len(manifest['files'])} 个，"
                   f"审计链头 {manifest['database']['audit']['head'] or '（空）'}")
        if manifest["files_in"]:
            click.echo(f"注意：文件保存在 {manifest['files_in']}，未复制到备份目录；请用对象存储自身的"
                       "版本控制或跨区复制备份（或加 --with-files 一并复制）", err=True)
        for name in manifest["missing"]:
            click.echo(f"注意：备份期间被删除的文件 {name}", err=True)
        _record("backup", {"directory": str(directory), "rows": rows, "files": len(manifest["files"])})

    @app.cli.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Overwrite a database that already holds data.")
    def restore_command(directory, force):
        """Bring back a backup made by `flask backup` (the hashes are checked first)."""
        try:
            counts = backup.restore(directory, force=force)
        except backup.BackupError as exc:
            raise click.ClickException(str(exc)) from exc
        expected = backup.read_manifest(directory)["database"]["tables"]
        wrong = {t: (n, expected[t]) for t, n in counts.items() if n != expected[t]}
        if wrong:
            raise click.ClickException(f"恢复后行数不符：{wrong}")
        click.echo(f"已恢复：{sum(counts.values())} 行，与备份一致。如代码较新，请再执行 flask db upgrade。")
        _record("restore", {"directory": str(directory), "rows": sum(counts.values())})

    @app.cli.command("sweep-orphans")
    @click.option("--min-age", type=int, default=3600, help="Only files older than this many seconds.")
    def sweep_orphans_command(min_age):
        """Remove uploaded files no row points to (uploads cut off half way, crashed workers)."""
        removed = sweep_orphans(min_age)
        click.echo(f"已清理无主文件 {removed} 个")
