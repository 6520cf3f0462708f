"""flask send-reminders [--dry-run]: one reminder scan now."""
from __future__ import annotations

import time

import click
from flask import Flask

from survey.reminders.scan import run_scan


def register_reminder_commands(app: Flask) -> None:
    @app.cli.command("send-reminders")
    @click.option("--dry-run", is_flag=True, help="Report what the scan would send; store nothing.")
    def send_reminders(dry_run: bool) -> None:
        """Run one reminder scan now: fire the due ladder steps, issue their notices, write the messages."""
        started = time.perf_counter()
        report = run_scan(dry_run=dry_run)
        verb = "将发送" if dry_run else "已发送"
        click.echo(f"督办扫描 {report.today.isoformat()}{'（演练，未保存）' if dry_run else ''}")
        for s in report.steps:
            if s.fired or s.skipped:
                click.echo(f"  [{s.round_name}] {s.name}（{s.key}）：触发 {s.fired}，跳过 {s.skipped}，"
                           f"文书 {s.notices}，消息 {s.messages}")
        for line in report.lines:
            click.echo(f"    {line}")
        click.echo(f"共触发 {report.fired} 项（跳过 {report.skipped} 项较早的阶梯），印发文书 {report.notices} 份，"
                   f"{verb}消息 {report.messages} 条，用时 {time.perf_counter() - started:.1f} 秒")
