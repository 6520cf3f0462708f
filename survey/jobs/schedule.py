"""When the worker runs each periodic task: the one place the schedule is written (README, "The
worker"). Times are UTC, as Huey reads them (China time is UTC+8). A task declared with
jobs.periodic(name) must have its line here."""
from __future__ import annotations

from huey import crontab

SCHEDULE = {
    # Durable tasks whose worker died (kill -9, a lost host) or whose message was lost go out again.
    "recover_jobs": crontab(minute="*"),
    # Messages waiting in the outbox (survey.notify.delivery, issue 14).
    "deliver_pending": crontab(minute="*"),
    # Export jobs queued or running for longer than EXPORT_JOB_STALE_MINUTES are failed.
    "fail_stale_exports": crontab(minute="*/5"),
    # Export files older than KEEP_DAYS.
    "remove_old_exports": crontab(minute="17"),
    # SQLite planner statistics (ANALYZE), hourly; nothing to do on PostgreSQL.
    "analyze_sqlite": crontab(minute="7"),
    # The reminder ladder's daily scan (survey.reminders.scan, issue 14): 08:00 China time.
    "reminder_scan": crontab(minute="0", hour="0"),
    # Uploaded files no row points to: 03:23 China time.
    "sweep_orphans": crontab(minute="23", hour="19"),
    # Audit rows older than AUDIT_RETENTION_DAYS (never below 190): 03:41 China time.
    "prune_audit": crontab(minute="41", hour="19"),
}
