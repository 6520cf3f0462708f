"""The job queue (issue 14): one Huey instance, tasks run inside the Flask app, periodic tasks on
the schedule in survey/jobs/schedule.py, and exactly-once work (job_runs) for kill -9.

For features:
- @task("feature.name") declares a task; calling it enqueues (enqueue(t, *args) says so aloud);
- @periodic("name") declares a periodic task (its crontab line goes in schedule.SCHEDULE);
- @durable_task("feature.name") + submit(t, key, *args) for one-off work that must happen once;
- once(key) inside the work's transaction for one action per dedupe key (a message, a notice).
The worker itself is `flask --app app worker` (survey/worker.py)."""
from survey.jobs.durable import attempt, durable_task, once, recover, submit
from survey.jobs.queue import (
    enqueue, huey, in_app, init_queue, periodic, queue_url, release_dead_locks, run_periodic_now, task,
    use_storage)
from survey.jobs.schedule import SCHEDULE

__all__ = ["SCHEDULE", "attempt", "durable_task", "enqueue", "huey", "in_app", "init_queue", "once",
           "periodic", "queue_url", "recover", "release_dead_locks", "run_periodic_now", "submit", "task",
           "use_storage"]
