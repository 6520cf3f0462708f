"""Configuration read from the environment."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = Path(os.environ.get("INSTANCE_PATH", ROOT / "instance"))


def normalize_database_url(url: str) -> str:
    """Accept the URL spellings hosting platforms hand out and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance: Path) -> str:
    """SECRET_KEY from the environment, else one generated on first run and kept."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def engine_options(url: str) -> dict:
    """pool_pre_ping everywhere; on PostgreSQL no JIT: it compiled the ledger's counts for ~300 ms
    a request (bench/README.md) and never pays off for these short queries."""
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options


def _int_env(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


class Config:
    """Values every deployment gets; environment variables override."""

    def __init__(self) -> None:
        self.INSTANCE_PATH = str(INSTANCE)
        self.SECRET_KEY = load_secret_key(INSTANCE)
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(
            os.environ.get("DATABASE_URL", f"sqlite:///{INSTANCE / 'survey.db'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        idle = _int_env("SESSION_IDLE_MINUTES", 30)
        self.PERMANENT_SESSION_LIFETIME = timedelta(minutes=idle)
        self.SESSION_REFRESH_EACH_REQUEST = True
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_NAME = "survey_session"
        self.REMEMBER_COOKIE_DURATION = timedelta(seconds=0)
        # Tokens live as long as the session (which itself expires when idle).
        self.WTF_CSRF_TIME_LIMIT = None
        self.WTF_CSRF_SSL_STRICT = False
        self.WTF_I18N_ENABLED = False
        self.MAX_CONTENT_LENGTH = _int_env("MAX_UPLOAD_MB", 30) * 1024 * 1024
        self.UNIT_IMPORT_MAX_BYTES = 2 * 1024 * 1024
        self.PHOTO_MAX_BYTES = 10 * 1024 * 1024
        self.EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
        self.LOCKOUT_THRESHOLD = _int_env("LOCKOUT_THRESHOLD", 5)
        self.LOCKOUT_MINUTES = _int_env("LOCKOUT_MINUTES", 15)
        self.IP_FAILURE_LIMIT = _int_env("IP_FAILURE_LIMIT", 300)
        self.COMPRESS_ALGORITHM = ["br", "gzip"]
        self.COMPRESS_MIN_SIZE = 500
        self.COMPRESS_MIMETYPES = [
            "text/html", "text/css", "text/javascript", "application/javascript",
            "application/json", "image/svg+xml",
        ]
        self.SEND_FILE_MAX_AGE_DEFAULT = timedelta(days=365)
        self.PREFERRED_URL_SCHEME = os.environ.get("PREFERRED_URL_SCHEME", "http")
        self.TRUST_PROXY = _int_env("TRUST_PROXY", 0)
        self.DISTRICT_NAME = os.environ.get("DISTRICT_NAME", "示范区")
        self.NEAR_DEADLINE_DAYS = _int_env("NEAR_DEADLINE_DAYS", 7)
        # Channels (survey/notify): the China hour of the daily digest, and the site's address for
        # the links in mails and robot messages (empty: paths only).
        self.NOTIFY_DIGEST_HOUR = min(23, max(0, _int_env("NOTIFY_DIGEST_HOUR", 8)))
        self.PUBLIC_URL = os.environ.get("PUBLIC_URL", "")
        # Ledger exports above this many rows (problems + their events) run as background jobs.
        self.EXPORT_SYNC_MAX_ROWS = _int_env("EXPORT_SYNC_MAX_ROWS", 10000)
        self.EXPORT_JOB_STALE_MINUTES = _int_env("EXPORT_JOB_STALE_MINUTES", 30)
        # Audit rows older than this are removed by `flask prune-audit` (never below 190 days).
        self.AUDIT_RETENTION_DAYS = max(190, _int_env("AUDIT_RETENTION_DAYS", 365))
        # Where photos, evidence and export files are kept (survey/storage): empty for the
        # instance folder, or file:///absolute/path.
        self.STORAGE_URL = os.environ.get("STORAGE_URL", "")
        # Redis (redis://host:6379/0): counters of anonymous denials shared by every worker and
        # host (survey/throttle.py); without it each worker counts in its own memory.
        self.REDIS_URL = os.environ.get("REDIS_URL", "")
        # The job queue (survey/jobs): QUEUE_URL (redis://… or sqlite:///…) when set, else REDIS_URL,
        # else instance/queue.db. A durable task running longer than JOB_LEASE_MINUTES is handed out again.
        self.QUEUE_URL = os.environ.get("QUEUE_URL", "")
        self.JOB_LEASE_MINUTES = _int_env("JOB_LEASE_MINUTES", 30)
        self.JOB_RETRY_SECONDS = _int_env("JOB_RETRY_SECONDS", 10)  # a failed task's first retry; doubling


class TestConfig(Config):
    """Settings for the test suite: a given database, fast hashing, no secrets on disk."""

    TESTING = True
    __test__ = False  # not a pytest test class

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = normalize_database_url(database_url)
        self.SQLALCHEMY_ENGINE_OPTIONS = engine_options(self.SQLALCHEMY_DATABASE_URI)
        self.PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"
        self.DASHBOARD_CACHE = False  # tests change rows behind the app's back; test_dashboard turns it on
