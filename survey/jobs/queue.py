"""The one Huey instance, where it keeps its queue, and the decorators that run a task inside the
Flask app.

Storage: QUEUE_URL when set, else REDIS_URL (the setting Flask-Limiter already shares, several
worker hosts), else a SQLite file under the instance folder (instance/queue.db: `make run` needs
no other server). The app that configured the queue (create_app → init_queue) is the one tasks
run in: in `flask --app app worker` that is the worker process's own app, built once."""
from __future__ import annotations

import functools
import logging
import os
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, current_app, has_app_context
from huey import Huey
from huey.constants import EmptyData
from huey.exceptions import TaskLockedException
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage

from survey.extensions import db
from survey.jobs.schedule import SCHEDULE

log = logging.getLogger("survey.jobs")
NAME = "survey"
# Memory until init_queue() points it at the configured storage (create_app does, in every process).
huey = Huey(NAME, storage_class=MemoryStorage, store_none=False)
_app: list[Flask] = []
PERIODIC: dict = {}  # name -> the task's body in the app (run_periodic_now)


def queue_url(config) -> str:
    url = config.get("QUEUE_URL") or config.get("REDIS_URL")
    return url or f"sqlite:///{Path(config['INSTANCE_PATH']) / 'queue.db'}"


def use_storage(url: str) -> None:
    """Point the queue at redis://host:port/db or sqlite:///absolute/path (tests use both)."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        storage = RedisStorage(NAME, url=url)
    elif url.startswith("sqlite:///"):
        path = urlsplit(url).path
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        storage = SqliteStorage(NAME, filename=path)
    else:
        raise ValueError(f"QUEUE_URL must be redis://… or sqlite:///…, not {url!r}")
    old, huey.storage = huey.storage, storage
    old.close()


def init_queue(app: Flask) -> None:
    app.config.setdefault("QUEUE_URL", "")
    use_storage(queue_url(app.config))
    _app[:] = [app]
    app.extensions["huey"] = huey


def current_owner() -> str:
    """host:pid of this process (a worker's mark on what it holds)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def owner_is_dead(owner: str) -> bool:
    """True only for a process of this host that no longer runs (other hosts: unknown, False)."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def in_app(fn):
    """Run fn inside the configured app's context; its database session ends cleanly afterwards."""
    @functools.wraps(fn)
    def inner(*args, **kwargs):
        if has_app_context():  # run in this process by a command or a test: its own app
            app = current_app._get_current_object()
        elif _app:
            app = _app[0]
        else:
            raise RuntimeError("the job queue has no app: create_app() was not called")
        with app.app_context():
            try:
                return fn(*args, **kwargs)
            finally:
                db.session.rollback()
                db.session.remove()
    return inner


def task(name: str, **options):
    """@task("feature.what") declares a queued task run in the app (Huey's retries=, retry_delay=,
    priority= … pass through). Call it to enqueue: my_task(arg) (or my_task.schedule(..., delay=s))."""
    def decorator(fn):
        return huey.task(name=name, **options)(in_app(fn))
    return decorator


def enqueue(task_wrapper, *args, **kwargs):
    """Put one call of a task on the queue now (fire and forget; see jobs.submit for durable work)."""
    return task_wrapper(*args, **kwargs)


def _lock_key(name: str) -> str:
    return f"{NAME}.lock.{name}"


def _owner_key(name: str) -> str:
    return f"{NAME}.lock-owner.{name}"


def _slot_key(name: str) -> str:
    return f"{NAME}.last-slot.{name}"


def periodic(name: str):
    """@periodic("name") runs fn on the worker at SCHEDULE[name], under Huey's lock of that name so
    two workers never run it at once, and once per schedule slot: every worker's scheduler enqueues
    the task, the first to start it takes the minute, the others skip it."""
    schedule = SCHEDULE[name]

    def decorator(fn):
        body = in_app(fn)
        PERIODIC[name] = body

        def run():
            lock = huey.lock_task(name)
            try:
                lock.acquire()
            except TaskLockedException:
                log.info("periodic %s skipped: running on another worker", name)
                return None
            try:
                huey.storage.put_data(_owner_key(name), current_owner().encode())
                slot = time.strftime("%Y%m%d%H%M", time.gmtime()).encode()
                if huey.storage.peek_data(_slot_key(name)) == slot:
                    log.info("periodic %s skipped: already run in this slot", name)
                    return None
                huey.storage.put_data(_slot_key(name), slot)
                return body()
            finally:
                huey.storage.delete_data(_owner_key(name))
                lock.clear()

        run.__name__ = run.__qualname__ = name
        run.__doc__ = fn.__doc__
        return huey.periodic_task(schedule, name=name)(run)
    return decorator


def run_periodic_now(name: str) -> object:
    """Run a periodic task's body in this process now, without the queue (commands, tests)."""
    return PERIODIC[name]()


def release_dead_locks() -> list[str]:
    """Locks held by a process of this host that died (kill -9 mid-task): released at start-up.
    A lock held by another host stays until that host's worker starts again (or --flush-locks)."""
    released = []
    for name in SCHEDULE:
        owner = huey.storage.peek_data(_owner_key(name))
        if owner is EmptyData or not huey.storage.has_data_for_key(_lock_key(name)):
            continue
        if owner_is_dead(owner.decode() if isinstance(owner, bytes) else str(owner)):
            huey.storage.delete_data(_lock_key(name))
            huey.storage.delete_data(_owner_key(name))
            released.append(name)
    return released
