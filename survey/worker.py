"""The worker (issue 14): `flask --app app worker` runs Huey's consumer in this app, and the periodic
tasks it runs (their times are in survey/jobs/schedule.py). Everything that used to run on a
request but is not the request's business lives here: the sweeps, audit pruning, SQLite ANALYZE.

Each periodic task runs under its Huey lock (jobs.periodic), so two workers never run one at once;
the reminder scan (survey.reminders.scan) and the delivery of pending messages (survey.notify.delivery)
are their features' plain functions, which commit their own transactions."""
from __future__ import annotations

import importlib
import logging
import os

import click
from flask import Flask, current_app

from survey import jobs, maintenance
from survey.clock import utcnow
from survey.database import refresh_statistics, writing
from survey.export import jobs as export_jobs
from survey.export import operations as export_operations
from survey.extensions import db
from survey.notify.delivery import deliver_pending as deliver_messages
from survey.reminders.scan import run_scan

log = logging.getLogger("survey.worker")
# Modules whose tasks the worker must know besides the ones imported by the app (comma-separated
# module names in SURVEY_TASK_MODULES add more, e.g. the test suite's own tasks).
TASK_MODULES = ("survey.export.jobs",)


@jobs.periodic("recover_jobs")
def recover_jobs() -> int:
    with writing():
        sent = jobs.recover()
        db.session.commit()
    return sent


@jobs.periodic("fail_stale_exports")
def fail_stale_exports() -> int:
    with writing():
        count = export_operations.fail_stale_jobs(utcnow())
        db.session.commit()
    return count


@jobs.periodic("remove_old_exports")
def remove_old_exports() -> int:
    return export_jobs.remove_old_files()


@jobs.periodic("analyze_sqlite")
def analyze_sqlite() -> bool:
    return refresh_statistics(db.engine)


@jobs.periodic("sweep_orphans")
def sweep_orphans() -> int:
    return maintenance.sweep_orphans(3600)


@jobs.periodic("prune_audit")
def prune_audit() -> int:
    return maintenance.prune_audit(max(190, int(current_app.config["AUDIT_RETENTION_DAYS"])))


@jobs.periodic("reminder_scan")
def reminder_scan():
    return run_scan()


@jobs.periodic("deliver_pending")
def deliver_pending():
    return deliver_messages()


def load_task_modules() -> list[str]:
    names = [*TASK_MODULES, *filter(None, os.environ.get("SURVEY_TASK_MODULES", "").split(","))]
    for name in names:
        importlib.import_module(name.strip())
    return names


def register_worker_command(app: Flask) -> None:
    @app.cli.command("worker")
    @click.option("--workers", "-w", type=int, default=lambda: int(os.environ.get("WORKER_THREADS", "2")),
                  show_default="2 (WORKER_THREADS)", help="How many tasks run at once in this process.")
    @click.option("--worker-type", "-k", type=click.Choice(["thread", "process"]), default="thread",
                  show_default=True, help="Threads in this process, or one process each.")
    @click.option("--no-periodic", is_flag=True, help="Run queued tasks only; another worker runs the schedule.")
    @click.option("--flush-locks", is_flag=True,
                  help="Release every periodic lock first (after a crash of another host's worker).")
    @click.option("--max-delay", type=float, default=1.0, show_default=True,
                  help="Longest pause between two looks at an empty queue (seconds).")
    @click.option("--scan-at-start/--no-scan-at-start", default=True, show_default=True,
                  help="Enqueue one reminder scan when the worker starts.")
    def worker_command(workers, worker_type, no_periodic, flush_locks, max_delay, scan_at_start):
        """Start the job queue's consumer (exports, reminders, deliveries, the periodic sweeps)."""
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        load_task_modules()
        released = jobs.release_dead_locks()
        if released:
            log.warning("released the locks of a worker that died: %s", ", ".join(released))
        with writing():
            sent = jobs.recover()
            db.session.commit()
        if sent:
            log.warning("sent again %s task(s) whose worker died or whose message was lost", sent)
        if scan_at_start and not no_periodic:
            reminder_scan()
        db.session.remove()
        db.engine.dispose()  # process workers are forked: no connection is shared with them
        consumer = jobs.huey.create_consumer(workers=workers, worker_type=worker_type, periodic=not no_periodic,
                                             flush_locks=flush_locks, max_delay=max_delay,
                                             initial_delay=0.05, backoff=1.5)
        click.echo(f"worker: {workers} {worker_type}(s), queue {_shown(jobs.queue_url(current_app.config))}",
                   err=True)
        consumer.run()


def _shown(url: str) -> str:
    """The queue's URL without a password."""
    if "@" in url:
        scheme, _, rest = url.partition("://")
        return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
    return url
