"""flask deliver-messages: one delivery run now (what the worker does every few minutes)."""
from __future__ import annotations

from dataclasses import asdict

import click
from flask import Flask

from survey.notify.delivery import deliver_pending


def register_notify_commands(app: Flask) -> None:
    @app.cli.command("deliver-messages")
    def deliver_messages() -> None:
        """Make the deliveries of new messages and send what is due over the channels."""
        report = asdict(deliver_pending())
        click.echo("新建投递 {created} 条，发送 {sends} 次：送达 {sent}，失败待重试 {failed}，放弃 {dead}，"
                   "延后 {deferred}".format(**report))
        for error in report["errors"]:
            click.echo(f"出错：{error}", err=True)
